"""The complaint intake API: create, validation, idempotency, privacy, list and locate."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fieldops.models import Complaint, ComplaintEvent, Photo
from fieldops.reporters import hash_token
from tests.conftest import CITY_HALL, KARAWACI, jpeg_bytes
from tests.support.worker import media_jobs_run

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"
PHONE = "081299990000"
EMAIL = "warga.rahasia@example.id"


def body(**over):
    data = {
        "category": "roads",
        "description": "Jalan berlubang di depan sekolah",
        "location": {"type": "Point", "coordinates": list(CITY_HALL)},
        "reporter_name": "Budi Santoso",
        "reporter_phone": PHONE,
        "reporter_email": EMAIL,
    }
    data.update(over)
    return data


def post(api, data, **headers):
    return api.post(URL, data=json.dumps(data), content_type="application/json", headers=headers)


def test_create_routes_to_areas_and_agency_and_starts_the_log(city, api):
    r = post(api, body())
    assert r.status_code == 201, r.content
    d = r.json()
    assert d["tracking_code"].startswith("LKS-") and len(d["tracking_code"]) == 13
    assert d["status"] == "new" and d["status_color"] == "red"
    assert d["kecamatan"] == {"code": "36.71.01", "name": "Tangerang"}
    assert d["kelurahan"]["code"].startswith("36.71.01.")
    assert d["agency"]["code"] == "dpupr"
    assert d["due_at"] and d["reporter_token"]
    c = Complaint.objects.get(tracking_code=d["tracking_code"])
    assert c.reporter_token_hash == hash_token(d["reporter_token"])
    assert c.generation_id is not None
    assert (c.due_at - c.created_at).total_seconds() == 72 * 3600
    assert list(ComplaintEvent.objects.filter(complaint=c).values_list("type", flat=True)) == ["created"]


def test_geojson_coordinates_round_trip_longitude_first(city, api):
    lon, lat = 106.6403217, -6.1781234
    d = post(api, body(location={"type": "Point", "coordinates": [lon, lat]})).json()
    assert d["location"] == {"type": "Point", "coordinates": [lon, lat]}
    c = Complaint.objects.get(tracking_code=d["tracking_code"])
    assert (round(c.location.x, 7), round(c.location.y, 7)) == (lon, lat)
    detail = api.get(f"{URL}{d['tracking_code']}/").json()
    assert detail["location"]["coordinates"] == [lon, lat]
    feature = api.get(URL).json()["features"][0]
    assert feature["geometry"]["coordinates"] == [lon, lat]


def test_lat_lon_object_is_accepted(city, api):
    r = post(api, body(location={"lat": KARAWACI[1], "lon": KARAWACI[0]}))
    assert r.status_code == 201
    assert r.json()["kecamatan"]["name"] == "Karawaci"


def test_multipart_with_photo(city, api):
    photo = SimpleUploadedFile("lubang.jpg", jpeg_bytes(), content_type="image/jpeg")
    r = api.post(URL, {"category": "drainage", "description": "Got mampet", "lat": CITY_HALL[1], "lon": CITY_HALL[0],
                       "photo": photo}, format="multipart")
    assert r.status_code == 201, r.content
    c = Complaint.objects.get(tracking_code=r.json()["tracking_code"])
    assert Photo.objects.filter(complaint=c, kind="report").count() == 1
    # 201 before the derivatives exist: the job deferred with the report makes them.
    assert [(p["state"], p["url"]) for p in api.get(f"{URL}{c.tracking_code}/").json()["photos"]] == [("processing", None)]
    assert media_jobs_run() == ["ready"]
    detail = api.get(f"{URL}{c.tracking_code}/").json()
    assert detail["photos"][0]["url"].startswith("http://testserver/media/public/")


def test_idempotency_key_returns_the_first_response_and_creates_nothing(city, api):
    first = post(api, body(), **{"Idempotency-Key": "abc-123"})
    again = post(api, body(), **{"Idempotency-Key": "abc-123"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Complaint.objects.count() == 1
    # The same key with another body is another request: refused (issue 13), not the first answer.
    different = post(api, body(description="different"), **{"Idempotency-Key": "abc-123"})
    assert different.status_code == 422 and "Idempotency-Key" in different.json()
    assert Complaint.objects.count() == 1
    other = post(api, body(), **{"Idempotency-Key": "abc-124"})
    assert other.status_code == 201, other.content
    assert other.json()["tracking_code"] != first.json()["tracking_code"]
    assert Complaint.objects.count() == 2


def test_outside_point_gets_400_with_city_nearest_kecamatan_and_distance(city, api):
    r = post(api, body(location={"type": "Point", "coordinates": [106.8272, -6.1754]}))
    assert r.status_code == 400
    msg = r.json()["location"][0]
    assert "Kota Tangerang" in msg and " m " in msg
    assert any(k in msg for k in ["Larangan", "Ciledug", "Karang Tengah", "Pinang", "Cipondoh", "Benda", "Batuceper"])
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize(
    "override,field",
    [
        ({"location": {"type": "Point", "coordinates": [106.64, -96]}}, "location.lat"),
        ({"location": {"type": "Point", "coordinates": [206.64, -6.1]}}, "location.lon"),
        ({"location": {"lat": "abc", "lon": 106.64}}, "location.lat"),
        ({"location": {"type": "Point", "coordinates": ["x", -6.1]}}, "location.lon"),
        ({"location": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}}, "location"),
        ({"location": None}, "location"),
        ({"category": "unicorns"}, "category"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"reporter_email": "not-an-email"}, "reporter_email"),
        ({"accuracy": "far"}, "accuracy"),
        ({"channel": "phone"}, "channel"),
        ({"channel": "lapor"}, "channel"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(city, api, override, field):
    r = post(api, body(**override))
    assert r.status_code == 400, r.content
    assert field in r.json(), r.json()
    assert Complaint.objects.count() == 0 and ComplaintEvent.objects.count() == 0


def test_non_finite_coordinates_are_refused(city, api):
    r = api.post(URL, data='{"category":"roads","description":"x","location":{"lat":NaN,"lon":106.6}}',
                 content_type="application/json")
    assert r.status_code == 400


def test_malformed_json_is_400(city, api):
    r = api.post(URL, data="{bad json", content_type="application/json")
    assert r.status_code == 400 and "body" in r.json()
    r = api.post(URL, data="[1, 2]", content_type="application/json")
    assert r.status_code == 400


@pytest.mark.parametrize(
    "upload,needle",
    [
        (SimpleUploadedFile("x.jpg", b"this is text, not a photo", content_type="image/jpeg"), "not a JPEG"),
        (SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 10), content_type="image/jpeg"), "larger than 10 MB"),
    ],
)
def test_bad_photo_is_400_and_nothing_is_written(city, api, upload, needle):
    r = api.post(URL, {"category": "roads", "description": "x", "lat": CITY_HALL[1], "lon": CITY_HALL[0], "photo": upload},
                 format="multipart")
    assert r.status_code == 400
    assert needle in r.json()["photo"][0]
    assert Complaint.objects.count() == 0


def test_public_endpoints_never_contain_reporter_contact(city, api):
    code = post(api, body()).json()["tracking_code"]
    for url in [URL, f"{URL}{code}/", f"{URL}?status=new", f"/api/v1/locate/?lat={CITY_HALL[1]}&lon={CITY_HALL[0]}&category=roads"]:
        text = api.get(url).content.decode()
        assert PHONE not in text and EMAIL not in text and "Budi Santoso" not in text
        assert "reporter_token" not in text


def test_list_filters(city, api):
    a = post(api, body()).json()["tracking_code"]
    b = post(api, body(category="garbage", location={"lat": KARAWACI[1], "lon": KARAWACI[0]})).json()["tracking_code"]

    def codes(q):
        r = api.get(URL + q)
        assert r.status_code == 200, r.content
        return {f["id"] for f in r.json()["features"]}

    assert codes("") == {a, b}
    assert codes("?category=garbage") == {b}
    assert codes("?kecamatan=Karawaci") == {b}
    assert codes("?kecamatan=36.71.01") == {a}
    assert codes("?agency=dlh") == {b}
    assert codes("?status=new") == {a, b}
    assert codes("?bbox=106.63,-6.19,106.65,-6.17") == {a}
    assert codes("?created_after=2000-01-01") == {a, b}
    assert codes("?created_before=2000-01-01") == set()
    assert api.get(URL + "?bbox=1,2,3").status_code == 400
    assert api.get(URL + "?status=purple").status_code == 400
    assert api.get(URL + "?created_after=yesterday").status_code == 400


def test_detail_404_for_unknown_code(city, api):
    assert api.get(f"{URL}LKS-0000-0000/").status_code == 404


def test_locate_shows_areas_agency_and_outside_message(city, api):
    r = api.get(f"/api/v1/locate/?lat={KARAWACI[1]}&lon={KARAWACI[0]}&category=garbage").json()
    assert r["in_service_area"] and r["kecamatan"]["name"] == "Karawaci" and r["agency"]["code"] == "dlh"
    r = api.get("/api/v1/locate/?lat=-6.1754&lon=106.8272").json()
    assert r["in_service_area"] is False and "Kota Tangerang" in r["message"]
    assert api.get("/api/v1/locate/?lat=abc&lon=1").status_code == 400
    assert api.get("/api/v1/locate/?lat=-6.1&lon=106.6&category=nope").status_code == 400


def test_similar_reports_nearby(city, api):
    first = post(api, body()).json()["tracking_code"]
    near = [CITY_HALL[0] + 0.0002, CITY_HALL[1]]  # about 22 m east
    second = post(api, body(location={"type": "Point", "coordinates": near})).json()
    assert second["similar_nearby"] == [first]
    r = api.get(f"/api/v1/locate/?lat={near[1]}&lon={near[0]}&category=roads").json()
    assert [s["tracking_code"] for s in r["similar_nearby"]][:1] in ([first], [second["tracking_code"]])
    far = post(api, body(location={"type": "Point", "coordinates": [CITY_HALL[0] + 0.002, CITY_HALL[1]]})).json()
    assert far["similar_nearby"] == []


def test_categories_agencies_boundaries(city, api):
    cats = api.get("/api/v1/categories/").json()
    assert {"roads", "drainage", "garbage", "adminduk", "other"} <= {c["slug"] for c in cats}
    agencies = {a["code"] for a in api.get("/api/v1/agencies/").json()}
    assert {"dpupr", "dlh", "diskominfo", "kec-karawaci"} <= agencies
    kec = api.get("/api/v1/boundaries/kecamatan/?simplify=20").json()
    assert len(kec["features"]) == 13
    assert len(api.get("/api/v1/boundaries/kelurahan/").json()["features"]) == 104
    assert api.get("/api/v1/boundaries/negara/").status_code == 404
    assert api.get("/api/v1/boundaries/kota/?simplify=abc").status_code == 400


def test_token_login(city, api):
    r = api.post("/api/v1/auth/token/", {"username": "operator", "password": "laksa-demo"}, format="json")
    assert r.status_code == 200 and len(r.json()["token"]) == 40
    assert api.post("/api/v1/auth/token/", {"username": "operator", "password": "wrong"}, format="json").status_code == 400


def test_openapi_schema_and_docs(city, api):
    assert api.get("/api/schema/").status_code == 200
    assert api.get("/api/docs/").status_code == 200


def test_a_clashing_tracking_code_is_replaced_without_losing_the_report(city, api, monkeypatch):
    from fieldops import services

    first = post(api, body()).json()["tracking_code"]
    codes = iter([first, "LKS-ABCD-EFGH"])
    monkeypatch.setattr(services, "new_tracking_code", lambda: next(codes))
    r = post(api, body())
    assert r.status_code == 201
    assert r.json()["tracking_code"] == "LKS-ABCD-EFGH"
    assert Complaint.objects.count() == 2
    assert ComplaintEvent.objects.filter(complaint__tracking_code="LKS-ABCD-EFGH", type="created").count() == 1


def test_locate_answers_the_government_the_desa_kind_and_the_accuracy_circle(city, api):
    r = api.get(f"/api/v1/locate/?lat={KARAWACI[1]}&lon={KARAWACI[0]}&category=garbage&accuracy_m=30").json()
    assert r["served"] is True and r["in_service_area"] is True and r["lapor_handoff"] is False
    assert r["government"] == {"code": "36.71", "name": "Kota Tangerang"}
    assert r["kelurahan"]["jenis"] == "kelurahan" and r["kelurahan"]["code"].startswith(r["kecamatan"]["code"] + ".")
    assert r["province"] == {"code": "36", "name": "Banten"}  # from the government (no province area loaded here)
    assert r["alternatives"] == []  # one government in this database
    # Jakarta without the national layer: not served, nobody named, no handoff offered.
    r = api.get("/api/v1/locate/?lat=-6.1754&lon=106.8272&category=roads").json()
    assert r["served"] is False and r["government"] is None and r["lapor_handoff"] is False
    too_wide = api.get(f"/api/v1/locate/?lat={KARAWACI[1]}&lon={KARAWACI[0]}&accuracy_m=50000")
    assert too_wide.status_code == 400 and "accuracy_m" in too_wide.json()
    # A handoff asked for at a served pin is an ordinary report.
    created = post(api, body(lapor_handoff=True))
    assert created.status_code == 201 and created.json()["tracking_code"]
