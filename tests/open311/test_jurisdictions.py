"""Open311 jurisdiction_id on a deployment of several governments (issue 18): the government's
code or host name; on the shared endpoint missing is 400 and unknown 404 (GeoReport v2); a
government's own endpoint (host or /<kode>/ path) defaults it and serves only that government."""

from __future__ import annotations

import pytest
from django.urls import set_script_prefix

from fieldops.models import Complaint
from open311.services import api_client_create
from tests.conftest import CITY_HALL
from tests.open311.test_georeport_v2 import BASE, FORMATS, errors, records
from tests.support.neighbour import CODE, neighbour_ensure, outside_point

HOST = "laksa.kabtangerang.test"


@pytest.fixture
def two(city, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST, "laksa.tangerangkota.go.id"]
    return neighbour_ensure(hosts=[HOST])


@pytest.fixture(autouse=True)
def _script_prefix():
    yield
    set_script_prefix("/")  # a request under /36.03/ leaves it set in this thread


@pytest.fixture
def key(city):
    return api_client_create(name="Jurisdiction client")[1]


def codes(resp, fmt):
    return [s["service_code"] for s in records(resp, fmt, "services", "service")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_shared_endpoint_of_two_governments_needs_a_known_jurisdiction(two, client, fmt):
    r = client.get(f"{BASE}/services.{fmt}")
    assert r.status_code == 400
    [e] = errors(r, fmt)
    # Named with the governments it could be (in the request's language: Indonesian by default).
    assert e["description"].startswith("jurisdiction_id ") and "36.03" in e["description"] and "36.71" in e["description"]
    r = client.get(f"{BASE}/services.{fmt}", {"lang": "en"})
    assert "jurisdiction_id is required" in errors(r, fmt)[0]["description"]
    r = client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "99.99"})
    assert r.status_code == 404 and "99.99" in errors(r, fmt)[0]["description"]
    r = client.get(f"{BASE}/requests.{fmt}", {"jurisdiction_id": "laksa.unknown.go.id"})
    assert r.status_code == 404
    # Discovery names the endpoint itself: no jurisdiction needed; a government's path keeps its prefix.
    assert client.get(f"{BASE}/discovery.{fmt}").status_code == 200
    r = client.get(f"/3603{BASE}/discovery.json")
    assert r.json()["endpoints"][0]["url"] == "http://testserver/3603/open311/v2/"


@pytest.mark.parametrize("jurisdiction", ["36.03", "3603", HOST, HOST.upper()])
def test_jurisdiction_by_code_or_host_lists_that_governments_services(two, client, jurisdiction):
    r = client.get(f"{BASE}/services.json", {"jurisdiction_id": jurisdiction})
    assert r.status_code == 200
    assert codes(r, "json") == ["roads", "drainage"]
    tangerang = codes(client.get(f"{BASE}/services.json", {"jurisdiction_id": "36.71"}), "json")
    assert {"roads", "drainage", "garbage", "adminduk"} <= set(tangerang)


@pytest.mark.parametrize("fmt", FORMATS)
def test_own_endpoint_by_host_or_path_defaults_the_jurisdiction(two, client, fmt):
    by_host = client.get(f"{BASE}/services.{fmt}", HTTP_HOST=HOST)
    by_path = client.get(f"/36.03{BASE}/services.{fmt}")
    by_short_path = client.get(f"/3603{BASE}/services.{fmt}")
    for r in (by_host, by_path, by_short_path):
        assert r.status_code == 200
        assert codes(r, fmt) == ["roads", "drainage"]
    # Its own id is accepted; another government's is not found here.
    assert client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": CODE}, HTTP_HOST=HOST).status_code == 200
    r = client.get(f"/36.03{BASE}/services.{fmt}", {"jurisdiction_id": "36.71"})
    assert r.status_code == 404 and "36.71" in errors(r, fmt)[0]["description"]
    # A service the government did not enable is unknown there.
    assert client.get(f"/36.03{BASE}/services/garbage.{fmt}").status_code == 404
    assert client.get(f"/36.71{BASE}/services/garbage.{fmt}").status_code == 200


def test_post_creates_in_the_jurisdiction_and_refuses_a_pin_of_another(two, client, key):
    lon, lat = outside_point()
    fields = {"api_key": key, "service_code": "roads", "description": "Jalan desa berlubang",
              "lat": str(lat), "long": str(lon), "jurisdiction_id": CODE}
    r = client.post(f"{BASE}/requests.json", fields)
    assert r.status_code == 200, r.content
    code = r.json()[0]["service_request_id"]
    complaint = Complaint.objects.select_related("government", "agency").get(tracking_code=code)
    assert complaint.government.code == CODE
    # Listed under its own jurisdiction only.
    mine = records(client.get(f"{BASE}/requests.json", {"jurisdiction_id": CODE}), "json")
    assert [m["service_request_id"] for m in mine] == [code]
    theirs = records(client.get(f"{BASE}/requests.json", {"jurisdiction_id": "36.71"}), "json")
    assert code not in [t["service_request_id"] for t in theirs]
    assert client.get(f"{BASE}/requests/{code}.json", {"jurisdiction_id": "36.71"}).status_code == 404

    # A pin in Kota Tangerang posted to Kabupaten Tangerang: 400 naming the location, nothing kept.
    before = Complaint.objects.count()
    r = client.post(f"{BASE}/requests.xml", {**fields, "lat": str(CITY_HALL[1]), "long": str(CITY_HALL[0])})
    assert r.status_code == 400
    [e] = errors(r, "xml")
    assert e["description"].startswith("lat/long:")
    assert "Kota Tangerang" in e["description"] and "Kabupaten Tangerang" in e["description"]
    r = client.post(f"{BASE}/requests.json?lang=en", {**fields, "lat": str(CITY_HALL[1]), "long": str(CITY_HALL[0])})
    assert "is in Kota Tangerang, not in Kabupaten Tangerang" in errors(r, "json")[0]["description"]
    assert Complaint.objects.count() == before
    # A category the jurisdiction did not enable: 404 as an unknown service_code.
    r = client.post(f"{BASE}/requests.json", {**fields, "service_code": "garbage"})
    assert r.status_code == 404 and "garbage" in errors(r, "json")[0]["description"]
    # Missing on the shared endpoint of two governments: 400, nothing created.
    r = client.post(f"{BASE}/requests.json", {k: v for k, v in fields.items() if k != "jurisdiction_id"})
    assert r.status_code == 400 and Complaint.objects.count() == before


def test_a_request_in_the_second_government_goes_to_one_of_its_offices(two, client, key):
    lon, lat = outside_point()
    r = client.post(f"{BASE}/requests.json", {"api_key": key, "service_code": "roads", "description": "Jalan desa berlubang",
                                               "lat": str(lat), "long": str(lon), "jurisdiction_id": CODE})
    complaint = Complaint.objects.select_related("agency").get(tracking_code=r.json()[0]["service_request_id"])
    assert complaint.agency.government_id == two.pk


def test_one_government_serves_without_jurisdiction_and_404s_an_unknown_one(city, client):
    r = client.get(f"{BASE}/services.json")
    assert r.status_code == 200 and "roads" in codes(r, "json")
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "36.71"}).status_code == 200
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "laksa.tangerangkota.go.id"}).status_code == 200
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "36.03"}).status_code == 404


def test_a_key_issued_for_one_government_posts_only_to_its_jurisdiction(two, client):
    """Open311 credentials per government: a key issued for Kota Tangerang is refused (403, naming
    both) on Kabupaten Tangerang's jurisdiction, and works on its own; nothing is created."""
    from boundaries.models import Government

    _client, tangerang_key = api_client_create(name="Aplikasi Kota", government=Government.objects.get(code="36.71"))
    lon, lat = outside_point()
    before = Complaint.objects.count()
    r = client.post(f"{BASE}/requests.json?lang=en", {
        "api_key": tangerang_key, "service_code": "roads", "description": "Jalan desa berlubang",
        "lat": str(lat), "long": str(lon), "jurisdiction_id": CODE})
    assert r.status_code == 403 and Complaint.objects.count() == before
    assert errors(r, "json")[0]["description"] == (
        "This api_key is issued for Kota Tangerang; it may not post requests to Kabupaten Tangerang.")
    r = client.post(f"{BASE}/requests.json", {
        "api_key": tangerang_key, "service_code": "roads", "description": "Jalan berlubang di depan balai kota",
        "lat": str(CITY_HALL[1]), "long": str(CITY_HALL[0]), "jurisdiction_id": "36.71"})
    assert r.status_code == 200, r.content
