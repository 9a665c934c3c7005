"""Writes of the integrations app: an operator forwarding a complaint to SP4N-LAPOR!."""

from __future__ import annotations

from django.db import transaction

from fieldops.events import event_record
from fieldops.models import Complaint, EventType
from integrations.models import OutboxMessage
from integrations.outbox import outbox_report_enqueue


def lapor_forward(*, complaint: Complaint, actor) -> OutboxMessage:
    """Queue a complaint for SP4N-LAPOR! on an operator's decision, with a staff-only event."""
    with transaction.atomic():
        c = (Complaint.objects.select_for_update(of=("self",))
             .select_related("category", "agency", "kecamatan", "kelurahan", "crew").get(pk=complaint.pk))
        message = outbox_report_enqueue(complaint=c, reason="operator", actor=actor)
        event_record(complaint=c, type=EventType.NOTE, actor=actor, is_public=False,
                     note="Queued for SP4N-LAPOR!", data={"lapor": "queued", "outbox_id": message.pk})
    return message


def push_subscription_save(*, user, endpoint: str, p256dh: str, auth: str):
    """Register (or move to this user) a browser's push subscription; one row per endpoint."""
    from integrations.models import PushSubscription

    sub, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth})
    return sub
