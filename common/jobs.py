"""The job engine's shared pieces (docs/OPERATIONS.md "Jobs").

LAKSA runs its background work on procrastinate: a job is a row in PostgreSQL, deferred on
Django's own connection, so it commits or rolls back with the change that caused it (nothing
is lost between the commit and the enqueue, and nothing is enqueued for a change that never
happened). Workers (`manage.py jobs_worker`, any number of them) take jobs with
SELECT … FOR UPDATE SKIP LOCKED, retry failures with a capped exponential backoff, and keep
failed jobs for the Django admin (Procrastinate › Procrastinate jobs, action "Retry").

A job may run more than once (its worker killed after the effect, before marking it done):
every task here is written to be idempotent by its own key (a delivery row, an outbox row's
Idempotency-Key), so a second run has no second visible effect."""

from __future__ import annotations

import functools
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.contrib.django import app


class PermanentJobError(Exception):
    """Raised by a task when trying again cannot help (bad configuration, refused by the remote)."""


class Backoff(BaseRetryStrategy):
    """base × 2^attempt seconds, capped, at most JOBS_MAX_ATTEMPTS runs (settings read per decision)."""

    def get_retry_decision(self, *, exception, job):
        if isinstance(exception, PermanentJobError):
            return None
        if job.attempts + 1 >= settings.JOBS_MAX_ATTEMPTS:  # attempts: previous runs of this job
            return None
        wait = min(settings.JOBS_BACKOFF_BASE_S * (2 ** job.attempts), settings.JOBS_BACKOFF_MAX_S)
        return RetryDecision(retry_in={"seconds": wait})


RETRY = Backoff()


def job(*, queue: str, retry=None, **options):
    """`app.task` with LAKSA's retry policy, for a synchronous function that uses the ORM.

    The worker runs a task in a thread that keeps its Django connection between jobs; a connection
    broken meanwhile (PostgreSQL restarted, backend terminated) is dropped before and after each
    job, as Django does around a request, so the retry gets a fresh one."""

    def decorate(func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            if connection.in_atomic_block:  # called inside a transaction (a test, a shell): leave it be
                return func(*args, **kwargs)
            close_old_connections()
            try:
                return func(*args, **kwargs)
            finally:
                close_old_connections()

        return app.task(queue=queue, name=f"{func.__module__}.{func.__name__}", retry=retry or RETRY,
                        **options)(run)

    return decorate


def jobs_health() -> dict:
    """Counts for the health endpoint: failed jobs (an admin should look), waiting, running, live workers."""
    from django.db.models import Count
    from procrastinate.contrib.django.models import ProcrastinateJob, ProcrastinateWorker

    by_status = dict(ProcrastinateJob.objects.order_by().values_list("status").annotate(n=Count("id")))
    since = timezone.now() - timedelta(seconds=settings.JOBS_STALLED_AFTER_S)
    return {
        "failed": by_status.get("failed", 0),
        "todo": by_status.get("todo", 0),
        "doing": by_status.get("doing", 0),
        "workers": ProcrastinateWorker.objects.filter(last_heartbeat__gte=since).count(),
    }
