#!/usr/bin/env python
"""Job engine (issue 16): jobs per second through a worker process, and what deferring a job
adds to a complaint create.

- jobs/s: N reporter notifications (e-mail, Django's dummy backend so the mail server is not
  measured) deferred by N real status changes, then one `manage.py jobs_worker --until-empty`
  process runs them; its start-up (measured on an empty queue) is subtracted. Baseline: the same
  task function called N times in this process, one after the other (no engine).
- create + defer: complaint_create in a transaction, with and without one job deferred in it
  (the engine's INSERT on Django's connection), medians over R creates each, interleaved.

    .venv/bin/python bench/jobs.py [--jobs 500] [--creates 200] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import ROOT, add_json_argument, make_row, median, write_json  # noqa: E402

BENCH = "jobs"
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", url, "-Atc", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--db", default="laksa_bench_jobs")
    parser.add_argument("--host-url", default="postgresql://laksa:laksa@127.0.0.1:5432")
    add_json_argument(parser)
    args = parser.parse_args()

    db_url = f"{args.host_url}/{args.db}"
    env = {**os.environ, "DATABASE_URL": db_url.replace("postgresql://", "postgis://"), "DEBUG": "0",
           "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend", "REDIS_URL": ""}
    if psql(f"{args.host_url}/laksa", f"SELECT 1 FROM pg_database WHERE datname = '{args.db}'") != "1":
        psql(f"{args.host_url}/laksa", f"CREATE DATABASE {args.db} TEMPLATE template1")
    subprocess.run([PY, "manage.py", "migrate", "-v0"], check=True, env=env, cwd=ROOT)
    subprocess.run([PY, "manage.py", "load_city_fixtures", "--demo"], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)

    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import Point
    from django.db import connection, transaction

    from fieldops import workflow
    from fieldops.models import Category
    from fieldops.services import complaint_create
    from fieldops.tasks import purge_idempotency_keys
    from integrations.models import Notification
    from integrations.tasks import notification_send

    with connection.cursor() as cur:
        cur.execute("DELETE FROM procrastinate_jobs; DELETE FROM procrastinate_periodic_defers")
    roads = Category.objects.get(slug="roads", active=True)
    operator = get_user_model().objects.get(username="operator")
    where = Point(106.640, -6.178, srid=4326)

    def status_changes(n):
        for i in range(n):
            c = complaint_create(category=roads, location=where, description=f"Bench {i} jalan rusak",
                                 reporter_email=f"b{i}@example.id").complaint
            workflow.complaint_verify(complaint=c, actor=operator)

    def worker_seconds():
        t = time.monotonic()
        subprocess.run([PY, "manage.py", "jobs_worker", "--skip-checks", "--until-empty", "--queues", "notifications",
                        "--concurrency", str(args.concurrency), "--poll", "0.1"], check=True, env=env, cwd=ROOT)
        return time.monotonic() - t

    rows = []
    startup = worker_seconds()  # nothing waiting: process start, Django set-up, one fetch
    status_changes(args.jobs)
    pending = Notification.objects.filter(state="pending").count()
    run = worker_seconds()
    left = Notification.objects.filter(state="pending").count()
    assert left == 0, f"{left} notifications still pending"
    worker_rate = pending / max(run - startup, 1e-6)

    # Baseline: the same task function, called in this process (no engine), on fresh rows.
    status_changes(args.jobs)
    ids = list(Notification.objects.filter(state="pending").values_list("id", flat=True))
    t = time.monotonic()
    for pk in ids:
        notification_send(notification_id=pk)
    direct_rate = len(ids) / (time.monotonic() - t)
    print(f"worker: {pending} jobs in {run - startup:.2f} s (+{startup:.2f} s start-up) = {worker_rate:.0f} jobs/s; "
          f"direct calls: {direct_rate:.0f}/s", flush=True)
    rows.append(make_row(BENCH, f"jobs/s through a worker (c={args.concurrency})", worker_rate, direct_rate,
                         "ratio >= 0.3"))

    plain, deferred = [], []
    for i in range(args.creates):
        for bucket, defer in ((plain, False), (deferred, True)):
            t = time.perf_counter()
            with transaction.atomic():
                complaint_create(category=roads, location=where, description=f"Bench create {i}")
                if defer:
                    purge_idempotency_keys.defer(timestamp=i)
            bucket.append((time.perf_counter() - t) * 1000)
    p, d = median(plain), median(deferred)
    print(f"create: {p:.2f} ms median; with one job deferred in its transaction: {d:.2f} ms (+{d - p:.2f} ms)")
    rows.append(make_row(BENCH, "create + 1 deferred job, median ms", d, p, "ratio <= 1.25"))
    with connection.cursor() as cur:
        cur.execute("DELETE FROM procrastinate_jobs")
    if args.json:
        write_json(args.json, rows)


if __name__ == "__main__":
    main()
