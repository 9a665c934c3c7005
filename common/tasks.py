"""The job engine's own housekeeping, as a periodic job (docs/OPERATIONS.md "Jobs")."""

from __future__ import annotations

import logging

from django.conf import settings
from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)


async def jobs_stalled_retry(job_manager) -> int:
    """Run again the jobs of workers that stopped sending heartbeats (killed, machine lost)."""
    stalled = await job_manager.get_stalled_jobs(seconds_since_heartbeat=settings.JOBS_STALLED_AFTER_S)
    n = 0
    for stalled_job in stalled:
        await job_manager.retry_job(stalled_job)
        n += 1
    if n:
        logger.warning("re-queued %s job(s) of stalled workers", n)
    return n


@app.periodic(cron=settings.SCHEDULE_JOBS_HOUSEKEEPING, periodic_id="jobs_housekeeping")
@app.task(queue="schedules", name="common.tasks.jobs_housekeeping", pass_context=True)
async def jobs_housekeeping(context, timestamp: int) -> None:
    """Every minute: re-queue stalled jobs; delete succeeded jobs older than JOBS_KEEP_SUCCEEDED_HOURS
    (failed ones stay until an admin retries or deletes them)."""
    manager = context.app.job_manager
    await jobs_stalled_retry(manager)
    await manager.delete_old_jobs(nb_hours=settings.JOBS_KEEP_SUCCEEDED_HOURS)
