"""A real job worker process (`manage.py jobs_worker`) on the test database, and committed rows
for it to see."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from django.conf import settings as django_settings
from django.db import connection


def test_database_url() -> str:
    s = connection.settings_dict
    return f"postgis://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(*args: str, env: dict | None = None) -> subprocess.Popen:
    """`manage.py jobs_worker ARGS` with DATABASE_URL pointing at the test database."""
    full = {**os.environ, "DATABASE_URL": test_database_url(), "REDIS_URL": "", "JOBS_BACKOFF_BASE_S": "0.2",
            **(env or {})}
    full.pop("LAKSA_TEST_DB", None)
    return subprocess.Popen([sys.executable, "manage.py", "jobs_worker", "--skip-checks", "--poll", "0.2", *args],
                            cwd=Path(django_settings.BASE_DIR), env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def media_worker(env: dict | None = None):
    """A worker process for the media queue only (public copies, thumbnails, video MP4s and
    posters) beside servers a test started: `env` as theirs (MEDIA_ROOT, the S3 settings)."""
    proc = start_worker("--queues", "media", "--concurrency", "1", env=env)
    try:
        yield proc
    finally:
        stop_worker(proc)


def stop_worker(proc: subprocess.Popen, timeout: float = 10) -> tuple[str, str]:
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1, proc: subprocess.Popen | None = None):
    """Poll `predicate` (on a fresh read each time) until it is truthy; the value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"worker exited {proc.returncode}: {proc.communicate()[1][-2000:]}")
        time.sleep(interval)
    raise AssertionError("timed out waiting")


def run_deferred(task_name: str, *, raise_errors: bool = True) -> list:
    """Run, in this process and transaction, the jobs of `task_name` that are due in procrastinate's
    table: what a worker does, for tests whose rows are not committed. A job that raises is retried
    or failed by its task's own retry strategy (its wait is not waited); with raise_errors the
    first error is raised after the table is updated."""
    from types import SimpleNamespace

    from procrastinate.contrib.django import app
    from procrastinate.contrib.django.models import ProcrastinateJob

    results, first_error = [], None
    for row in ProcrastinateJob.objects.filter(task_name=task_name, status="todo").order_by("id"):
        task = app.tasks[task_name]
        try:
            if task.pass_context:  # the little of a JobContext our tasks read: the job's attempts
                context = SimpleNamespace(job=SimpleNamespace(id=row.id, attempts=row.attempts, task_name=task_name))
                results.append(task(context, **row.args))
            else:
                results.append(task(**row.args))
            status = "succeeded"
        except Exception as exc:
            decision = task.retry_strategy.get_retry_decision(
                exception=exc, job=SimpleNamespace(attempts=row.attempts)) if task.retry_strategy else None
            status = "todo" if decision is not None else "failed"
            first_error = first_error or exc
        with connection.cursor() as cur:
            cur.execute("UPDATE procrastinate_jobs SET status = %s, attempts = attempts + 1 WHERE id = %s",
                        [status, row.id])
    if first_error is not None and raise_errors:
        raise first_error
    return results


MEDIA_TASK = "fieldops.tasks.media_process"


def media_jobs_run(*, raise_errors: bool = True) -> list:
    """Run the waiting media jobs (public copies, thumbnails, video MP4s and posters) in this
    process and transaction, as a worker would: what an upload leaves `processing` becomes ready."""
    return run_deferred(MEDIA_TASK, raise_errors=raise_errors)


def drain(task_name: str, rounds: int = 100) -> None:
    """run_deferred until no job of `task_name` is waiting (retries run at once)."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    for _ in range(rounds):
        if not ProcrastinateJob.objects.filter(task_name=task_name, status="todo").exists():
            return
        run_deferred(task_name, raise_errors=False)
    raise AssertionError(f"{task_name} jobs not drained")


@contextmanager
def committed_rows():
    """For tests whose rows a worker process must see: rows are committed for real (the city data
    stays); the complaints made and the job tables are cleared afterwards. Only on a test database."""
    from fieldops.models import Complaint
    from tests.conftest import load_city

    name = connection.settings_dict["NAME"]
    assert name.startswith("test_"), f"not a test database: {name}"
    load_city()
    first = Complaint.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with connection.cursor() as cur:
        cur.execute(CLEAR_JOBS)
    try:
        yield
    finally:
        Complaint.objects.filter(id__gt=first).delete()
        with connection.cursor() as cur:
            cur.execute(CLEAR_JOBS)
        connection.close()


CLEAR_JOBS = ("DELETE FROM procrastinate_jobs; DELETE FROM procrastinate_periodic_defers; "
              "DELETE FROM procrastinate_workers;")


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """committed_rows() as a fixture (import it into a test module to use it)."""
    with django_db_blocker.unblock(), committed_rows():
        yield
