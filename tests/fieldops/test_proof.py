"""The proof service (fieldops.proof): each upload is located and measured once, one rule
decides at upload and at resolve, and a request reads its complaint once (plus the lock)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fieldops.errors import FieldError, WorkflowForbidden
from fieldops.reporters import ERR_TOKEN_REQUIRED, ERR_TOKEN_WRONG, reporter_authenticate
from tests.conftest import CITY_HALL
from tests.fieldops.wf_helpers import act, as_user, complaint_in, gps_jpeg, offset, upload
from tests.support.worker import media_jobs_run

pytestmark = pytest.mark.django_db


def complaint_reads(ctx) -> list[str]:
    """The statements of a request that read complaint rows."""
    return [q["sql"] for q in ctx.captured_queries
            if q["sql"].startswith("SELECT") and 'FROM "fieldops_complaint"' in q["sql"]]


def assert_one_read_and_the_lock(ctx):
    reads = complaint_reads(ctx)
    # The view's scoped lookup (may this user see/act on it?), then the service's
    # SELECT ... FOR UPDATE, which answers the request: no third read for the response.
    assert len(reads) == 2, reads
    assert "FOR UPDATE" not in reads[0] and "FOR UPDATE" in reads[1]


def test_a_photo_upload_reads_the_complaint_once_and_locks_it_once(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    with CaptureQueriesContext(connection) as ctx:
        r = upload(api, c.tracking_code, "before", gps_jpeg(offset(CITY_HALL, north_m=10)))
    assert r.status_code == 201, r.content
    assert (r.json()["tracking_code"], r.json()["status"]) == (c.tracking_code, "in_progress")
    assert_one_read_and_the_lock(ctx)
    # Located and measured once, although the proof rule is checked before storing.
    assert sum("ST_Distance" in q["sql"] for q in ctx.captured_queries) == 1


def test_a_reporter_photo_upload_reads_the_complaint_once_and_locks_it_once(city, api):
    c, token = complaint_in("verified", crew_name=None)
    with CaptureQueriesContext(connection) as ctx:
        r = upload(api, c.tracking_code, "report", gps_jpeg(None), reporter_token=token)
    assert r.status_code == 201, r.content
    assert_one_read_and_the_lock(ctx)


def test_a_resolve_reads_the_complaint_once_and_locks_it_once(city, api):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    for kind in ("before", "after"):
        assert upload(api, c.tracking_code, kind, gps_jpeg(offset(CITY_HALL, north_m=10))).status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        r = act(api, c.tracking_code, "resolve", note="Sudah ditambal")
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["status_color"]) == ("resolved", "green")
    assert_one_read_and_the_lock(ctx)
    # Both kinds of photo in one read.
    assert sum('FROM "fieldops_photo"' in q["sql"] for q in ctx.captured_queries) == 1


def test_a_reopen_reads_the_complaint_once_and_locks_it_once(city, api):
    c, token = complaint_in("resolved")
    with CaptureQueriesContext(connection) as ctx:
        r = act(api, c.tracking_code, "reopen", reporter_token=token, reason="Rusak lagi")
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["status_color"]) == ("reopened", "yellow")
    assert_one_read_and_the_lock(ctx)


def test_the_upload_and_the_resolve_refuse_a_photo_with_the_same_reason(city, api, settings):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    far = gps_jpeg(offset(CITY_HALL, north_m=300))
    refused = upload(api, c.tracking_code, "before", far)
    assert refused.status_code == 400
    reason = refused.json()["image"][0]
    assert reason.startswith("The before photo was taken 3") and "the limit is 100 m" in reason
    assert refused.json()["limit_m"] == 100
    # The same photo is accepted under a looser limit, then the city tightens it again:
    # resolving gives the reason the upload gave.
    settings.PHOTO_MAX_DISTANCE_M = 1000
    assert upload(api, c.tracking_code, "before", far).status_code == 201
    assert upload(api, c.tracking_code, "after", gps_jpeg(CITY_HALL)).status_code == 201
    settings.PHOTO_MAX_DISTANCE_M = 100
    r = act(api, c.tracking_code, "resolve")
    assert r.status_code == 400
    assert r.json()["before"] == [reason] and "after" not in r.json()


def test_reporter_authenticate_needs_the_token_of_this_complaint(city):
    c, token = complaint_in("resolved")
    other, other_token = complaint_in("resolved")
    reporter_authenticate(complaint=c, token=token)
    reporter_authenticate(complaint=c, token=f"  {token} ")
    with pytest.raises(FieldError) as missing:
        reporter_authenticate(complaint=c, token="  ")
    assert (missing.value.field, missing.value.message, missing.value.http_status) == (
        "reporter_token", ERR_TOKEN_REQUIRED, 400)
    for wrong in ("wrong", other_token, token[:-1]):
        with pytest.raises(WorkflowForbidden) as refused:
            reporter_authenticate(complaint=c, token=wrong)
        assert (refused.value.message, refused.value.http_status) == (ERR_TOKEN_WRONG, 403)


def test_a_photo_with_another_reports_token_is_refused(city, api):
    c, _ = complaint_in("verified", crew_name=None)
    _, other_token = complaint_in("verified", crew_name=None)
    r = upload(api, c.tracking_code, "report", gps_jpeg(None), reporter_token=other_token)
    assert r.status_code == 403
    assert r.json() == {"detail": "The reporter token does not match this complaint."}


def test_the_crews_queue_carries_each_tickets_photos_and_proof(city, api):
    """The crew sees on each ticket the citizen's photo and which of its own proof photos the
    server accepted; desk roles' long queue carries no photos (fieldops.permissions)."""
    c, _ = complaint_in("in_progress", photo=None)
    as_user(api, "crew_member")
    assert upload(api, c.tracking_code, "before", gps_jpeg(offset(CITY_HALL, north_m=10))).status_code == 201
    far = upload(api, c.tracking_code, "after", gps_jpeg(offset(CITY_HALL, north_m=4000)))
    assert far.status_code == 400 and far.json()["distance_m"] > 3900
    assert media_jobs_run() == ["ready"]  # the worker made the before photo's copies

    def ticket():
        r = api.get("/api/v1/ops/complaints/", {"status": "in_progress"})
        assert r.status_code == 200, r.content
        return next(t for t in r.json()["results"] if t["tracking_code"] == c.tracking_code)

    with CaptureQueriesContext(connection) as ctx:
        t = ticket()
    assert sum('FROM "fieldops_photo"' in q["sql"] for q in ctx.captured_queries) == 1  # one prefetch
    assert t["proof"] == {"limit_m": 100.0, "before": True, "after": False}
    [before] = [p for p in t["photos"] if p["kind"] == "before"]
    assert before["accepted"] is True and before["distance_m"] < 15 and before["thumb_url"]
    assert "original_url" not in before and "location" not in before

    assert upload(api, c.tracking_code, "after", gps_jpeg(offset(CITY_HALL, east_m=20))).status_code == 201
    assert ticket()["proof"] == {"limit_m": 100.0, "before": True, "after": True}

    as_user(api, "operator")
    r = api.get("/api/v1/ops/complaints/", {"status": "in_progress"})
    assert all("photos" not in t and "proof" not in t for t in r.json()["results"])
