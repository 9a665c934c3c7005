"""Which governments of this deployment neighbour a place: the targets of a complaint transfer.

A complaint made a few metres over a kab/kota line lands with the government whose area covers
the pin, and its operator may hand it to the government next door (issue 18, "borders"). The
rule for "next door", in one SQL round trip:

    an active government other than the complaint's, whose area lies within
    NEIGHBOUR_DISTANCE_M of the complaint's point or of the current government's area
    (touching counts: distance 0).

A government's area is its kab/kota `AdminArea` (level "kota", same Kemendagri code) in the
current boundary generation, else its kab/kota in the national layer (`NationalArea`), so a
neighbour whose desa are not loaded is still found. A government with neither has no area and
is nobody's neighbour. Distances are in metres, measured in the UTM zone of the complaint's point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import connection

from boundaries.geo import utm_srid_for

# "A few km": wide enough for a pin in a sliver near the line or a kab/kota whose polygon
# stops short of the neighbour's (the source polygons leave gaps of metres along some borders),
# narrow enough that the kab/kota across a whole city never qualifies.
NEIGHBOUR_DISTANCE_M = 3000.0


@dataclass(frozen=True)
class GovernmentNear:
    id: int
    code: str
    name: str
    distance_m: float


_AREA = """COALESCE(
    (SELECT a.geom FROM boundaries_adminarea a
      WHERE a.level = 'kota' AND a.code = {gov}.code
        AND a.generation_id = (SELECT id FROM boundaries_boundarygeneration WHERE active ORDER BY id DESC LIMIT 1)
      LIMIT 1),
    (SELECT n.geom FROM boundaries_nationalarea n WHERE n.level = 'kota' AND n.code = {gov}.code))"""

# The bounding boxes first (indexless but cheap: eight or eighty governments), then the metric
# distance in the UTM zone of the point for the few that pass. Spheroid (geography) distances
# between two detailed kab/kota polygons cost seconds; planar ones in UTM a few milliseconds, and
# differ from them by well under 1% over a few km.
_NEAR_SQL = f"""
WITH src AS (
    SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS pt,
           (SELECT {_AREA.format(gov="s")} FROM boundaries_government s WHERE s.id = %(government)s) AS area
), cand AS (
    SELECT g.id, g.code, g.name, {_AREA.format(gov="g")} AS area
      FROM boundaries_government g
     WHERE g.active AND g.id <> %(government)s
), boxed AS (
    SELECT cand.id, cand.code, cand.name, ST_Transform(cand.area, %(srid)s) AS area,
           ST_Transform(src.pt, %(srid)s) AS pt, ST_Transform(src.area, %(srid)s) AS src_area
      FROM cand CROSS JOIN src
     WHERE cand.area && ST_Expand(src.pt, %(pad)s)
        OR (src.area IS NOT NULL AND cand.area && ST_Expand(src.area, %(pad)s))
), measured AS (
    SELECT id, code, name,
           LEAST(ST_Distance(area, pt), COALESCE(ST_Distance(area, src_area), 'Infinity'::float8)) AS distance
      FROM boxed
)
SELECT id, code, name, distance FROM measured WHERE distance <= %(within)s ORDER BY distance, code
"""


def governments_near(*, government_id: int, lon: float, lat: float,
                     within_m: float = NEIGHBOUR_DISTANCE_M) -> list[GovernmentNear]:
    """The active governments other than `government_id` whose area lies within `within_m` of the
    point (lon, lat) or of that government's area, nearest first (see the module's rule)."""
    # The box margin in degrees: a degree of longitude shrinks with the latitude (one more degree
    # of latitude keeps it generous).
    pad = within_m / (111_320.0 * math.cos(math.radians(min(abs(lat) + 1.0, 89.0))))
    params = {"government": government_id, "lon": lon, "lat": lat, "within": within_m, "pad": pad,
              "srid": utm_srid_for(lon, lat)}
    with connection.cursor() as cur:
        cur.execute(_NEAR_SQL, params)
        return [GovernmentNear(row[0], row[1], row[2], round(float(row[3]), 1)) for row in cur.fetchall()]
