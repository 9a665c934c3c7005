"""Issue 18's Open311 acceptance with a third-party client: `georeport` (PyPI, 0.3.1, the most
recently maintained Python GeoReport v2 client) against the live server (daphne, as the browser
tests run it), on a deployment of two governments.

georeport reads services, service definitions and requests, sending `jurisdiction_id` itself;
it has no call to create a request (no version on PyPI has one), so the POST is the spec's
form POST made with `requests`, the HTTP library georeport itself uses, with the client's own
jurisdiction and api_key. The older clients that could post (`three`, `open311`) are Python 2."""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from tests.browser.conftest import e2e_database, e2e_db, server  # noqa: F401  (the live server fixtures)
from tests.support.neighbour import CODE, neighbour_ensure, neighbour_remove, outside_point


@pytest.fixture
def live(e2e_db, server):  # noqa: F811
    from open311.models import ApiClient
    from open311.services import api_client_create

    client, key = api_client_create(name="georeport (PyPI)")
    try:
        neighbour_ensure()
        yield server, key
    finally:
        neighbour_remove()
        ApiClient.objects.filter(pk=client.pk).delete()


def test_georeport_reads_services_and_posts_a_request_with_jurisdiction(live):
    from fieldops.models import Complaint

    server, key = live
    base = f"{server.url}/open311/v2"
    client = GeoReport(base, jurisdiction=CODE, api_key=key)
    services = client.get_service_list()
    assert [s["service_code"] for s in services] == ["roads", "drainage"]
    definition = client.get_service_definition("roads")
    assert definition["service_code"] == "roads" and {a["code"] for a in definition["attributes"]} >= {"accuracy_m"}
    # The same in XML, with the jurisdiction given as 3603.
    xml = GeoReport(base, jurisdiction="3603", output_format="xml")
    assert [s["service_code"] for s in xml.get_service_list()] == ["roads", "drainage"]

    lon, lat = outside_point()
    r = requests.post(f"{base}/requests.json", timeout=20, data={
        "jurisdiction_id": client.jurisdiction, "api_key": client.api_key, "service_code": "roads",
        "lat": lat, "long": lon, "description": "Jalan desa rusak parah (klien georeport)"})
    assert r.status_code == 200, r.text
    code = r.json()[0]["service_request_id"]
    assert Complaint.objects.get(tracking_code=code).government.code == CODE

    got = client.get_service_request(code)
    assert got["service_request_id"] == code and got["service_code"] == "roads" and got["status"] == "open"
    assert [x["service_request_id"] for x in client.get_service_requests(service_request_id=code)] == [code]
    # Kota Tangerang's jurisdiction does not list it.
    tangerang = GeoReport(base, jurisdiction="36.71")
    assert code not in [x["service_request_id"] for x in tangerang.get_service_requests()]
    # The government's own endpoint (its /<kode>/ path) needs no jurisdiction_id.
    own = GeoReport(f"{server.url}/36.03/open311/v2")
    assert [s["service_code"] for s in own.get_service_list()] == ["roads", "drainage"]


@pytest.mark.parametrize("jurisdiction, status", [(None, 400), ("99.99", 404), ("laksa.unknown.go.id", 404)])
def test_georeport_missing_jurisdiction_is_400_and_unknown_404(live, jurisdiction, status):
    server, _key = live
    client = GeoReport(f"{server.url}/open311/v2", jurisdiction=jurisdiction)
    for call in (client.get_service_list, client.get_service_requests):
        with pytest.raises(requests.HTTPError) as raised:
            call()
        response = raised.value.response
        assert response.status_code == status
        [error] = response.json()  # the spec's error array
        assert set(error) == {"code", "description"} and int(error["code"]) == status
        assert "jurisdiction_id" in error["description"]
