"""Staff notes never reach a public face (issue 13, finding "staff notes shown to the public").

The attack: an operator dispatches a report with a note meant for the crew ("call the reporter
at 0812-..."); an anonymous visitor then reads every public face of the complaint.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from boundaries.models import Agency
from fieldops import workflow
from fieldops.models import ComplaintEvent, Crew, event_is_public, event_public_note
from tests.support.sockets import public_socket_messages
from tests.support.worker import run_deferred
from tests.conftest import login, make_complaint

SECRET = "hubungi pelapor di 0812-3456-7890"
# The note as it may be escaped or encoded on the way out.
SECRET_FORMS = [SECRET, "0812-3456-7890", "0812\\u002d3456", "hubungi pelapor"]


def _assert_no_secret(label: str, text: str) -> None:
    for form in SECRET_FORMS:
        assert form not in text, f"{label} shows the staff note ({form!r})"


def _public_socket_messages(code: str, after: int) -> list[str]:
    return public_socket_messages(code, after=after)


@pytest.mark.django_db(transaction=True)
def test_assign_note_reaches_no_public_face(city, api):
    complaint = make_complaint(reporter_email="pelapor@example.id", reporter_phone="081299990000").complaint
    code = complaint.tracking_code
    created_id = complaint.events.get().pk
    crew = Crew.objects.get(name="Tim Sigap PUPR 1")
    mail.outbox.clear()

    # The operator dispatches with a note meant for the crew.
    login(api, "operator")
    r = api.post(f"/api/v1/complaints/{code}/assign/", {"crew": crew.pk, "note": SECRET}, format="json")
    assert r.status_code == 200, r.content
    assert ComplaintEvent.objects.filter(complaint=complaint, type="assigned", note=SECRET).exists()

    # Staff see the note on the staff timeline (so the checks below are not vacuous).
    staff = api.get(f"/api/v1/complaints/{code}/events/")
    assert staff.json()["variant"] == "staff" and SECRET in [e["note"] for e in staff.json()["events"]]

    # Every public face, anonymously.
    anon = Client()
    for url in [
        f"/lacak/{code}/", f"/lacak/{code}/?fragment=1",
        f"/api/v1/complaints/{code}/", f"/api/v1/complaints/{code}/events/",
        f"/open311/v2/requests/{code}.json", f"/open311/v2/requests/{code}.xml",
        f"/open311/v2/requests.json?service_request_id={code}", "/open311/v2/requests.json",
        "/open311/v2/requests.xml?extensions=true",
    ]:
        response = anon.get(url)
        assert response.status_code == 200, (url, response.status_code)
        _assert_no_secret(url, response.content.decode())
    # The tracking page still shows the dispatch itself, only without the note.
    assert "lk-dot-yellow" in anon.get(f"/lacak/{code}/").content.decode()

    # The public socket, replaying the log from the report's creation.
    messages = _public_socket_messages(code, created_id)
    assert any('"assigned"' in m for m in messages), messages
    _assert_no_secret("public socket", "\n".join(messages))

    # The reporter's e-mail about the status change (a job: run it as a worker would).
    run_deferred("integrations.tasks.notification_send")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["pelapor@example.id"]
    _assert_no_secret("reporter e-mail", mail.outbox[0].subject + "\n" + mail.outbox[0].body)


@pytest.mark.django_db(transaction=True)
def test_public_reasons_still_reach_the_reporter_on_every_face(city, api):
    """The one rule keeps what was public public: a rejection's reason is for the reporter."""
    complaint = make_complaint(reporter_email="pelapor@example.id").complaint
    code = complaint.tracking_code
    mail.outbox.clear()
    login(api, "operator")
    reason = "Bukan kewenangan pemerintah kota"
    assert api.post(f"/api/v1/complaints/{code}/reject/", {"reason": reason}, format="json").status_code == 200

    anon = Client()
    assert reason in anon.get(f"/lacak/{code}/").content.decode()
    assert reason in [e["note"] for e in anon.get(f"/api/v1/complaints/{code}/events/").json()["events"]]
    assert anon.get(f"/open311/v2/requests/{code}.json").json()[0]["status_notes"] == reason
    run_deferred("integrations.tasks.notification_send")
    assert reason in mail.outbox[0].body


@pytest.mark.django_db
def test_the_rule_for_one_event_and_the_rule_for_rows_agree(city, api):
    """`event_is_public`/`event_public_note` (pages, e-mail, sockets) and the queryset filters
    (timelines, Open311, socket resume) are one rule: they select the same events."""
    operator = get_user_model().objects.get(username="operator")
    c = make_complaint().complaint
    crew = Crew.objects.get(name="Tim Sigap PUPR 1")
    workflow.complaint_verify(complaint=c, actor=operator, note="Sudah dicek")
    workflow.complaint_add_note(complaint=c, actor=operator, note="catatan internal")
    workflow.complaint_set_priority(complaint=c, actor=operator, priority=1)
    workflow.complaint_assign(complaint=c, actor=operator, crew=crew, note=SECRET)
    workflow.complaint_hold(complaint=c, actor=operator, reason="Menunggu alat berat")
    workflow.complaint_reroute(complaint=c, actor=operator, agency=Agency.objects.get(code="dlh"), reason="Salah OPD")
    events = list(c.events.order_by("id"))
    assert len(events) == 7
    public_ids = set(ComplaintEvent.objects.filter(complaint=c).public().values_list("id", flat=True))
    noted_ids = set(ComplaintEvent.objects.filter(complaint=c).with_public_note().values_list("id", flat=True))
    assert {e.pk for e in events if event_is_public(e)} == public_ids
    assert {e.pk for e in events if event_public_note(e)} == noted_ids
    assert [event_public_note(e) for e in events if e.pk in noted_ids] == [
        "Sudah dicek", "Menunggu alat berat", "Salah OPD"]
