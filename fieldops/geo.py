"""Meters in field operations: the distance on the spheroid between two stored points (PostGIS
geography, never degrees). Points are read and checked at the door (`common.parsers`)."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.db import connection


def geography_distance(a: Point, b: Point) -> float:
    """Meters on the spheroid between two 4326 points (PostGIS geography): one round trip."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_Distance(ST_GeogFromWKB(%s), ST_GeogFromWKB(%s))",
            [bytes(a.wkb), bytes(b.wkb)],
        )
        return float(cur.fetchone()[0])
