"""A second government beside Kota Tangerang for tests of faces and borders: "Kabupaten
Tangerang" (36.03), whose area is a band around Kota Tangerang's outline (as the real one wraps
it on the west and north), with one kecamatan (36.03.01) and one desa of the same shape, a command center,
and the roads and drainage categories enabled.

The shared test database holds Kota Tangerang only, and other tests count its areas: inside a
test transaction this is rolled back; autocommit tests (the browser) call `neighbour_remove()`
afterwards. No new boundary generation is made (that would change the current one)."""

from __future__ import annotations

from django.db import connection

CODE = "36.03"
NAME = "Kabupaten Tangerang"
KECAMATAN = "36.03.01"
DESA = "36.03.01.2001"
BAND_DEG = 0.05  # about 5.5 km of neighbour around the city


def neighbour_ensure(*, hosts=(), color_primary="#0f7b3c", color_accent="#ffcc00", categories=("roads", "drainage")):
    from boundaries.models import AdminArea, Agency, AgencyKind, AreaLevel, BoundaryGeneration
    from fieldops.citysetup import government_ensure
    from fieldops.models import Category, GovernmentCategory

    government = government_ensure(code=CODE, name=NAME, jenis="kabupaten", province_code="36", province_name="Banten",
                                   hosts=list(hosts), color_primary=color_primary, color_accent=color_accent,
                                   display_name="LAKSA Kabupaten Tangerang")
    generation = BoundaryGeneration.current()
    if not AdminArea.objects.filter(generation=generation, level=AreaLevel.KOTA, code=CODE).exists():
        with connection.cursor() as cur:
            cur.execute(
                """
                -- The city's kota, kecamatan and kelurahan polygons together: the fixture's layers do not
                -- share every vertex, and the neighbour must not overlap any of them.
                WITH city AS (SELECT ST_Union(geom) geom FROM boundaries_adminarea WHERE generation_id = %(gen)s
                                 AND (code = '36.71' OR code LIKE '36.71.%%')),
                     band AS (SELECT ST_Multi(ST_CollectionExtract(ST_Difference(
                                  ST_Expand(ST_Envelope(city.geom), %(band)s), city.geom), 3)) g FROM city)
                INSERT INTO boundaries_adminarea (generation_id, level, code, name, jenis, geom, area_km2)
                SELECT %(gen)s, 'kota', %(code)s, %(name)s, 'kabupaten', g, ST_Area(g::geography) / 1e6 FROM band
                """,
                {"gen": generation.pk, "band": BAND_DEG, "code": CODE, "name": NAME},
            )
            cur.execute(
                """
                INSERT INTO boundaries_adminarea (generation_id, level, code, name, jenis, parent_id, geom, area_km2)
                SELECT generation_id, 'kecamatan', %(kec)s, 'Batas Kota', 'kecamatan', id, geom, area_km2
                  FROM boundaries_adminarea WHERE generation_id = %(gen)s AND level = 'kota' AND code = %(code)s
                """,
                {"gen": generation.pk, "code": CODE, "kec": KECAMATAN},
            )
            cur.execute(
                """
                INSERT INTO boundaries_adminarea (generation_id, level, code, name, jenis, parent_id, geom, area_km2)
                SELECT generation_id, 'kelurahan', %(desa)s, 'Desa Batas', 'desa', id, geom, area_km2
                  FROM boundaries_adminarea WHERE generation_id = %(gen)s AND level = 'kecamatan' AND code = %(kec)s
                """,
                {"gen": generation.pk, "kec": KECAMATAN, "desa": DESA},
            )
            cur.execute(
                """
                INSERT INTO boundaries_areapiece (area_id, generation_id, level, geom)
                SELECT a.id, a.generation_id, a.level, ST_Subdivide(a.geom, 64)
                  FROM boundaries_adminarea a WHERE a.generation_id = %(gen)s AND a.code IN (%(code)s, %(kec)s, %(desa)s)
                """,
                {"gen": generation.pk, "code": CODE, "kec": KECAMATAN, "desa": DESA},
            )
    cc, _ = Agency.objects.get_or_create(
        government=government, code="command-center",
        defaults={"name": f"Command Center {NAME}", "short_name": "CC Kab. Tangerang", "kind": AgencyKind.COMMAND_CENTER})
    for slug in categories:
        GovernmentCategory.objects.update_or_create(
            government=government, category=Category.objects.get(slug=slug), defaults={"agency": cc, "active": True})
    return government


def neighbour_remove() -> None:
    """Everything `neighbour_ensure` made, and the complaints made in it (autocommit tests)."""
    from boundaries.models import AdminArea, Agency, Government
    from fieldops.models import Complaint

    government = Government.objects.filter(code=CODE).first()
    if government is not None:
        Complaint.objects.filter(government=government).delete()
        Agency.objects.filter(government=government).delete()
        government.categories.all().delete()
        government.delete()
    AdminArea.objects.filter(code=DESA).delete()
    AdminArea.objects.filter(code=KECAMATAN).delete()
    AdminArea.objects.filter(code=CODE, level="kota").delete()


def border_point(inside_m: float = 40.0) -> tuple[float, float]:
    """(lon, lat) inside Kota Tangerang, `inside_m` meters from its west line with the neighbour."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH city AS (SELECT a.geom FROM boundaries_adminarea a JOIN boundaries_boundarygeneration g
                            ON g.id = a.generation_id AND g.active
                           WHERE a.level = 'kota' AND a.code = '36.71' ORDER BY g.id DESC LIMIT 1),
                 edge AS (SELECT ST_ClosestPoint(ST_Boundary(city.geom),
                                 ST_SetSRID(ST_MakePoint(ST_XMin(city.geom) - 0.01, ST_Y(ST_Centroid(city.geom))), 4326)) p
                            FROM city)
            SELECT ST_X(p), ST_Y(p) FROM edge
            """
        )
        lon, lat = cur.fetchone()
        # Step east until the point is inside the city by `inside_m`.
        for step in range(1, 200):
            candidate = (lon + step * 10 / 111_320.0, lat)
            cur.execute(
                """SELECT ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
                          AND ST_Distance(ST_Boundary(a.geom)::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) >= %s
                     FROM boundaries_adminarea a JOIN boundaries_boundarygeneration g ON g.id = a.generation_id AND g.active
                    WHERE a.level = 'kota' AND a.code = '36.71' ORDER BY g.id DESC LIMIT 1""",
                [*candidate, *candidate, inside_m],
            )
            if cur.fetchone()[0]:
                return candidate
    raise AssertionError("no point inside Kota Tangerang near its west line")


def outside_point(outside_m: float = 300.0) -> tuple[float, float]:
    """(lon, lat) in the neighbour, `outside_m` meters west of Kota Tangerang's west line."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH city AS (SELECT a.geom FROM boundaries_adminarea a JOIN boundaries_boundarygeneration g
                            ON g.id = a.generation_id AND g.active
                           WHERE a.level = 'kota' AND a.code = '36.71' ORDER BY g.id DESC LIMIT 1)
            SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_ClosestPoint(ST_Boundary(city.geom),
                   ST_SetSRID(ST_MakePoint(ST_XMin(city.geom) - 0.01, ST_Y(ST_Centroid(city.geom))), 4326)) p FROM city) e
            """
        )
        lon, lat = cur.fetchone()
    return lon - outside_m / 111_320.0, lat
