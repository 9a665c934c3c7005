"""The SP4N-LAPOR! bridge on the job engine, against a real local HTTP server that fails at
random: every outbox row delivered exactly once (by the remote's idempotency-key count), remote
ids stored, status updates both ways, and a job worker process killed mid-batch loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from django.db import connection, transaction

from fieldops.models import Complaint, ComplaintEvent, Status
from integrations.lapor import LaporClient, updates_pull
from integrations.models import BridgeState, OutboxMessage
from tests.conftest import CITY_HALL, KARAWACI, make_complaint
from tests.integrations.fake_lapor import FakeLapor
from tests.support.worker import committed_rows, run_deferred, start_worker, stop_worker, wait_for
from tests.support.worker import drain as drain_jobs

DELIVER = "integrations.tasks.lapor_deliver"

TOKEN = "test-token"


@pytest.fixture
def lapor_settings(settings):
    settings.LAPOR_FORWARD_CATEGORIES = ["roads", "drainage"]
    settings.LAPOR_API_TOKEN = TOKEN
    settings.LAPOR_BACKOFF_BASE_S = 0
    settings.LAPOR_MAX_ATTEMPTS = 40
    settings.LAPOR_TIMEOUT_S = 5
    return settings


def drain(server, settings):
    """Run the delivery jobs (each outbox row has one) until none waits; retries run at once."""
    settings.LAPOR_API_URL = server.url
    drain_jobs(DELIVER, rounds=200)
    assert not OutboxMessage.objects.filter(state="pending").exists()


@pytest.mark.django_db
def test_outbox_row_is_written_with_the_complaint_and_only_for_forwarded_categories(city, lapor_settings):
    forwarded = make_complaint(category="roads", reporter_email="rahasia@example.id", reporter_phone="0812999",
                               reporter_name="Nama Rahasia").complaint
    local = make_complaint(category="garbage", lonlat=KARAWACI).complaint
    assert OutboxMessage.objects.filter(complaint=forwarded, kind="report", reason="category_rule").count() == 1
    assert not OutboxMessage.objects.filter(complaint=local).exists()
    before = OutboxMessage.objects.count()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            make_complaint(category="drainage")
            raise RuntimeError("rolled back")
    assert OutboxMessage.objects.count() == before  # no message for a change that never committed
    from procrastinate.contrib.django.models import ProcrastinateJob

    jobs = ProcrastinateJob.objects.filter(task_name=DELIVER)
    assert sorted(j.args["outbox_id"] for j in jobs) == sorted(OutboxMessage.objects.values_list("id", flat=True))
    payload = OutboxMessage.objects.get(complaint=forwarded).payload
    assert payload["tracking_code"] == forwarded.tracking_code and payload["kecamatan"]["code"] == "36.71.01"
    for secret in ("rahasia@example.id", "0812999", "Nama Rahasia"):  # contact stays in LAKSA
        assert secret not in str(payload)


@pytest.mark.django_db
def test_every_row_delivered_exactly_once_despite_random_failures(city, lapor_settings):
    made = [make_complaint(category="roads", reporter_email="warga@example.id").complaint for _ in range(25)]
    with FakeLapor(seed=11, fail_before=0.25, fail_after=0.25) as server:
        drain(server, lapor_settings)
    rows = list(OutboxMessage.objects.filter(kind="report"))
    assert len(rows) == 25 and all(r.state == "delivered" for r in rows)
    assert sum(server.posts.values()) > 25  # failures happened and were retried...
    assert set(server.created.values()) == {1} and len(server.reports) == 25  # ...yet one report each
    for r in rows:
        assert r.remote_id == server.reports[str(r.idempotency_key)]
        c = Complaint.objects.get(pk=r.complaint_id)
        assert c.external_id == f"lapor:{r.remote_id}"
        assert ComplaintEvent.objects.filter(complaint=c, type="note", is_public=False,
                                             data__lapor_id=r.remote_id).count() == 1
    assert server.bodies[rows[0].remote_id]["tracking_code"] == made[0].tracking_code
    assert server.unauthorized == 0


@pytest.mark.django_db
def test_client_errors_fail_fast_and_retries_stop_at_the_limit(city, lapor_settings):
    make_complaint(category="roads")
    with FakeLapor(token="other-token") as server:  # our token is refused: 401, not retryable
        lapor_settings.LAPOR_API_URL = server.url
        run_deferred(DELIVER, raise_errors=False)
    row = OutboxMessage.objects.get()
    assert row.state == "failed" and row.attempts == 1 and "HTTP 401" in row.last_error

    lapor_settings.LAPOR_MAX_ATTEMPTS = 3
    make_complaint(category="drainage")
    with FakeLapor(fail_before=1.0) as server:
        lapor_settings.LAPOR_API_URL = server.url
        for _ in range(5):
            run_deferred(DELIVER, raise_errors=False)
    row = OutboxMessage.objects.filter(state__in=["pending", "failed"]).latest("id")
    assert row.state == "failed" and row.attempts == 3 and "HTTP 500" in row.last_error


@pytest.mark.django_db
def test_backoff_is_exponential(lapor_settings):
    from datetime import timedelta

    from integrations.lapor import backoff

    lapor_settings.LAPOR_BACKOFF_BASE_S = 30
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert backoff(30) == timedelta(hours=6)


@pytest.mark.django_db
def test_status_changes_go_to_lapor_and_lapor_updates_come_back(city, lapor_settings,
                                                                django_capture_on_commit_callbacks):
    from fieldops import workflow

    a = make_complaint(category="roads").complaint
    b = make_complaint(category="roads").complaint
    with FakeLapor(seed=3, fail_before=0.2) as server:
        drain(server, lapor_settings)
        rid_a = OutboxMessage.objects.get(complaint=a).remote_id
        rid_b = OutboxMessage.objects.get(complaint=b).remote_id
        operator = __import__("django.contrib.auth", fromlist=["get_user_model"]).get_user_model().objects.get(
            username="operator")
        workflow.complaint_verify(complaint=a, actor=operator, note="Sudah dicek")
        status_row = OutboxMessage.objects.get(complaint=a, kind="status")
        assert status_row.payload["status"] == "verified"
        drain(server, lapor_settings)
        pushed = server.statuses[str(status_row.idempotency_key)]
        assert pushed[0][0] == rid_a and pushed[0][1]["laksa_status"] == "verified"

        server.updates += [{"id": rid_b, "status": "rejected", "note": "Bukan kewenangan daerah"},
                           {"id": rid_a, "status": "completed", "note": "Selesai menurut LAPOR!"},
                           {"id": "LPR-UNKNOWN", "status": "verified"}]
        assert updates_pull(LaporClient(base_url=server.url, token=TOKEN)) == 2
        b.refresh_from_db()
        assert b.status == Status.REJECTED  # through the workflow service, with its public event
        assert ComplaintEvent.objects.filter(complaint=b, type="status", to_status="rejected").exists()
        assert ComplaintEvent.objects.filter(complaint=a, type="note", data__lapor_status="completed").exists()
        # A status that came from LAPOR! is not sent back to it.
        assert not OutboxMessage.objects.filter(complaint=b, kind="status").exists()
        assert BridgeState.objects.get(key="lapor_updates_cursor").value == "3"
        assert updates_pull(LaporClient(base_url=server.url, token=TOKEN)) == 0


@pytest.mark.django_db
def test_a_government_with_its_own_lapor_account_forwards_and_pulls_there(city, lapor_settings):
    """Each government may have its own SP4N-LAPOR! account (Government.lapor_base_url/token): its
    complaints go there, not to the deployment's; the status pull-back asks every account, each
    from its own cursor."""
    from boundaries.models import Government
    from integrations.tasks import lapor_updates

    with FakeLapor() as deployment, FakeLapor(token="kota-token") as own:
        Government.objects.filter(code="36.71").update(lapor_base_url=own.url, lapor_token="kota-token")
        c = make_complaint(category="roads").complaint
        drain(deployment, lapor_settings)  # the deployment's account configured as well
        assert sum(own.created.values()) == 1 and not deployment.created and not own.unauthorized
        remote = OutboxMessage.objects.get(complaint=c).remote_id
        assert [cl.base_url for cl in LaporClient.every_account()] == sorted([deployment.url, own.url])
        own.updates.append({"id": remote, "status": "verified", "note": "Diterima oleh pemda"})
        assert lapor_updates(timestamp=0) == 1  # from the government's account
        c.refresh_from_db()
        assert c.status == Status.VERIFIED
        keys = set(BridgeState.objects.values_list("key", flat=True))
        assert len(keys) == 2 and "lapor_updates_cursor" in keys  # one cursor per account


# ---------------------------------------------------------------- a worker killed mid-batch


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), committed_rows():
        try:
            yield
        finally:
            BridgeState.objects.all().delete()


WORKER_ENV = {"LAPOR_API_TOKEN": TOKEN, "LAPOR_BACKOFF_BASE_S": "0", "LAPOR_MAX_ATTEMPTS": "40",
              # a killed worker's jobs are taken up again once its heartbeat is this old
              "JOBS_HEARTBEAT_S": "0.3", "JOBS_STALLED_AFTER_S": "1"}


def _worker(url: str) -> subprocess.Popen:
    return start_worker("--queues", "lapor", "--until-empty", env={**WORKER_ENV, "LAPOR_API_URL": url})


@pytest.mark.slow
def test_killing_the_worker_mid_batch_loses_nothing_and_sends_nothing_twice(committed, lapor_settings):
    rows = [make_complaint(category="roads").complaint for _ in range(30)]
    keys = {str(k) for k in OutboxMessage.objects.filter(complaint__in=rows).values_list("idempotency_key", flat=True)}
    assert len(keys) == 30
    with FakeLapor(seed=5, fail_after=0.3, delay=0.05) as server:
        worker = _worker(server.url)
        deadline = time.monotonic() + 60
        while sum(server.posts.values()) < 8 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.01)
        assert worker.poll() is None, worker.communicate()
        os.kill(worker.pid, signal.SIGKILL)  # mid-batch, likely mid-request
        worker.wait(timeout=10)
        connection.close()
        half = OutboxMessage.objects.filter(complaint__in=rows, state="delivered").count()
        assert 0 < half < 30, half
        time.sleep(1.2)  # the dead worker's heartbeat goes stale: its running jobs are taken up again
        for _ in range(3):
            again = _worker(server.url)
            out, err = again.communicate(timeout=120)
            assert again.returncode == 0, err
            if not OutboxMessage.objects.filter(complaint__in=rows, state="pending").exists():
                break
    delivered = OutboxMessage.objects.filter(complaint__in=rows, state="delivered")
    assert delivered.count() == 30
    assert set(server.reports) == keys  # every message arrived...
    assert all(server.created[k] == 1 for k in keys)  # ...and made exactly one report
    assert {r.remote_id for r in delivered} == set(server.reports.values())
    from procrastinate.contrib.django.models import ProcrastinateJob

    jobs = ProcrastinateJob.objects.filter(task_name=DELIVER)
    assert set(jobs.values_list("status", flat=True)) == {"succeeded"}  # the killed worker's too


@pytest.mark.slow
def test_a_job_worker_started_like_make_run_delivers_the_outbox(django_db_setup, django_db_blocker, lapor_settings):
    """No separate bridge process: the job worker (all queues, as `make run` starts it) delivers."""
    with django_db_blocker.unblock(), committed_rows():
        rows = [make_complaint(category="roads").complaint for _ in range(5)]
        with FakeLapor(seed=7, fail_before=0.3) as server:
            worker = start_worker(env={
                "LAPOR_API_URL": server.url, "LAPOR_API_TOKEN": TOKEN, "LAPOR_BACKOFF_BASE_S": "0",
                "LAPOR_MAX_ATTEMPTS": "40"})
            try:
                wait_for(lambda: OutboxMessage.objects.filter(complaint__in=rows, state="delivered").count() == 5,
                         timeout=20, proc=worker)
            finally:
                stop_worker(worker)
        assert set(server.created.values()) == {1} and len(server.reports) == 5
