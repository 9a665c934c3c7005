"""Operator intake by phone/WhatsApp/social media, forwarding to LAPOR! by an operator, the
LAPOR! importer, and the reporter's notifications (jobs) on public status changes."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command

from fieldops import workflow
from fieldops.models import Complaint, ComplaintEvent
from integrations.importer import lapor_import
from integrations.models import Notification, OutboxMessage
from integrations.tasks import notification_send
from tests.conftest import CITY_HALL, KARAWACI, login, make_complaint
from tests.support.worker import run_deferred

pytestmark = pytest.mark.django_db
INTAKE = "/api/v1/ops/intake/"


def intake_body(**over):
    data = {"channel": "whatsapp", "category": "public-service", "description": "Antrean kelurahan lama sekali",
            "location": {"type": "Point", "coordinates": list(KARAWACI)}, "reporter_phone": "081234",
            "reporter_name": "Pak Ahmad"}
    data.update(over)
    return json.dumps(data)


@pytest.mark.parametrize("channel", ["phone", "whatsapp", "social"])
def test_operator_enters_a_report_with_its_channel_and_the_same_routing(city, api, channel):
    login(api, "operator")
    r = api.post(INTAKE, data=intake_body(channel=channel), content_type="application/json")
    assert r.status_code == 201, r.content
    d = r.json()
    assert d["channel"] == channel
    assert d["kecamatan"]["code"] == "36.71.07" and d["agency"]["code"] == "kec-karawaci"  # the kecamatan rule
    c = Complaint.objects.get(tracking_code=d["tracking_code"])
    assert c.channel == channel and c.reporter_phone == "081234"
    assert ComplaintEvent.objects.get(complaint=c, type="created").actor.username == "operator"


def test_intake_with_the_same_idempotency_key_is_one_report(city, api):
    login(api, "operator")
    first = api.post(INTAKE, data=intake_body(), content_type="application/json", headers={"Idempotency-Key": "k-1"})
    again = api.post(INTAKE, data=intake_body(), content_type="application/json", headers={"Idempotency-Key": "k-1"})
    other = api.post(INTAKE, data=intake_body(), content_type="application/json", headers={"Idempotency-Key": "k-2"})
    assert first.status_code == again.status_code == other.status_code == 201
    assert first.json()["tracking_code"] == again.json()["tracking_code"] != other.json()["tracking_code"]
    assert Complaint.objects.filter(channel="whatsapp").count() == 2


@pytest.mark.parametrize("user,body,status,field", [
    (None, {}, 403, None),  # DRF answers 403 without a WWW-Authenticate scheme (session first)
    ("pupr", {}, 403, None),
    ("sigap1", {}, 403, None),
    ("operator", {"channel": "web"}, 400, "channel"),
    ("operator", {"channel": None}, 400, "channel"),
    ("operator", {"reporter_email": "nope"}, 400, "reporter_email"),
    ("operator", {"location": {"type": "Point", "coordinates": [110.4, -7.0]}}, 400, "location"),
    ("operator", {"category": "unicorns"}, 400, "category"),
])
def test_intake_refusals(city, api, user, body, status, field):
    if user:
        login(api, user)
    before = Complaint.objects.count()
    r = api.post(INTAKE, data=intake_body(**body), content_type="application/json")
    assert r.status_code == status, r.content
    if field:
        assert field in r.json()
    assert Complaint.objects.count() == before


def test_native_create_rejects_unknown_channels(city, api):
    r = api.post("/api/v1/complaints/", data=json.dumps({
        "category": "roads", "description": "x", "channel": "carrier-pigeon",
        "location": {"type": "Point", "coordinates": list(CITY_HALL)}}), content_type="application/json")
    assert r.status_code == 400 and "channel" in r.json()


def test_operator_forwards_a_complaint_to_lapor_once(city, api, settings):
    settings.LAPOR_FORWARD_CATEGORIES = []
    c = make_complaint(category="garbage").complaint
    url = f"/api/v1/complaints/{c.tracking_code}/forward-lapor/"
    login(api, "pupr")
    assert api.post(url).status_code == 403
    login(api, "operator")
    r = api.post(url)
    assert r.status_code == 202 and r.json()["state"] == "pending"
    row = OutboxMessage.objects.get(complaint=c)
    assert row.reason == "operator" and row.requested_by.username == "operator"
    assert ComplaintEvent.objects.filter(complaint=c, type="note", is_public=False, data__lapor="queued").exists()
    again = api.post(url)
    assert again.status_code == 409 and "already forwarded" in again.json()["detail"]
    assert api.post("/api/v1/complaints/LKS-0000-0000/forward-lapor/").status_code == 404


def test_lapor_import_is_idempotent_on_the_remote_id(city, tmp_path, api):
    reports = {"reports": [
        {"id": "LPR-9001", "content": "Jalan rusak di depan pasar", "category": "roads",
         "lat": CITY_HALL[1], "lon": CITY_HALL[0], "created_at": "2026-11-01T08:00:00+07:00",
         "reporter": {"name": "Warga", "email": "warga@example.id"}},
        {"id": "LPR-9002", "content": "Kategori yang tidak kami kenal", "category": "lapor-only-thing",
         "address": "Kelurahan Sukasari, Tangerang"},
        {"id": "LPR-9003", "content": "Di luar kota", "lat": -7.0, "lon": 110.4},
        {"content": "tanpa id"},
    ]}
    path = tmp_path / "lapor.json"
    path.write_text(json.dumps(reports))
    first = lapor_import(data=reports)
    assert len(first.created) == 2 and first.skipped == []
    assert any("LPR-9003" in e and "location" in e for e in first.errors) and any("'id'" in e for e in first.errors)
    a = Complaint.objects.get(external_id="lapor:LPR-9001")
    assert a.channel == "lapor" and a.agency.code == "dpupr" and a.created_at.isoformat().startswith("2026-11-01")
    b = Complaint.objects.get(external_id="lapor:LPR-9002")
    assert b.category.slug == "other" and b.kelurahan.name == "Sukasari"
    call_command("import_lapor", str(path))  # again, through the command
    login(api, "operator")
    valid = {"reports": [r for r in reports["reports"] if "id" in r]}
    r = api.post("/api/v1/integrations/lapor/import/", data=json.dumps(valid), content_type="application/json")
    assert r.status_code == 200 and r.json()["created"] == [] and set(r.json()["skipped"]) == {"LPR-9001", "LPR-9002"}
    assert Complaint.objects.filter(external_id__startswith="lapor:LPR-900").count() == 2
    for bad in ([{"id": "x"}], {"reports": [{"id": 5}]}, {"reports": [{"id": "x", "lat": "north"}]},
                {"reports": [{"id": "x", "created_at": "2026-13-45T00:00:00"}]}, {"reports": [None]}):
        r = api.post("/api/v1/integrations/lapor/import/", data=json.dumps(bad), content_type="application/json")
        assert r.status_code == 400, bad
    # A complaint that came from LAPOR! is never forwarded back to it.
    assert api.post(f"/api/v1/complaints/{a.tracking_code}/forward-lapor/").status_code == 409


SEND = "integrations.tasks.notification_send"


def test_reporter_gets_an_email_on_each_public_status_change(city):
    operator = get_user_model().objects.get(username="operator")
    c = make_complaint(reporter_email="pelapor@example.id").complaint
    silent = make_complaint(lonlat=KARAWACI).complaint  # no e-mail given
    assert run_deferred(SEND) == [] and mail.outbox == []  # creation is not a status change
    workflow.complaint_verify(complaint=c, actor=operator, note="Akan segera ditangani")
    workflow.complaint_verify(complaint=silent, actor=operator)
    workflow.complaint_add_note(complaint=c, actor=operator, note="internal only")
    assert run_deferred(SEND) == ["sent"]
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["pelapor@example.id"] and c.tracking_code in msg.subject
    assert "Akan segera ditangani" in msg.body and f"/lacak/{c.tracking_code}/" in msg.body
    workflow.complaint_reject(complaint=c, actor=operator, reason="Bukan kewenangan kota")
    run_deferred(SEND)
    assert len(mail.outbox) == 2 and "Bukan kewenangan kota" in mail.outbox[1].body
    # One row per (event, channel): running a job again (a retry, an admin's Retry) sends nothing.
    n = Notification.objects.filter(complaint=c).first()
    assert n.state == "sent" and notification_send(notification_id=n.pk) == "done" and len(mail.outbox) == 2


def test_the_message_is_in_the_language_of_the_report(city):
    from django.utils import translation

    operator = get_user_model().objects.get(username="operator")
    with translation.override("en"):
        en = make_complaint(reporter_email="reporter@example.org").complaint
    with translation.override("id"):
        idn = make_complaint(reporter_email="pelapor@example.id", lonlat=KARAWACI).complaint
    assert (en.reporter_language, idn.reporter_language) == ("en", "id")
    for c in (en, idn):
        workflow.complaint_verify(complaint=c, actor=operator)
    run_deferred(SEND)
    by_to = {m.to[0]: m for m in mail.outbox}
    assert by_to["reporter@example.org"].subject.startswith("Your report")
    assert by_to["pelapor@example.id"].subject.startswith("Laporan Anda")


def test_no_email_when_the_status_change_rolls_back(city):
    from django.db import transaction

    operator = get_user_model().objects.get(username="operator")
    c = make_complaint(reporter_email="pelapor@example.id").complaint
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.complaint_verify(complaint=c, actor=operator)
        raise RuntimeError("abort")
    assert run_deferred(SEND) == [] and mail.outbox == [] and not Notification.objects.exists()


def test_a_desk_enters_reports_of_its_own_government_only(city, api):
    """A Kota Tangerang operator taking a call about a pin in Kabupaten Tangerang: 400 naming the
    location and both governments, nothing stored (that government's own desk enters it)."""
    from fieldops.models import Complaint
    from tests.support.neighbour import neighbour_ensure, outside_point

    neighbour_ensure()
    login(api, "operator")
    before = Complaint.objects.count()
    r = api.post(INTAKE, data=intake_body(category="roads", location={"type": "Point", "coordinates": list(outside_point())}),
                 content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400, r.content
    assert r.json()["location"] == [
        "The location is in Kabupaten Tangerang, not in Kota Tangerang: this desk enters reports for Kota Tangerang only."]
    assert Complaint.objects.count() == before
    r = api.post(INTAKE, data=intake_body(category="roads", location={"type": "Point", "coordinates": list(outside_point())}),
                 content_type="application/json", HTTP_ACCEPT_LANGUAGE="id")
    assert r.json()["location"][0].startswith("Lokasi berada di Kabupaten Tangerang, bukan di Kota Tangerang")
