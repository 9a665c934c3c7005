"""Two people act on one complaint at the same instant: the row lock lets exactly one win."""

import threading

import pytest
from django.db import connection

from fieldops.models import Complaint, ComplaintEvent
from tests.fieldops.wf_helpers import act, add_site_photos, as_user, complaint_in


@pytest.mark.django_db(transaction=True)
def test_two_threads_resolve_the_same_complaint_exactly_one_wins(city):
    from rest_framework.test import APIClient

    c, _ = complaint_in("in_progress")
    add_site_photos(c)
    barrier = threading.Barrier(2)
    results = []

    def resolve(username):
        try:
            client = APIClient()
            as_user(client, username)
            barrier.wait(timeout=10)
            r = act(client, c.tracking_code, "resolve", note=f"selesai oleh {username}")
            results.append((r.status_code, r.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=resolve, args=(u,)) for u in ("sigap1", "spv-pupr")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409], results
    loser = next(body for code, body in results if code == 409)
    assert loser["current_status"] == "resolved" and loser["requested_status"] == "resolved"
    assert Complaint.objects.get(pk=c.pk).status == "resolved"
    assert ComplaintEvent.objects.filter(complaint_id=c.pk, to_status="resolved").count() == 1
