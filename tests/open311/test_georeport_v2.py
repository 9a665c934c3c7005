"""Open311 GeoReport v2 conformance, written from the specification
(http://wiki.open311.org/GeoReport_v2): every endpoint in XML and JSON, the error array,
the 90-day and 1000-result limits, and the round trip with the native API."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fieldops.models import Complaint, Status
from open311.models import Open311Request
from open311.services import api_client_create
from tests.conftest import CITY_HALL, KARAWACI, make_complaint

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
FORMATS = ["xml", "json"]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description"]
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
SECRET_EMAIL, SECRET_PHONE, SECRET_NAME = "rahasia.warga@example.id", "081277776666", "Siti Rahasia"


@pytest.fixture
def key(city):
    return api_client_create(name="Test client")[1]


# ---------------------------------------------------------------- parsing per the spec


def parse(resp, fmt):
    """The body as Python data: XML by the spec's element names, JSON as is."""
    body = resp.content
    if fmt == "json":
        assert resp["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(body)
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(body)


def xml_records(root, root_tag, item_tag) -> list[dict]:
    assert root.tag == root_tag
    out = []
    for item in root:
        assert item.tag == item_tag
        out.append({child.tag: (child.text or "") for child in item})
    return out


def records(resp, fmt, root_tag="service_requests", item_tag="request") -> list[dict]:
    data = parse(resp, fmt)
    if fmt == "json":
        assert isinstance(data, list)
        return data
    return xml_records(data, root_tag, item_tag)


def errors(resp, fmt) -> list[dict]:
    """The spec's error array: [{code, description}]."""
    out = records(resp, fmt, "errors", "error")
    assert out, "an error response carries at least one error"
    for e in out:
        assert set(e) == {"code", "description"}
        assert int(e["code"]) >= 400 and e["description"]
    return out


def post(client, fmt, **fields):
    return client.post(f"{BASE}/requests.{fmt}", data=fields)  # form-encoded


def valid_fields(key, **over):
    data = {"api_key": key, "service_code": "roads", "lat": str(CITY_HALL[1]), "long": str(CITY_HALL[0]),
            "description": "Lubang besar di jalan", "email": SECRET_EMAIL, "phone": SECRET_PHONE,
            "first_name": "Siti", "last_name": "Rahasia", "device_id": "dev-1", "account_id": "acc-77",
            "media_url": "https://example.org/foto.jpg", "jurisdiction_id": "36.71"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------- discovery and services


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_lists_the_v2_endpoint_and_both_formats(city, client, fmt):
    r = client.get(f"{BASE}/discovery.{fmt}")
    assert r.status_code == 200
    data = parse(r, fmt)
    if fmt == "xml":
        assert data.tag == "discovery"
        endpoints = [{c.tag: c for c in ep} for ep in data.find("endpoints")]
        formats = [f.text for f in endpoints[0]["formats"]]
        spec = endpoints[0]["specification"].text
        url = endpoints[0]["url"].text
        assert data.find("changeset").text and data.find("contact") is not None and data.find("key_service") is not None
    else:
        assert {"changeset", "contact", "key_service", "endpoints"} <= set(data)
        formats, spec, url = data["endpoints"][0]["formats"], data["endpoints"][0]["specification"], data["endpoints"][0]["url"]
    assert spec == "http://wiki.open311.org/GeoReport_v2"
    assert set(formats) == {"text/xml", "application/json"}
    assert url.endswith("/open311/v2/")


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_categories_with_every_field(city, client, fmt):
    r = client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "laksa.tangerangkota.go.id"})
    assert r.status_code == 200
    services = records(r, fmt, "services", "service")
    codes = [s["service_code"] for s in services]
    assert "roads" in codes and "garbage" in codes and "adminduk" in codes
    for s in services:
        assert set(SERVICE_FIELDS) <= set(s)
        assert str(s["metadata"]).lower() in {"true", "false"}
        assert s["type"] in {"realtime", "batch", "blackbox"}
    roads = services[codes.index("roads")]
    assert roads["service_name"] == "Jalan rusak"  # Bahasa Indonesia is the default language


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_has_typed_attributes(city, client, fmt):
    r = client.get(f"{BASE}/services/roads.{fmt}")
    assert r.status_code == 200
    data = parse(r, fmt)
    if fmt == "xml":
        assert data.tag == "service_definition"
        assert data.find("service_code").text == "roads"
        attrs = []
        for a in data.find("attributes"):
            assert a.tag == "attribute"
            rec = {c.tag: (c.text or "") for c in a if c.tag != "values"}
            rec["values"] = [{v.find("key").text: v.find("name").text} for v in a.find("values")]
            attrs.append(rec)
    else:
        assert data["service_code"] == "roads"
        attrs = [{**a, "values": [{v["key"]: v["name"]} for v in a["values"]]} for a in data["attributes"]]
    assert attrs
    orders = [int(a["order"]) for a in attrs]
    assert len(set(orders)) == len(orders) and min(orders) >= 1
    for a in attrs:
        assert set(ATTRIBUTE_FIELDS) <= set(a)
        assert a["datatype"] in DATATYPES
        assert str(a["variable"]).lower() in {"true", "false"} and str(a["required"]).lower() in {"true", "false"}
        if a["datatype"] in {"singlevaluelist", "multivaluelist"}:
            assert a["values"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_404_with_error_array(city, client, fmt):
    r = client.get(f"{BASE}/services/no-such-thing.{fmt}")
    assert r.status_code == 404
    assert "no-such-thing" in errors(r, fmt)[0]["description"]


# ---------------------------------------------------------------- POST requests


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_creates_a_routed_complaint_through_the_one_intake_path(key, client, fmt):
    r = post(client, fmt, **valid_fields(key, **{"attribute[accuracy_m]": "8.5"}))
    assert r.status_code == 200, r.content
    [rec] = records(r, fmt)
    assert set(rec) == {"service_request_id", "service_notice", "account_id"}  # never token with an id
    code = rec["service_request_id"]
    assert rec["account_id"] == "acc-77" and rec["service_notice"]
    c = Complaint.objects.get(tracking_code=code)
    assert c.channel == "open311" and c.status == Status.NEW
    assert c.kecamatan.code == "36.71.01" and c.agency.code == "dpupr"
    assert (c.reporter_email, c.reporter_phone, c.reporter_name) == (SECRET_EMAIL, SECRET_PHONE, SECRET_NAME)
    assert c.accuracy_m == 8.5
    assert c.open311.media_url == "https://example.org/foto.jpg" and c.open311.device_id == "dev-1"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fields,status,needle", [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "wrong-key"}, 403, "api_key"),
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "unicorns"}, 404, "unicorns"),
    ({"lat": None, "long": None}, 400, "lat"),
    ({"long": None}, 400, "long"),
    ({"lat": "-6.9", "long": "110.4"}, 400, "outside the service area"),
    ({"lat": "north"}, 400, "lat"),
    ({"description": "   "}, 400, "description"),
    ({"email": "not-an-email"}, 400, "email"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"attribute[accuracy_m]": "abc"}, 400, "attribute[accuracy_m]"),
    ({"attribute[anonymous]": "maybe"}, 400, "attribute[anonymous]"),
    ({"lat": None, "long": None, "address_string": "Jalan Entah, Atlantis"}, 400, "address_string"),
], ids=["no-key", "bad-key", "no-code", "unknown-code", "no-location", "lat-only", "outside", "lat-nan",
        "blank-description", "bad-email", "bad-media-url", "bad-number-attr", "bad-list-attr", "unknown-address"])
def test_post_errors(key, client, fmt, fields, status, needle):
    before = Complaint.objects.count()
    r = post(client, fmt, **valid_fields(key, **fields))
    assert r.status_code == status, r.content
    assert needle in errors(r, fmt)[0]["description"]
    assert Complaint.objects.count() == before  # nothing half-written


def test_inactive_key_is_refused(city, client):
    c, raw = api_client_create(name="Old app")
    c.active = False
    c.save()
    r = post(client, "json", **valid_fields(raw))
    assert r.status_code == 403


def test_address_string_alone_is_located_in_the_named_kelurahan(key, client):
    from boundaries.models import AdminArea, BoundaryGeneration

    kel = AdminArea.objects.filter(generation=BoundaryGeneration.current(), level="kelurahan").order_by("code")[5]
    r = post(client, "json", **valid_fields(key, lat=None, long=None, address_string=f"Jl. Melati 3, {kel.name}, Tangerang"))
    assert r.status_code == 200, r.content
    c = Complaint.objects.get(tracking_code=r.json()[0]["service_request_id"])
    assert c.kelurahan_id == kel.id and c.address.startswith("Jl. Melati 3")


# ---------------------------------------------------------------- GET requests


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_request_has_every_field_and_no_reporter_contact(key, client, fmt):
    code = post(client, "json", **valid_fields(key)).json()[0]["service_request_id"]
    r = client.get(f"{BASE}/requests/{code}.{fmt}", {"jurisdiction_id": "3671"})
    assert r.status_code == 200
    [rec] = records(r, fmt)
    assert list(rec)[: len(REQUEST_FIELDS)] == REQUEST_FIELDS
    assert rec["service_request_id"] == code and rec["status"] == "open" and rec["service_code"] == "roads"
    assert float(rec["lat"]) == pytest.approx(CITY_HALL[1]) and float(rec["long"]) == pytest.approx(CITY_HALL[0])
    assert rec["media_url"] == "https://example.org/foto.jpg"
    assert rec["agency_responsible"].startswith("Dinas Pekerjaan Umum")
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        dt = parse_datetime(rec[field])
        assert dt is not None and dt.tzinfo is not None  # w3 format with a timezone
    assert "extended_attributes" not in rec
    for secret in (SECRET_EMAIL, SECRET_PHONE, "Rahasia", "acc-77", "dev-1"):
        assert secret.encode() not in r.content


@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_the_red_yellow_green_detail(key, client, fmt):
    code = post(client, "json", **valid_fields(key)).json()[0]["service_request_id"]
    r = client.get(f"{BASE}/requests/{code}.{fmt}", {"extensions": "true"})
    if fmt == "xml":
        ext = {c.tag: c.text for c in ET.fromstring(r.content).find("request").find("extended_attributes")}
    else:
        ext = r.json()[0]["extended_attributes"]
    assert ext["status_color"] == "red" and ext["status_detail"] == "new"
    assert ext["kecamatan_code"] == "36.71.01" and ext["agency_code"] == "dpupr" and ext["channel"] == "open311"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_token_are_404(city, client, fmt):
    for path in ("requests/LKS-0000-0000", "tokens/nope"):
        r = client.get(f"{BASE}/{path}.{fmt}")
        assert r.status_code == 404
        errors(r, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_resolves_to_the_service_request_id(key, client, fmt):
    code = post(client, "json", **valid_fields(key)).json()[0]["service_request_id"]
    token = Open311Request.objects.get(complaint__tracking_code=code).token
    [rec] = records(client.get(f"{BASE}/tokens/{token}.{fmt}"), fmt)
    assert rec == {"service_request_id": code, "token": token}


def _aged(code, days):
    Complaint.objects.filter(tracking_code=code).update(created_at=timezone.now() - timedelta(days=days))


@pytest.mark.parametrize("fmt", FORMATS)
def test_query_filters_and_the_90_day_window(city, client, fmt):
    roads = make_complaint(category="roads").complaint.tracking_code
    garbage = make_complaint(category="garbage", lonlat=KARAWACI).complaint.tracking_code
    old = make_complaint(category="roads").complaint.tracking_code
    _aged(old, 100)
    closed = make_complaint(category="roads").complaint.tracking_code
    closed_at = timezone.now() - timedelta(hours=5)
    Complaint.objects.filter(tracking_code=closed).update(status=Status.CLOSED, closed_at=closed_at)

    def ids(**params):
        r = client.get(f"{BASE}/requests.{fmt}", params)
        assert r.status_code == 200, r.content
        return {rec["service_request_id"] for rec in records(r, fmt)}

    default = ids()
    assert {roads, garbage, closed} <= default and old not in default  # the last 90 days
    assert garbage not in ids(service_code="roads") and roads in ids(service_code="roads,drainage")
    assert closed not in ids(status="open") and roads in ids(status="open")
    assert ids(status="closed") >= {closed} and roads not in ids(status="closed")
    assert {roads, closed} <= ids(status="open,closed")
    start = (timezone.now() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(start_date=start, end_date=end) & {roads, garbage, closed, old} == {old}
    [rec] = records(client.get(f"{BASE}/requests/{closed}.{fmt}"), fmt)
    assert rec["status"] == "closed" and parse_datetime(rec["updated_datetime"]) == closed_at.replace(microsecond=0)
    # service_request_id overrides every other argument.
    assert ids(service_request_id=f"{old},{garbage}", service_code="drainage", status="closed",
               start_date="2001-01-01T00:00:00Z", end_date="2001-01-02T00:00:00Z") == {old, garbage}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("params,needle", [
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"}, "90"),
    ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"}, "end_date"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-45"}, "end_date"),
    ({"status": "pending"}, "status"),
], ids=["span-over-90", "end-before-start", "bad-start", "bad-end", "bad-status"])
def test_query_errors(city, client, fmt, params, needle):
    r = client.get(f"{BASE}/requests.{fmt}", params)
    assert r.status_code == 400
    assert needle in errors(r, fmt)[0]["description"]


def test_at_most_1000_requests_newest_first(city, client):
    template = make_complaint().complaint
    now = timezone.now()
    rows = []
    source = Complaint.objects.get(pk=template.pk)
    for i in range(1005):
        c = copy.copy(source)
        c.pk, c.tracking_code = None, f"LKS-B{i:03d}-{i:04d}"
        c.created_at = c.updated_at = now - timedelta(minutes=i + 1)
        rows.append(c)
    Complaint.objects.bulk_create(rows)
    for fmt in FORMATS:
        got = records(client.get(f"{BASE}/requests.{fmt}"), fmt)
        assert len(got) == 1000
        assert got[0]["service_request_id"] == template.tracking_code  # the newest
        stamps = [parse_datetime(g["requested_datetime"]) for g in got]
        assert stamps == sorted(stamps, reverse=True)


def test_private_category_hides_the_location(key, client):
    code = post(client, "json", **valid_fields(key, service_code="adminduk")).json()[0]["service_request_id"]
    [rec] = client.get(f"{BASE}/requests/{code}.json").json()
    assert rec["lat"] is None and rec["long"] is None and rec["address"] is None


# ---------------------------------------------------------------- general errors, jurisdiction


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_jurisdiction_is_404_when_one_is_configured(city, client, settings, fmt):
    settings.OPEN311_JURISDICTION_ID = "kota.example"
    assert client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "kota.example"}).status_code == 200
    r = client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "other.example"})
    assert r.status_code == 404 and "other.example" in errors(r, fmt)[0]["description"]


def test_unknown_resource_format_and_method(city, client):
    r = client.get(f"{BASE}/requests.csv")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/xml")
    errors(r, "xml")
    r = client.get(f"{BASE}/nothing-here.json")
    assert r.status_code == 404
    errors(r, "json")
    r = client.delete(f"{BASE}/requests.json")
    assert r.status_code == 400 and "DELETE" in errors(r, "json")[0]["description"]


# ---------------------------------------------------------------- one intake path, two faces


def test_round_trip_between_open311_and_the_native_api(key, client, api):
    code = post(client, "json", **valid_fields(key)).json()[0]["service_request_id"]
    native = api.get(f"/api/v1/complaints/{code}/")
    assert native.status_code == 200
    n = native.json()
    assert n["channel"] == "open311" and n["category"]["slug"] == "roads" and n["status_color"] == "red"
    assert SECRET_EMAIL not in native.content.decode()

    made = api.post("/api/v1/complaints/", data=json.dumps({
        "category": "garbage", "description": "Sampah menumpuk",
        "location": {"type": "Point", "coordinates": list(KARAWACI)}}), content_type="application/json")
    assert made.status_code == 201
    native_code = made.json()["tracking_code"]
    [rec] = client.get(f"{BASE}/requests/{native_code}.json").json()
    assert rec["service_code"] == "garbage" and rec["status"] == "open"
    assert (rec["long"], rec["lat"]) == pytest.approx(KARAWACI)
    listed = {r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()}
    assert {code, native_code} <= listed
