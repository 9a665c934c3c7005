"""The SLA escalation job: one `escalated` event per overdue complaint, once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from fieldops.models import Complaint, ComplaintEvent
from tests.fieldops.wf_helpers import as_user, complaint_in

pytestmark = pytest.mark.django_db


def test_escalation_runs_once_per_overdue_complaint(city, api, capsys):
    overdue, _ = complaint_in("assigned")
    on_time, _ = complaint_in("assigned")
    done, _ = complaint_in("resolved")
    past = timezone.now() - timedelta(hours=3)
    Complaint.objects.filter(pk__in=[overdue.pk, done.pk]).update(due_at=past)

    call_command("escalate_overdue")
    assert "escalated 1 overdue complaint(s)" in capsys.readouterr().out
    call_command("escalate_overdue")
    assert "escalated 0 overdue complaint(s)" in capsys.readouterr().out

    events = ComplaintEvent.objects.filter(type="escalated")
    assert [e.complaint_id for e in events] == [overdue.pk]
    ev = events.get()
    assert ev.is_public is False and ev.agency.code == "dpupr"
    assert ev.data["notify"] == {"supervisors": ["spv-pupr"], "agency": "dpupr", "command_center": "diskominfo"}
    assert 2.9 <= ev.data["overdue_hours"] <= 3.1
    overdue.refresh_from_db()
    assert overdue.escalated_at is not None

    # Staff see the flag in their queue, soonest due first, and can filter on it.
    as_user(api, "supervisor")
    rows = api.get("/api/v1/ops/complaints/?page_size=500").json()["results"]
    flags = {r["tracking_code"]: r["is_overdue"] for r in rows}
    assert flags[overdue.tracking_code] is True and flags[on_time.tracking_code] is False
    assert flags[done.tracking_code] is False  # resolved: no longer overdue
    assert rows[0]["tracking_code"] in (overdue.tracking_code, done.tracking_code)
    dues = [r["due_at"] for r in rows]
    assert dues == sorted(dues)
    only = api.get("/api/v1/ops/complaints/?overdue=true&page_size=500").json()["results"]
    assert [r["tracking_code"] for r in only] == [overdue.tracking_code]
    assert api.get("/api/v1/ops/complaints/?overdue=maybe").status_code == 400
    assert api.get("/api/v1/ops/complaints/?status=nope").status_code == 400


def test_reopened_complaint_gets_a_new_deadline_and_can_escalate_again(city, api):
    from tests.fieldops.wf_helpers import act

    c, token = complaint_in("resolved")
    Complaint.objects.filter(pk=c.pk).update(due_at=timezone.now() - timedelta(days=5),
                                             escalated_at=timezone.now() - timedelta(days=4),
                                             resolved_at=timezone.now() - timedelta(days=1))
    assert act(api, c.tracking_code, "reopen", reporter_token=token, reason="Rusak lagi").status_code == 200
    c.refresh_from_db()
    assert c.escalated_at is None and c.due_at > timezone.now()
    Complaint.objects.filter(pk=c.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    call_command("escalate_overdue", verbosity=0)
    assert ComplaintEvent.objects.filter(complaint=c, type="escalated").count() == 1
