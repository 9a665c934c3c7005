"""Points and meters in field operations: a lon/lat pair checked as input, and the distance on
the spheroid between two stored points (PostGIS geography, never degrees)."""

from __future__ import annotations

import math

from django.contrib.gis.geos import Point
from django.db import connection
from django.utils.translation import gettext_lazy

from fieldops.errors import FieldError

ERR_LAT_RANGE = gettext_lazy("Latitude must be a number between -90 and 90.")
ERR_LON_RANGE = gettext_lazy("Longitude must be a number between -180 and 180.")


def parse_coordinate(value, *, field: str, low: float, high: float, message: str) -> float:
    """A finite float within [low, high], or a FieldError naming the field."""
    if isinstance(value, bool) or value is None or value == "":
        raise FieldError(field, message, "required" if value in (None, "") else "invalid")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(field, message) from None
    if not math.isfinite(number) or not (low <= number <= high):
        raise FieldError(field, message)
    return number


def validate_point(lon, lat) -> tuple[float, float]:
    """(lon, lat) as floats within the globe, or a FieldError naming `lon` or `lat`."""
    return (
        parse_coordinate(lon, field="lon", low=-180, high=180, message=ERR_LON_RANGE),
        parse_coordinate(lat, field="lat", low=-90, high=90, message=ERR_LAT_RANGE),
    )


def geography_distance(a: Point, b: Point) -> float:
    """Meters on the spheroid between two 4326 points (PostGIS geography): one round trip."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_Distance(ST_GeogFromWKB(%s), ST_GeogFromWKB(%s))",
            [bytes(a.wkb), bytes(b.wkb)],
        )
        return float(cur.fetchone()[0])
