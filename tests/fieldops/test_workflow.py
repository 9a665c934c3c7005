"""The red/yellow/green workflow through the API: lifecycles, 409s, reasons, duplicates, reroutes."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from fieldops.models import Complaint, ComplaintEvent, ComplaintFollower
from tests.conftest import CITY_HALL, make_complaint
from tests.fieldops.wf_helpers import CREW1, CREW2, act, as_user, complaint_in, crew, gps_jpeg, offset, upload
from tests.support.worker import media_jobs_run

pytestmark = pytest.mark.django_db
PHONE = "081277778888"


def create_via_api(api, **over):
    body = {"category": "roads", "description": "Jalan berlubang dalam di depan pasar",
            "location": {"type": "Point", "coordinates": list(CITY_HALL)},
            "reporter_name": "Dewi Lestari", "reporter_phone": PHONE}
    body.update(over)
    r = api.post("/api/v1/complaints/", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    return r.json()


def statuses(code):
    return list(ComplaintEvent.objects.filter(complaint__tracking_code=code).order_by("id")
                .values_list("type", "from_status", "to_status"))


def resolve_on_site(api, code):
    as_user(api, "crew_member")
    near = offset(CITY_HALL, north_m=25)
    assert upload(api, code, "before", gps_jpeg(near), client_id="b1").status_code == 201
    assert upload(api, code, "after", gps_jpeg(offset(CITY_HALL, east_m=10)), client_id="a1").status_code == 201
    r = act(api, code, "resolve", note="Lubang sudah ditambal")
    assert r.status_code == 200, r.content
    return r.json()


def test_lifecycle_from_create_to_closed(city, api):
    code = create_via_api(api)["tracking_code"]
    c = Complaint.objects.get(tracking_code=code)
    assert c.first_response_at is None

    as_user(api, "operator")
    r = act(api, code, "verify")
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["status_color"]) == ("verified", "red")
    c.refresh_from_db()
    assert c.first_response_at is not None
    first_response = c.first_response_at

    r = act(api, code, "assign", crew=crew(CREW1).pk)
    assert (r.json()["status"], r.json()["status_color"]) == ("assigned", "yellow")
    assert r.json()["crew"] == {"id": crew(CREW1).pk, "name": CREW1}

    as_user(api, "crew_member")
    r = act(api, code, "start")
    assert (r.json()["status"], r.json()["status_color"]) == ("in_progress", "yellow")

    d = resolve_on_site(api, code)
    assert (d["status"], d["status_color"]) == ("resolved", "green")
    as_user(api, "agency_staff")
    r = act(api, code, "close")
    assert (r.json()["status"], r.json()["status_color"]) == ("closed", "green")

    c.refresh_from_db()
    assert c.first_response_at == first_response
    assert c.resolved_at and c.closed_at and c.closed_at >= c.resolved_at
    assert [s[2] for s in statuses(code) if s[0] in ("created", "status", "assigned")] == [
        "new", "verified", "assigned", "in_progress", "resolved", "closed"]

    # The public page shows the before/after photos (once the worker made their copies) and the
    # OPD, never the crew or its members.
    assert set(media_jobs_run()) == {"ready"}
    api.force_authenticate(user=None)
    detail = api.get(f"/api/v1/complaints/{code}/").json()
    kinds = {p["kind"] for p in detail["photos"]}
    assert {"before", "after"} <= kinds
    assert all(p["url"].startswith("http://testserver/media/public/") for p in detail["photos"])
    assert detail["agency"]["code"] == "dpupr"
    text = json.dumps(detail) + json.dumps(api.get(f"/api/v1/complaints/{code}/events/").json())
    for secret in ("sigap1", "Sigap Satu", CREW1, "Dewi", PHONE, "operator", "Staf"):
        assert secret not in text


def test_lifecycle_with_reopen(city, api):
    created = create_via_api(api)
    code, token = created["tracking_code"], created["reporter_token"]
    as_user(api, "operator")
    act(api, code, "verify")
    act(api, code, "assign", crew=crew(CREW1).pk)
    as_user(api, "crew_member")
    act(api, code, "start")
    resolve_on_site(api, code)

    api.force_authenticate(user=None)  # the reporter has no account, only the token
    r = act(api, code, "reopen", reporter_token="not-the-token", reason="Masih berlubang")
    assert r.status_code == 403
    assert r.json()["detail"] == "The reporter token does not match this complaint."
    r = act(api, code, "reopen", reporter_token=token, reason="  ")
    assert r.status_code == 400 and r.json() == {"reason": ["A reason is required."]}
    r = act(api, code, "reopen", reporter_token=token, reason="Tambalannya sudah rusak lagi")
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["status_color"]) == ("reopened", "yellow")
    c = Complaint.objects.get(tracking_code=code)
    assert c.resolved_at is None and c.due_at > timezone.now()
    ev = ComplaintEvent.objects.filter(complaint=c).last()
    assert (ev.from_status, ev.to_status, ev.note, ev.actor_id) == ("resolved", "reopened",
                                                                     "Tambalannya sudah rusak lagi", None)

    # The crew goes back, proves the work again, and the agency closes it.
    as_user(api, "crew_member")
    assert act(api, code, "start").json()["status"] == "in_progress"
    assert act(api, code, "resolve").json()["status"] == "resolved"  # the earlier photos still prove it
    as_user(api, "operator")
    assert act(api, code, "close").json()["status"] == "closed"


def test_reopen_window_is_14_days(city, api):
    c, token = complaint_in("resolved")
    Complaint.objects.filter(pk=c.pk).update(resolved_at=timezone.now() - timedelta(days=15))
    r = act(api, c.tracking_code, "reopen", reporter_token=token, reason="Belum selesai")
    assert r.status_code == 409
    assert "more than 14 days" in r.json()["detail"]
    Complaint.objects.filter(pk=c.pk).update(resolved_at=timezone.now() - timedelta(days=13))
    assert act(api, c.tracking_code, "reopen", reporter_token=token, reason="Belum selesai").status_code == 200


def test_invalid_transition_is_409_naming_both_statuses(city, api):
    c, _ = complaint_in("new", crew_name=None)
    as_user(api, "operator")
    r = act(api, c.tracking_code, "close")
    assert r.status_code == 409
    body = r.json()
    assert body["current_status"] == "new" and body["requested_status"] == "closed"
    assert "“New”" in body["detail"] and "“Closed”" in body["detail"]
    as_user(api, "crew_member")
    c2, _ = complaint_in("closed")
    r = act(api, c2.tracking_code, "start")
    assert r.status_code == 409 and r.json()["requested_status"] == "in_progress"
    assert ComplaintEvent.objects.filter(complaint__in=[c, c2]).count() == 2  # only the two "created"


def test_hold_and_reject_need_a_reason(city, api):
    c, _ = complaint_in("verified")
    as_user(api, "agency_staff")
    r = act(api, c.tracking_code, "hold")
    assert r.status_code == 400 and r.json() == {"reason": ["A reason is required."]}
    r = act(api, c.tracking_code, "hold", reason="Menunggu anggaran perbaikan jembatan")
    assert (r.json()["status"], r.json()["status_color"]) == ("on_hold", "red")
    assert act(api, c.tracking_code, "reject").json() == {"reason": ["A reason is required."]}
    r = act(api, c.tracking_code, "reject", reason="Lokasi bukan jalan kota")
    assert r.json()["status"] == "rejected"
    events = ComplaintEvent.objects.filter(complaint=c).order_by("id")
    assert [e.note for e in events][1:] == ["Menunggu anggaran perbaikan jembatan", "Lokasi bukan jalan kota"]


def test_duplicate_links_to_the_original_whose_followers_gain_the_reporter(city, api):
    original = make_complaint(description="Lubang besar").complaint
    dup = make_complaint(description="Lubang di tempat yang sama", reporter_phone=PHONE,
                         reporter_email="pelapor2@example.id").complaint
    as_user(api, "operator")
    r = act(api, dup.tracking_code, "duplicate", of="NOPE-0000")
    # 404 like an original outside the user's scope (tests/security/test_scoping.py).
    assert r.status_code == 404 and r.json() == {"of": ["No complaint with tracking code 'NOPE-0000'."]}
    r = act(api, dup.tracking_code, "duplicate", of=dup.tracking_code)
    assert r.json() == {"of": ["A complaint cannot be a duplicate of itself."]}
    # The operator sees the original suggested on the new report.
    detail = api.get(f"/api/v1/ops/complaints/{dup.tracking_code}/").json()
    assert original.tracking_code in [s["tracking_code"] for s in detail["similar_nearby"]]
    assert "duplicate" in detail["actions"]
    r = act(api, dup.tracking_code, "duplicate", of=original.tracking_code.lower())
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["duplicate_of"]) == ("duplicate", original.tracking_code)
    follower = ComplaintFollower.objects.get(complaint=original)
    assert (follower.source_id, follower.phone, follower.reporter_token_hash) == (dup.pk, PHONE, dup.reporter_token_hash)
    assert ComplaintEvent.objects.filter(complaint=original, type="follower").count() == 1
    # A third report marked a duplicate of the duplicate lands on the original.
    third = make_complaint(description="Sama juga", reporter_email="p3@example.id").complaint
    act(api, third.tracking_code, "duplicate", of=dup.tracking_code)
    third.refresh_from_db()
    assert third.duplicate_of_id == original.pk
    assert original.followers.count() == 2
    assert api.get(f"/api/v1/complaints/{dup.tracking_code}/").json()["duplicate_of"] == original.tracking_code


def test_assign_reassign_and_reroute_carry_crews_and_agency(city, api):
    c, _ = complaint_in("verified", crew_name=None)
    as_user(api, "supervisor")
    act(api, c.tracking_code, "assign", crew=crew(CREW1).pk)
    r = act(api, c.tracking_code, "assign", crew=crew(CREW2).pk)
    assert r.json()["crew"]["name"] == CREW2
    ev = ComplaintEvent.objects.filter(complaint=c).last()
    assert (ev.type, ev.crew_id, ev.previous_crew_id) == ("assigned", crew(CREW2).pk, crew(CREW1).pk)
    # A DLH crew cannot take a DPUPR ticket.
    r = act(api, c.tracking_code, "assign", crew=crew("Tim Sigap DLH 1").pk)
    assert r.status_code == 400 and "reroute it first" in r.json()["crew"][0]
    as_user(api, "operator")
    r = act(api, c.tracking_code, "reroute", agency="dlh")
    assert r.json() == {"reason": ["A reason is required."]}
    r = act(api, c.tracking_code, "reroute", agency="dlh", reason="Ini sampah, bukan jalan")
    assert r.status_code == 200, r.content
    assert (r.json()["agency"]["code"], r.json()["crew"], r.json()["status"]) == ("dlh", None, "verified")
    ev = ComplaintEvent.objects.filter(complaint=c).last()
    assert ev.type == "rerouted" and ev.crew_id is None and ev.previous_crew_id == crew(CREW2).pk
    assert ev.agency.code == "dlh" and ev.data["previous_agency"] == "dpupr"
    # DPUPR no longer sees it; DLH does.
    as_user(api, "supervisor")
    assert api.get(f"/api/v1/ops/complaints/{c.tracking_code}/").status_code == 404
    as_user(api, "dlh")
    assert api.get(f"/api/v1/ops/complaints/{c.tracking_code}/").status_code == 200


def test_resolve_without_photos_says_which_are_missing_and_supervisor_override_is_recorded(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    r = act(api, c.tracking_code, "resolve")
    assert r.status_code == 400
    assert r.json()["before"] == ["A before photo is required."]
    assert r.json()["after"] == ["A after photo is required."]
    r = act(api, c.tracking_code, "resolve", override=True, override_reason="Foto hilang")
    assert r.status_code == 403
    as_user(api, "supervisor")
    r = act(api, c.tracking_code, "resolve", override=True)
    assert r.status_code == 400 and r.json() == {"override_reason": ["An override needs a reason."]}
    r = act(api, c.tracking_code, "resolve", override=True, override_reason="HP tim rusak, dicek langsung di lokasi")
    assert r.status_code == 200
    assert r.json()["resolution_override"] is True
    assert r.json()["resolution_override_reason"] == "HP tim rusak, dicek langsung di lokasi"
    ev = ComplaintEvent.objects.filter(complaint=c).last()
    assert ev.to_status == "resolved" and ev.data["override"] is True and ev.actor.username == "spv-pupr"
    assert ev.data["override_reason"] == "HP tim rusak, dicek langsung di lokasi"


def test_resolve_rechecks_distance_and_says_by_how_many_meters(city, api, settings):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    assert upload(api, c.tracking_code, "before", gps_jpeg(offset(CITY_HALL, north_m=80))).status_code == 201
    assert upload(api, c.tracking_code, "after", gps_jpeg(offset(CITY_HALL, north_m=5))).status_code == 201
    settings.PHOTO_MAX_DISTANCE_M = 50  # the city tightened the rule after the upload
    r = act(api, c.tracking_code, "resolve")
    assert r.status_code == 400
    assert "after" not in r.json()
    msg = r.json()["before"][0]
    assert msg.startswith("The before photo was taken 8") and "the limit is 50 m" in msg and "m too far" in msg


def test_notes_and_priority_are_staff_only_events(city, api):
    c, _ = complaint_in("assigned")
    as_user(api, "crew_member")
    assert act(api, c.tracking_code, "note").json() == {"note": ["The note may not be empty."]}
    assert act(api, c.tracking_code, "note", note="Butuh alat berat").status_code == 200
    as_user(api, "operator")
    assert act(api, c.tracking_code, "priority", priority=7).json() == {
        "priority": ["Priority must be 1 (high), 2 (normal) or 3 (low)."]}
    assert act(api, c.tracking_code, "priority", priority=1).json()["priority"] == 1
    staff = api.get(f"/api/v1/complaints/{c.tracking_code}/events/").json()
    assert staff["variant"] == "staff"
    assert [e["type"] for e in staff["events"]] == ["created", "note", "priority"]
    assert staff["events"][1]["actor"] == {"username": "sigap1", "name": "Anggota Sigap Satu"}
    api.force_authenticate(user=None)
    public = api.get(f"/api/v1/complaints/{c.tracking_code}/events/").json()
    assert public["variant"] == "public" and [e["type"] for e in public["events"]] == ["created"]
    assert "Butuh alat berat" not in json.dumps(public)


def test_event_log_is_immutable(city):
    from django.contrib.auth import get_user_model
    from django.db import IntegrityError, transaction

    from fieldops.workflow import complaint_add_note

    c, _ = complaint_in("new", crew_name=None)
    ev = ComplaintEvent.objects.get(complaint=c)
    ev.note = "rewritten"
    with pytest.raises(ValueError):
        ev.save()
    # Also in the database: a bulk update is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplaintEvent.objects.filter(pk=ev.pk).update(note="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplaintEvent.objects.filter(pk=ev.pk).update(to_status="closed")
    assert ComplaintEvent.objects.get(pk=ev.pk).note == ""
    # Deleting a staff account keeps its events, with the actor set to NULL.
    temp = get_user_model().objects.create_user("sementara")
    complaint_add_note(complaint=c, actor=temp, note="catatan")
    temp.delete()
    assert ComplaintEvent.objects.filter(complaint=c, type="note", actor=None, note="catatan").exists()


def test_nul_characters_are_a_400_not_a_500(city, api):
    from django.utils import translation

    from fieldops.text import control_chars_message

    c, _ = complaint_in("assigned")
    as_user(api, "operator")
    r = act(api, c.tracking_code, "note", note="a\x00b")
    with translation.override("en"):  # the language the test client asks for
        assert r.status_code == 400 and r.json() == {"note": [control_chars_message("U+0000")]}
    assert api.get("/api/v1/ops/complaints/?agency=dp%00upr").status_code == 400
    assert api.get("/api/v1/crews/?agency=%00").status_code == 400
    assert act(api, c.tracking_code, "reroute", agency="dlh\x00", reason="x").status_code == 400
    assert ComplaintEvent.objects.filter(complaint=c).count() == 1
