"""fieldops' jobs (docs/OPERATIONS.md "Jobs"): the public files of an upload, and the schedules
(no cron needed).

Each periodic job runs once per tick however many workers run (procrastinate records the
tick it deferred); a worker that starts late still runs the most recent missed tick."""

from __future__ import annotations

import logging

from django.conf import settings
from procrastinate.contrib.django import app

from common.jobs import job
from fieldops import proof
from fieldops.idempotency import idempotency_keys_purge
from fieldops.retention import reporter_contact_anonymise
from fieldops.workflow import complaint_escalate_overdue

logger = logging.getLogger(__name__)


@job(queue=proof.MEDIA_QUEUE, pass_context=True)
def media_process(context, photo_id: int) -> str:
    """The public copy and thumbnail of a photo, the public MP4 and poster of a video
    (`proof.media_process`, deferred with the upload by `proof.media_defer`). Idempotent by the
    row's state. A conversion out of time is tried again with the backoff; on the last attempt,
    or when anything else keeps failing until then, the row is marked `failed` (the pages stop
    waiting for it) and the job is kept as failed for the admin."""
    final = context.job.attempts + 1 >= settings.JOBS_MAX_ATTEMPTS
    try:
        photo = proof.media_process(photo_id, final=final)
    except Exception:
        if final:
            proof.media_fail(photo_id)
        raise
    return photo.state if photo is not None else "gone"


@app.periodic(cron=settings.SCHEDULE_ESCALATE, periodic_id="escalate_overdue")
@job(queue="schedules")
def escalate_overdue(timestamp: int) -> int:
    """Complaints past their SLA deadline: one `escalated` event each (as `manage.py escalate_overdue`)."""
    codes = complaint_escalate_overdue()
    if codes:
        logger.info("escalated %s overdue complaint(s)", len(codes))
    return len(codes)


@app.periodic(cron=settings.SCHEDULE_RETENTION, periodic_id="anonymise_reporters")
@job(queue="schedules")
def anonymise_reporters(timestamp: int) -> int:
    """Daily: blank reporter contact of long-finished complaints (as `anonymise_reporters --commit`)."""
    return reporter_contact_anonymise(commit=True)


@app.periodic(cron=settings.SCHEDULE_IDEMPOTENCY_PURGE, periodic_id="purge_idempotency_keys")
@job(queue="schedules")
def purge_idempotency_keys(timestamp: int) -> int:
    """Hourly: delete stored Idempotency-Key answers past IDEMPOTENCY_KEY_TTL_HOURS."""
    return idempotency_keys_purge()
