"""Receives `fieldops.signals.complaint_event_recorded` for every event, inside its transaction.

Two things ride on complaint events without touching the workflow code:
- the SP4N-LAPOR! outbox: a new complaint of a forwarded category, and the status changes of
  a forwarded (or LAPOR-imported) complaint, become outbox rows in the same transaction;
- reporter e-mail: a public status change is mailed to the reporter after commit."""

from __future__ import annotations

import contextvars
import logging
from contextlib import contextmanager
from functools import partial

from django.conf import settings
from django.db import transaction

from fieldops.models import EventType
from integrations.notifications import status_mail
from integrations.outbox import outbox_report_enqueue, outbox_status_enqueue_if_forwarded

logger = logging.getLogger(__name__)

# Set while the bridge applies a status that came from LAPOR!, so it is not echoed back.
_from_lapor = contextvars.ContextVar("laksa_from_lapor", default=False)


@contextmanager
def lapor_echo_suppressed():
    token = _from_lapor.set(True)
    try:
        yield
    finally:
        _from_lapor.reset(token)


def is_status_change(event) -> bool:
    from fieldops.models import event_is_public

    return bool(event_is_public(event) and event.to_status and event.from_status
                and event.to_status != event.from_status)


def on_event_recorded(sender, *, event, complaint, **kwargs) -> None:
    """Outbox rows for LAPOR! and the reporter's e-mail, for one recorded event."""
    if event.type == EventType.CREATED:
        slug = complaint.category.slug if complaint.category_id else ""
        if slug and slug in settings.LAPOR_FORWARD_CATEGORIES and complaint.channel != "lapor":
            outbox_report_enqueue(complaint=complaint, reason="category_rule")
    elif is_status_change(event):
        if not _from_lapor.get():
            outbox_status_enqueue_if_forwarded(complaint=complaint, event=event)
        notify_reporter_on_commit(event=event, complaint=complaint)


def notify_reporter_on_commit(*, event, complaint) -> None:
    """Mail the reporter (if they gave an e-mail) about a public status change, after commit."""
    if not is_status_change(event) or not complaint.reporter_email:
        return
    message = status_mail(complaint=complaint, event=event)
    transaction.on_commit(partial(_send, message))


def _send(message) -> None:
    try:
        message.send(fail_silently=False)
    except Exception:  # a mail server outage must not break the request that changed the status
        logger.exception("reporter notification for %s failed", message.subject)
