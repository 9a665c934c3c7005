"""Point-in-polygon routing against the real Kota Tangerang boundaries in PostGIS."""

import pytest
from django.db import connection

from boundaries.models import AdminArea, AreaLevel, BoundaryGeneration
from boundaries.selectors import route_point
from tests.conftest import CITY_HALL

pytestmark = pytest.mark.django_db


def test_fixture_has_the_real_city(city):
    gen = BoundaryGeneration.current()
    assert AdminArea.objects.filter(generation=gen, level=AreaLevel.KOTA).count() == 1
    assert AdminArea.objects.filter(generation=gen, level=AreaLevel.KECAMATAN).count() == 13
    assert AdminArea.objects.filter(generation=gen, level=AreaLevel.KELURAHAN).count() == 104
    # Every kelurahan nests in a kecamatan whose code prefixes its own.
    for kel in AdminArea.objects.filter(generation=gen, level=AreaLevel.KELURAHAN).select_related("parent"):
        assert kel.parent is not None and kel.code.startswith(kel.parent.code + ".")


def test_every_kelurahan_interior_point_resolves_to_it(city):
    gen = BoundaryGeneration.current()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.code, p.code, ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom))"
            " FROM boundaries_adminarea a JOIN boundaries_adminarea p ON p.id = a.parent_id"
            " WHERE a.generation_id = %s AND a.level = 'kelurahan'",
            [gen.pk],
        )
        rows = cur.fetchall()
    assert len(rows) == 104
    wrong = []
    for kel_code, kec_code, lon, lat in rows:
        route = route_point(lon=lon, lat=lat)
        if not (route.in_service_area and route.kelurahan and route.kelurahan.code == kel_code
                and route.kecamatan.code == kec_code):
            wrong.append((kel_code, route.kelurahan, route.kecamatan))
    assert wrong == []


def test_city_hall_is_in_kecamatan_tangerang(city):
    route = route_point(lon=CITY_HALL[0], lat=CITY_HALL[1])
    assert route.kecamatan.name == "Tangerang"
    assert route.kecamatan.code == "36.71.01"


def test_point_exactly_on_a_kecamatan_border_resolves_to_one_area_always_the_same(city):
    gen = BoundaryGeneration.current()
    # A vertex of Karawaci's outline that Cibodas's polygon also covers: exactly on the border.
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT ST_X(v.geom), ST_Y(v.geom) FROM boundaries_adminarea a
            JOIN boundaries_adminarea b ON b.generation_id = a.generation_id AND b.level = a.level,
            LATERAL ST_DumpPoints(a.geom) v
            WHERE a.generation_id = %s AND a.level = 'kecamatan' AND a.name = 'Karawaci' AND b.name = 'Cibodas'
              AND ST_Covers(b.geom, v.geom) AND ST_Covers(a.geom, v.geom)
            LIMIT 3
            """,
            [gen.pk],
        )
        points = cur.fetchall()
    assert points, "Karawaci and Cibodas share border vertices"
    for lon, lat in points:
        results = {(route_point(lon=lon, lat=lat).kecamatan.code) for _ in range(5)}
        assert len(results) == 1
        code = results.pop()
        assert code in {"36.71.07", "36.71.09"}
        # The kelurahan and kecamatan always nest.
        route = route_point(lon=lon, lat=lat)
        assert route.kelurahan.code.startswith(route.kecamatan.code + ".")


def test_point_outside_the_city_names_the_nearest_kecamatan_and_distance(city):
    # Jakarta, Monas: east of Kota Tangerang.
    route = route_point(lon=106.8272, lat=-6.1754)
    assert not route.in_service_area
    assert route.kecamatan is None and route.kelurahan is None
    assert route.nearest_kecamatan is not None
    assert 5_000 < route.distance_m < 30_000


def test_routing_rule_by_area_beats_category_default(city):
    # public-service complaints go to the kecamatan office of the kecamatan.
    route = route_point(lon=CITY_HALL[0], lat=CITY_HALL[1], category_slug="public-service")
    from boundaries.models import Agency

    assert Agency.objects.get(pk=route.agency_id).code == "kec-tangerang"
    # roads has no rule: the service falls back to the category default.
    assert route_point(lon=CITY_HALL[0], lat=CITY_HALL[1], category_slug="roads").agency_id is None
