"""The job engine: jobs are deferred in the transaction of the change (never for a rolled-back
one), retried with a capped backoff, counted for the health endpoint, and a real worker process
started like `make run` does runs the schedules with nothing else started."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.conftest import load_city, make_complaint
from tests.support.worker import committed_rows, start_worker, stop_worker, wait_for


def _jobs(task_name: str):
    from procrastinate.contrib.django.models import ProcrastinateJob

    return ProcrastinateJob.objects.filter(task_name=task_name)


@pytest.mark.django_db
def test_django_keeps_psycopg2_and_a_job_commits_or_rolls_back_with_its_change():
    import psycopg2

    from fieldops.tasks import purge_idempotency_keys

    assert connection.Database is psycopg2  # procrastinate's psycopg 3 is only the worker's
    name = "fieldops.tasks.purge_idempotency_keys"
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            purge_idempotency_keys.defer(timestamp=1)
            assert _jobs(name).count() == 1  # on Django's connection, inside the transaction
            raise RuntimeError("rolled back")
    assert _jobs(name).count() == 0
    purge_idempotency_keys.defer(timestamp=2)
    assert _jobs(name).get().status == "todo"


def test_backoff_doubles_is_capped_and_stops_at_the_limit(settings):
    from types import SimpleNamespace

    from common.jobs import RETRY, PermanentJobError

    settings.JOBS_BACKOFF_BASE_S, settings.JOBS_BACKOFF_MAX_S, settings.JOBS_MAX_ATTEMPTS = 5, 60, 6
    waits = [RETRY.get_retry_decision(exception=OSError(), job=SimpleNamespace(attempts=n)) for n in range(6)]
    assert [w.retry_at is not None for w in waits[:5]] == [True] * 5 and waits[5] is None
    secs = [(w.retry_at - timezone.now()).total_seconds() for w in waits[:5]]
    assert [round(s) for s in secs] == [5, 10, 20, 40, 60]
    assert RETRY.get_retry_decision(exception=PermanentJobError(), job=SimpleNamespace(attempts=0)) is None


@pytest.mark.django_db
def test_health_counts_failed_jobs():
    from common.jobs import jobs_health
    from fieldops.tasks import purge_idempotency_keys

    purge_idempotency_keys.defer(timestamp=3)
    with connection.cursor() as cur:
        cur.execute("UPDATE procrastinate_jobs SET status = 'failed'")
    purge_idempotency_keys.defer(timestamp=4)
    health = jobs_health()
    assert health["failed"] == 1 and health["todo"] == 1


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), committed_rows():
        yield


@pytest.mark.slow
def test_the_worker_alone_escalates_an_overdue_ticket_within_the_schedule_period(committed):
    """As on a machine where only `make run` started: the worker (nothing else, no cron) runs the
    escalation schedule; a worker started after a tick catches up the most recent one."""
    from fieldops.models import Complaint

    c = make_complaint(category="roads").complaint
    Complaint.objects.filter(pk=c.pk).update(due_at=timezone.now() - timedelta(hours=1))
    worker = start_worker()
    try:
        wait_for(lambda: Complaint.objects.filter(pk=c.pk, escalated_at__isnull=False).exists(),
                 timeout=20, proc=worker)
    finally:
        out, err = stop_worker(worker)
    assert worker.returncode == 0, err[-2000:]
    assert c.events.filter(type="escalated").count() == 1


@pytest.mark.django_db
def test_health_endpoint_counts_failed_jobs(client):
    from fieldops.tasks import purge_idempotency_keys

    purge_idempotency_keys.defer(timestamp=5)
    with connection.cursor() as cur:
        cur.execute("UPDATE procrastinate_jobs SET status = 'failed'")
    body = client.get("/health/").json()
    assert body["database"] == "ok" and body["jobs"]["failed"] == 1 and body["jobs"]["todo"] == 0


@pytest.mark.django_db
def test_failed_jobs_are_listed_in_the_admin_with_a_retry_action(client):
    from django.contrib.auth import get_user_model

    from fieldops.tasks import purge_idempotency_keys

    load_city()
    purge_idempotency_keys.defer(timestamp=6)
    with connection.cursor() as cur:
        cur.execute("UPDATE procrastinate_jobs SET status = 'failed'")
    admin = get_user_model().objects.create_superuser("jobsadmin", "a@example.id", "x")
    client.force_login(admin)
    page = client.get("/admin/procrastinate/procrastinatejob/?status__exact=failed")
    assert page.status_code == 200
    html = page.content.decode()
    assert "purge_idempotency_keys" in html and 'value="retry"' in html
