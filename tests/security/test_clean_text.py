"""Issue 13, finding "one anonymous report breaks the Open311 XML feed for every consumer".

The attack: a description with U+0001 U+000B was stored, and /open311/v2/requests.xml was no
longer well-formed XML. Text is now clean at the door: a person's input with control characters
(C0 and C1 except tab and newline; CR becomes LF) or other characters XML 1.0 forbids is
refused with a 400 naming the field; feeds from other systems (SP4N-LAPOR!) are stripped. And
the Open311 XML renderer drops what XML forbids whatever the database holds.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.db import DatabaseError, transaction
from django.utils import translation

from fieldops.models import Complaint, ComplaintEvent
from open311.render import to_xml
from open311.services import api_client_create
from tests.conftest import CITY_HALL, KARAWACI, login, make_complaint

pytestmark = pytest.mark.django_db
ATTACK = "Lampu jalan mati\u0001\u000b di depan masjid"
# Every kind the door refuses: C0, DEL, C1, U+FFFE/U+FFFF and a lone surrogate (JSON can carry one).
REFUSED = ["\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\ufffe", "\uffff", "\ud800"]


@pytest.fixture
def key(city):
    return api_client_create(name="Attacker's app")[1]


def open311_fields(key, **over):
    data = {"api_key": key, "service_code": "street-lights", "lat": str(CITY_HALL[1]), "long": str(CITY_HALL[0]),
            "description": "Lampu jalan mati", "device_id": "dev-x"}
    data.update(over)
    return data


def assert_refused_naming(r, field: str):
    assert r.status_code == 400, r.content
    assert list(r.json()) == [field]
    assert "control" in r.json()[field][0] or "kontrol" in r.json()[field][0]


# ---------------------------------------------------------------- the attack, face by face


def test_rest_create_refuses_the_attack_description(city, api):
    r = api.post("/api/v1/complaints/", data=json.dumps({
        "category": "street-lights", "description": ATTACK,
        "location": {"type": "Point", "coordinates": list(CITY_HALL)}}), content_type="application/json")
    assert_refused_naming(r, "description")
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
@pytest.mark.parametrize("field", ["description", "address", "reporter_name", "reporter_phone"])
def test_rest_create_refuses_every_forbidden_character_in_every_text_field(city, api, field, char):
    body = {"category": "roads", "description": "Jalan rusak", "reporter_name": "Budi",
            "location": {"type": "Point", "coordinates": list(CITY_HALL)}}
    body[field] = f"teks{char}teks"
    r = api.post("/api/v1/complaints/", data=json.dumps(body), content_type="application/json")
    assert_refused_naming(r, field)
    assert not Complaint.objects.exists()


def test_rest_create_multipart_form_refuses_too(city, api):
    """The citizen page posts FormData."""
    r = api.post("/api/v1/complaints/", {"category": "roads", "description": ATTACK, "lat": CITY_HALL[1],
                                         "lon": CITY_HALL[0]}, format="multipart")
    assert_refused_naming(r, "description")


def test_tab_and_newlines_are_text_and_crlf_becomes_lf(city, api):
    r = api.post("/api/v1/complaints/", {"category": "roads", "description": "Baris satu\r\nBaris\tdua\rtiga",
                                         "lat": CITY_HALL[1], "lon": CITY_HALL[0]}, format="multipart")
    assert r.status_code == 201, r.content
    c = Complaint.objects.get(tracking_code=r.json()["tracking_code"])
    assert c.description == "Baris satu\nBaris\tdua\ntiga"


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize("field", ["description", "first_name", "account_id", "device_id", "attribute[note]"])
def test_open311_post_refuses_the_attack_naming_the_field(key, client, fmt, field):
    r = client.post(f"/open311/v2/requests.{fmt}", data=open311_fields(key, **{field: ATTACK}))
    assert r.status_code == 400, r.content
    text = r.content.decode()
    if fmt == "xml":
        [error] = ET.fromstring(r.content)  # the error itself is well-formed XML
        text = error.find("description").text
    else:
        text = r.json()[0]["description"]
    assert text.startswith(f"{field}:") and "control characters" in text
    assert not Complaint.objects.exists()


def test_ops_intake_refuses_control_characters(city, api):
    login(api, "operator")
    r = api.post("/api/v1/ops/intake/", data=json.dumps({
        "channel": "whatsapp", "category": "public-service", "description": "Antrean lama",
        "location": {"type": "Point", "coordinates": list(KARAWACI)}, "reporter_name": "Pak\x85Ahmad"}),
        content_type="application/json")
    assert_refused_naming(r, "reporter_name")
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("action,field", [("note", "note"), ("hold", "reason"), ("reject", "reason")])
def test_workflow_notes_and_reasons_refuse_control_characters(city, api, action, field):
    from tests.fieldops.wf_helpers import as_user, complaint_in

    c, _ = complaint_in("verified")
    as_user(api, "operator")
    r = api.post(f"/api/v1/complaints/{c.tracking_code}/{action}/", {field: "catatan\x1b[31m"}, format="json")
    assert_refused_naming(r, field)
    assert not ComplaintEvent.objects.filter(complaint=c).exclude(type="created").exists()


def test_reopen_reason_refuses_control_characters(city, api):
    from tests.fieldops.wf_helpers import complaint_in

    c, token = complaint_in("resolved")
    r = api.post(f"/api/v1/complaints/{c.tracking_code}/reopen/",
                 {"reporter_token": token, "reason": "belum\x0bberes"}, format="json")
    assert_refused_naming(r, "reason")
    c.refresh_from_db()
    assert c.status == "resolved"


def test_a_lapor_import_is_stripped_not_lost(city):
    """Another government's system is not a person who can retype: the report comes in, cleaned."""
    from integrations.importer import lapor_import

    result = lapor_import(data={"reports": [{"id": "LPR-CC1", "content": ATTACK, "category": "street-lights",
                                             "lat": CITY_HALL[1], "lon": CITY_HALL[0],
                                             "reporter": {"name": "War\x00ga"}}]})
    assert result.errors == [] and len(result.created) == 1
    c = Complaint.objects.get(external_id="lapor:LPR-CC1")
    assert c.description == "Lampu jalan mati di depan masjid"
    assert c.reporter_name == "Warga"
    # An id that is nothing but control characters is no id.
    result = lapor_import(data={"reports": [{"id": "\x00\x01", "content": "Jalan rusak", "lat": CITY_HALL[1],
                                             "lon": CITY_HALL[0]}]})
    with translation.override("en"):  # the import's messages are read in the reader's language
        assert result.created == [] and result.errors == ["report #1: 'id' is required"]


def test_a_lapor_status_note_is_stripped(city):
    from integrations.importer import lapor_import
    from integrations.lapor import update_apply

    lapor_import(data={"reports": [{"id": "LPR-CC2", "content": "Jalan rusak", "category": "roads",
                                    "lat": CITY_HALL[1], "lon": CITY_HALL[0]}]})
    assert update_apply({"id": "LPR-CC2", "status": "verified", "note": "diterima\x01\x0b OPD"})
    c = Complaint.objects.get(external_id="lapor:LPR-CC2")
    assert c.status == "verified"
    notes = list(ComplaintEvent.objects.filter(complaint=c).exclude(type="created").values_list("note", flat=True))
    assert notes == ["SP4N-LAPOR!: verified — diterima OPD"]


def test_the_one_message_is_translated(city, api):
    from fieldops.text import ERR_CONTROL_CHARS

    english = api.post("/api/v1/complaints/", data=json.dumps({
        "category": "roads", "description": "a\x01", "location": {"lat": CITY_HALL[1], "lon": CITY_HALL[0]}}),
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    indonesian = api.post("/api/v1/complaints/", data=json.dumps({
        "category": "roads", "description": "a\x01", "location": {"lat": CITY_HALL[1], "lon": CITY_HALL[0]}}),
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="id")
    with translation.override("en"):
        assert english.json()["description"][0] == str(ERR_CONTROL_CHARS) % {"char": "U+0001"}
    assert "karakter kontrol" in indonesian.json()["description"][0]


# ---------------------------------------------------------------- the renderer, whatever is stored


def test_open311_xml_stays_well_formed_with_forbidden_characters_in_the_database(city, client):
    c = make_complaint(description="Aman").complaint
    stored = "Awal\u0001\u000b\ufffe\uffff\x1f tengah \x85 akhir"
    Complaint.objects.filter(pk=c.pk).update(description=stored, address="Jl.\x02 Melati")
    c.refresh_from_db()
    assert c.description == stored  # PostgreSQL keeps them: the renderer is the last line
    for url in ("/open311/v2/requests.xml", f"/open311/v2/requests/{c.tracking_code}.xml",
                "/open311/v2/requests.xml?extensions=true"):
        r = client.get(url)
        assert r.status_code == 200
        root = ET.fromstring(r.content)  # raises ParseError when ill-formed
        [record] = [rec for rec in root if rec.find("service_request_id").text == c.tracking_code]
        assert record.find("description").text == "Awal tengah \x85 akhir"
        assert record.find("address").text == "Jl. Melati"
    # JSON carries the stored text as it is (JSON can escape anything).
    assert client.get(f"/open311/v2/requests/{c.tracking_code}.json").json()[0]["description"] == stored


def test_postgres_refuses_lone_surrogates_and_the_renderer_drops_them_anyway(city):
    c = make_complaint(description="Aman").complaint
    with pytest.raises((DatabaseError, UnicodeEncodeError)), transaction.atomic():
        Complaint.objects.filter(pk=c.pk).update(description="x\ud800y")
    xml = to_xml("service_requests", [{"description": "x\ud800\udfffy\x00z\ufffe"}])
    assert ET.fromstring(xml)[0].find("description").text == "xyz"


# ---------------------------------------------------------------- filters and paths are input too


@pytest.mark.parametrize("url,params,field", [
    ("/api/v1/complaints/", {"category": "ro\x00ads"}, "category"),
    ("/api/v1/complaints/", {"kecamatan": "Tangerang\x1b"}, "kecamatan"),
    ("/api/v1/locate/", {"lat": CITY_HALL[1], "lon": CITY_HALL[0], "category": "roads\x00"}, "category"),
    ("/api/v1/complaints/LKS-0000-000%00/", {}, "tracking_code"),
], ids=["list-category", "list-kecamatan", "locate-category", "detail-path"])
def test_rest_reads_refuse_control_characters_with_a_400_not_a_500(city, client, url, params, field):
    r = client.get(url, params)
    assert_refused_naming(r, field)


@pytest.mark.parametrize("url,params,field", [
    ("/open311/v2/requests.json", {"service_code": "ro\x00ads"}, "service_code"),
    ("/open311/v2/requests.json", {"service_request_id": "LKS\x00"}, "service_request_id"),
    ("/open311/v2/services/ro%00ads.json", {}, "code"),
    ("/open311/v2/requests/LKS%00.json", {}, "request_id"),
], ids=["search-code", "search-id", "service-path", "request-path"])
def test_open311_reads_refuse_control_characters_with_a_400_not_a_500(city, client, url, params, field):
    r = client.get(url, params)
    assert r.status_code == 400, r.content
    assert r.json()[0]["description"].startswith(f"{field}:")


def test_operator_paths_refuse_control_characters_with_a_400_not_a_500(city, api):
    login(api, "operator")
    r = api.post("/api/v1/complaints/LKS%00/forward-lapor/")
    assert_refused_naming(r, "tracking_code")
