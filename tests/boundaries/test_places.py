"""The place search before the pin: the gazetteer fixture is where it says, and names are found
fuzzily (pg_trgm) among the gazetteer and the city's kelurahan and kecamatan."""

from __future__ import annotations

import csv

import pytest
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from boundaries.models import Place
from boundaries.selectors import places_search, route_point
from tests.conftest import FIXTURES_DIR

pytestmark = pytest.mark.django_db

PLACES_CSV = FIXTURES_DIR / "places.csv"


def test_every_gazetteer_place_lies_in_the_kecamatan_it_names(city):
    rows = list(csv.DictReader(open(PLACES_CSV, encoding="utf-8")))
    assert len(rows) >= 10
    assert Place.objects.count() == len(rows)  # loaded with the city fixtures
    for row in rows:
        route = route_point(lon=float(row["lon"]), lat=float(row["lat"]))
        assert route.in_service_area, row["name"]
        assert route.kecamatan.name == row["kecamatan"], (row["name"], route.kecamatan.name)


def test_a_typo_still_finds_the_market(city):
    hits = places_search(q="pasar anyr")
    assert hits[0].name == "Pasar Anyar"
    assert (hits[0].kind, hits[0].kelurahan, hits[0].kecamatan) == ("market", "Sukarasa", "Tangerang")


def test_an_office_search_finds_the_kelurahan_at_a_point_inside_it(city):
    hits = places_search(q="kantor kelurahan sukarasa")
    top = hits[0]
    assert (top.kind, top.name, top.kecamatan) == ("kelurahan", "Sukarasa", "Tangerang")
    route = route_point(lon=top.lon, lat=top.lat)
    assert route.kelurahan.name == "Sukarasa"
    x1, y1, x2, y2 = top.bbox
    assert x1 < top.lon < x2 and y1 < top.lat < y2


def test_part_of_a_name_finds_kecamatan_and_kelurahan(city):
    hits = places_search(q="karawac")
    kinds = {(h.kind, h.name) for h in hits}
    assert ("kecamatan", "Karawaci") in kinds
    assert any(kind == "kelurahan" and "Karawaci" in name for kind, name in kinds)
    assert places_search(q="zzzzqqqq") == []


def test_the_api_answers_names_and_points(city, api):
    r = api.get("/api/v1/places/", {"q": "situ cipondo"})
    assert r.status_code == 200, r.content
    first = r.json()["results"][0]
    assert first["name"] == "Situ Cipondoh" and first["kecamatan"] == "Cipondoh" and first["bbox"] is None
    assert -6.3 < first["lat"] < -6.0 and 106.5 < first["lon"] < 106.8
    r = api.get("/api/v1/places/", {"q": "cipondoh", "limit": 3})
    assert len(r.json()["results"]) == 3


@pytest.mark.parametrize("params, field", [
    ({}, "q"), ({"q": "a"}, "q"), ({"q": "x" * 101}, "q"), ({"q": "pasar\x00"}, "q"),
    ({"q": "pasar", "limit": "0"}, "limit"), ({"q": "pasar", "limit": "lots"}, "limit"),
])
def test_bad_queries_are_a_400_naming_the_field(city, api, params, field):
    r = api.get("/api/v1/places/", params)
    assert r.status_code == 400, r.content
    assert field in r.json()


def test_the_search_is_rate_limited_per_client(city, api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public_search": "3/min"}}
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    codes = [api.get("/api/v1/places/", {"q": "pasar"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_bad_row_names_its_file_and_line_and_writes_nothing(city, tmp_path):
    from boundaries.services import PlacesLoadError, places_load

    path = tmp_path / "places.csv"
    path.write_text("key,name,kind,lat,lon\nok,Pasar Contoh,market,-6.18,106.63\nbad,Taman,zoo,-6.18,106.63\n")
    before = Place.objects.count()
    with pytest.raises(PlacesLoadError, match=r"places.csv:3: kind 'zoo'"):
        places_load(path)
    assert Place.objects.count() == before
