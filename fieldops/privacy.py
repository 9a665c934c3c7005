"""Where a complaint of a private category may be placed for anyone but the staff who handle it.

Reports about a person (population documents, social aid: `Category.is_private`) show no point
and no address to the public. Where a place still shows through a public face (the list's bbox
filter) or an aggregate (the analytics facts behind grids, clusters and tiles), a private report
stands at its snapped point: the node of a 500 m grid in Web Mercator nearest to its own point,
never finer. The analytics triggers store the same snapped point (analytics/migrations/0007).
Staff who see the complaint as a row (fieldops.permissions.complaints_visible) see its exact point
anyway, so their filters may stay exact.
"""

from __future__ import annotations

import math

from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import SnapToGrid, Transform
from django.contrib.gis.geos import Polygon
from django.db.models import Case, F, QuerySet, When

from boundaries.models import STORAGE_SRID

SNAP_SRID = 3857
SNAP_M = 500.0
# A private report lies at most half a cell from its node on each Web Mercator axis: in degrees,
# at most this much in longitude and (the projection stretches north-south) in latitude too.
SNAP_REACH_DEG = math.degrees(SNAP_M / 2 / 6378137.0) * 1.01


def snapped_point(field: str = "location"):
    """The snapped point of a complaint's location, in the storage SRID."""
    return Transform(SnapToGrid(Transform(field, SNAP_SRID), SNAP_M), STORAGE_SRID)


def public_point(field: str = "location"):
    """The point the public may place a complaint at: its own, or its snapped point if private."""
    return Case(
        When(category__is_private=False, then=F(field)),
        default=snapped_point(field),
        output_field=PointField(srid=STORAGE_SRID),
    )


def complaints_in_box(qs: QuerySet, box: tuple[float, float, float, float]) -> QuerySet:
    """The complaints whose public point lies in the box (min_lon, min_lat, max_lon, max_lat).

    The indexed prefilter widens the box by the snapping's reach, so a private report whose node
    is inside is found even when its own point is outside; the exact test is on the public point.
    """
    x1, y1, x2, y2 = box
    r = SNAP_REACH_DEG
    reach = Polygon.from_bbox((max(x1 - r, -180), max(y1 - r, -90), min(x2 + r, 180), min(y2 + r, 90)))
    reach.srid = STORAGE_SRID
    inside = Polygon.from_bbox(box)
    inside.srid = STORAGE_SRID
    return (
        qs.filter(location__bboverlaps=reach)
        .alias(public_point=public_point())
        .filter(public_point__coveredby=inside)
    )
