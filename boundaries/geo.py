"""Small geometry helpers: the storage SRID and the metric projection of a city."""

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon

from boundaries.models import STORAGE_SRID


def utm_srid_for(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone containing lon/lat (326xx north, 327xx south).

    Kota Tangerang (lon 106.6, lat -6.2) is in zone 48S, EPSG:32748.
    """
    zone = int((lon + 180.0) // 6.0) + 1
    zone = min(max(zone, 1), 60)
    return (32600 if lat >= 0 else 32700) + zone


def make_point(lon: float, lat: float) -> Point:
    return Point(float(lon), float(lat), srid=STORAGE_SRID)


def polygons_only(geom: GEOSGeometry) -> MultiPolygon | None:
    """Keep only the polygonal parts of a geometry (make_valid may return collections)."""
    polys: list[Polygon] = []

    def walk(g):
        if g.geom_type == "Polygon":
            if not g.empty and g.area > 0:
                polys.append(g)
        elif g.geom_type in ("MultiPolygon", "GeometryCollection"):
            for part in g:
                walk(part)

    walk(geom)
    if not polys:
        return None
    return MultiPolygon(polys, srid=geom.srid)
