"""Receives `fieldops.signals.complaint_event_recorded` for every event, inside its transaction.

Two things ride on complaint events without touching the workflow code:
- the SP4N-LAPOR! outbox: a new complaint of a forwarded category, and the status changes of
  a forwarded (or LAPOR-imported) complaint, become outbox rows in the same transaction;
- reporter notifications: a public status change becomes one `Notification` row and one job per
  channel the reporter can be reached on (e-mail; phone with consent), in the same transaction,
  so the message is neither lost when the mail server is down nor sent for a rolled-back change."""

from __future__ import annotations

import logging

from django.conf import settings

from fieldops.models import EventType
from integrations.echo import lapor_echo_is_suppressed
from integrations.models import Notification, NotifyChannel
from integrations.outbox import outbox_report_enqueue, outbox_status_enqueue_if_forwarded
from integrations.push import push_crew_ids, push_wanted
from integrations.tasks import lapor_handoff_deliver, notification_send, push_event

logger = logging.getLogger(__name__)


def is_status_change(event) -> bool:
    from fieldops.models import event_is_public

    return bool(event_is_public(event) and event.to_status and event.from_status
                and event.to_status != event.from_status)


def on_event_recorded(sender, *, event, complaint, **kwargs) -> None:
    """Outbox rows for LAPOR! and the reporter's notification jobs, for one recorded event."""
    if event.type == EventType.CREATED:
        slug = complaint.category.slug if complaint.category_id else ""
        if slug and slug in settings.LAPOR_FORWARD_CATEGORIES and complaint.channel != "lapor":
            outbox_report_enqueue(complaint=complaint, reason="category_rule")
    elif is_status_change(event):
        if not lapor_echo_is_suppressed():
            outbox_status_enqueue_if_forwarded(complaint=complaint, event=event)
        notify_reporter(event=event, complaint=complaint)
    if push_wanted(event) and push_crew_ids(event):
        push_event.defer(event_id=event.pk)


def reporter_channels(complaint) -> list[str]:
    """Where this reporter can be told: e-mail if given; phone if given with consent."""
    channels = []
    if complaint.reporter_email:
        channels.append(NotifyChannel.EMAIL)
    if complaint.reporter_phone and complaint.reporter_phone_consent:
        channels.append(NotifyChannel.PHONE)
    return channels


def notify_reporter(*, event, complaint) -> list[Notification]:
    """One notification row and one job per channel for a public status change, in this transaction."""
    if not is_status_change(event):
        return []
    made = []
    for channel in reporter_channels(complaint):
        n, created = Notification.objects.get_or_create(event=event, channel=channel,
                                                        defaults={"complaint": complaint})
        if created:
            notification_send.defer(notification_id=n.pk)
            made.append(n)
    return made


def on_lapor_handoff(sender, *, key, payload, **kwargs) -> str:
    """A report at a pin no government here serves goes to SP4N-LAPOR!: its delivery job, deferred
    in the intake's transaction (procrastinate writes the job row there), runs after commit."""
    lapor_handoff_deliver.defer(key=key, payload=payload)
    return key
