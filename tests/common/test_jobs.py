"""The job engine: jobs are deferred in the transaction of the change (never for a rolled-back
one), retried with a capped backoff, counted for the health endpoint, and a real worker process
started like `make run` does runs the schedules with nothing else started."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.conftest import load_city, make_complaint
from tests.support.worker import committed  # noqa: F401  (a fixture)
from tests.support.worker import wait_for


def _jobs_by_task():
    from procrastinate.contrib.django.models import ProcrastinateJob

    return ProcrastinateJob.objects.order_by("id")


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


@pytest.mark.slow
def test_make_run_alone_escalates_an_overdue_ticket_within_the_schedule_period(committed):
    """What `make run` starts (scripts/run_with_worker.sh: daphne and a job worker, nothing else,
    no cron) escalates an overdue ticket: a worker started after a tick catches up the most recent
    one. SIGTERM to the script stops both processes."""
    import os
    import signal
    import subprocess
    import sys

    from django.conf import settings as django_settings

    from fieldops.models import Complaint
    from tests.support.servers import free_port
    from tests.support.worker import test_database_url

    c = make_complaint(category="roads").complaint
    Complaint.objects.filter(pk=c.pk).update(due_at=timezone.now() - timedelta(hours=1))
    env = {**os.environ, "DATABASE_URL": test_database_url(), "REDIS_URL": ""}
    env.pop("LAKSA_TEST_DB", None)
    daphne = str(Path(sys.executable).parent / "daphne")
    run = subprocess.Popen(["scripts/run_with_worker.sh", sys.executable, "--", daphne, "-b", "127.0.0.1",
                            "-p", str(free_port()), "laksa_gis.asgi:application"],
                           cwd=django_settings.BASE_DIR, env=env, start_new_session=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: Complaint.objects.filter(pk=c.pk, escalated_at__isnull=False).exists(), timeout=30, proc=run)
    finally:
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=30)
    assert c.events.filter(type="escalated").count() == 1
    # The other schedules of that tick ran too (housekeeping among them), none failed.
    ran = dict(_jobs_by_task().values_list("task_name", "status"))
    assert ran.get("common.tasks.jobs_housekeeping") == "succeeded", ran
    assert "failed" not in ran.values(), ran
    left = subprocess.run(["pgrep", "-g", str(run.pid)], capture_output=True, text=True).stdout.split()
    assert left == [], f"processes left running: {left}"


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
