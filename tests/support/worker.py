"""A real job worker process (`manage.py jobs_worker`) on the test database, and committed rows
for it to see."""

from __future__ import annotations

import os
from contextlib import contextmanager
import subprocess
import sys
import time
from pathlib import Path

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


def run_deferred(task_name: str) -> list:
    """Run, in this process and transaction, the jobs of `task_name` waiting in procrastinate's table
    (what a worker would do, for tests whose rows are not committed); marks them succeeded."""
    from procrastinate.contrib.django import app
    from procrastinate.contrib.django.models import ProcrastinateJob

    results = []
    for row in ProcrastinateJob.objects.filter(task_name=task_name, status="todo").order_by("id"):
        results.append(app.tasks[task_name](**row.args))
        with connection.cursor() as cur:
            cur.execute("UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", [row.id])
    return results


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
