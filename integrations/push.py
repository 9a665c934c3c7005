"""Web Push to Tim Sigap crews: a new assignment, a reroute or transfer away from the crew, a reopen or
an escalation reaches the crew's phones even with the page closed (VAPID, RFC 8291 aes128gcm
through pywebpush). The payload names the ticket and what happened; never the reporter."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from common.jobs import PermanentJobError
from fieldops.models import ComplaintEvent, CrewMember, EventType, Status
from integrations.models import PushSubscription

logger = logging.getLogger(__name__)
GONE = {404, 410}


def push_wanted(event) -> bool:
    return (event.type in (EventType.ASSIGNED, EventType.REROUTED, EventType.TRANSFERRED, EventType.ESCALATED)
            or (event.type == EventType.STATUS and event.to_status == Status.REOPENED))


def push_crew_ids(event) -> set[int]:
    """The crews this event concerns: the complaint's, the new one, and the one it left."""
    ids = {event.complaint.crew_id, (event.data or {}).get("crew_id"), event.previous_crew_id}
    return {i for i in ids if i}


def push_payload(event) -> dict:
    """What the notification shows: the ticket and what happened. No reporter contact."""
    c = event.complaint
    with translation.override(settings.LANGUAGE_CODE):
        what = {
            EventType.ASSIGNED: _("New assignment"),
            EventType.REROUTED: _("Ticket moved to another agency"),
            EventType.TRANSFERRED: _("Ticket moved to another government"),
            EventType.ESCALATED: _("Overdue ticket"),
        }.get(event.type, _("Ticket reopened"))
        if event.type == EventType.ASSIGNED and event.previous_crew_id and event.previous_crew_id != c.crew_id:
            what = _("New assignment")
        category = c.category.name_for(settings.LANGUAGE_CODE)
    return {
        "title": f"{what}: {c.tracking_code}",
        "body": f"{category} — {c.kelurahan.name if c.kelurahan_id else ''}".strip(" —"),
        "code": c.tracking_code,
        "event": event.type,
        "url": f"/sigap/?ticket={c.tracking_code}",
    }


def push_one(sub: PushSubscription, payload: dict, *, topic: str) -> str:
    """Send to one subscription: 'sent', or 'removed' when the push service says it is gone."""
    from pywebpush import WebPushException, webpush

    if not settings.WEBPUSH_VAPID_PRIVATE_KEY:
        raise PermanentJobError("WEBPUSH_VAPID_PRIVATE_KEY is not set (manage.py generate_vapid_keys)")
    try:
        webpush(
            subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
            data=json.dumps(payload), vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.WEBPUSH_SUBJECT}, ttl=settings.WEBPUSH_TTL_S,
            headers={"Topic": topic, "Urgency": "high"}, timeout=10,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in GONE:
            sub.delete()
            return "removed"
        raise
    return "sent"


def push_event_send(event_id: int) -> dict:
    """Push one event to every subscription of the crews it concerns. A retry may repeat a push to
    some phones; the Topic header (one per event) lets the push service replace, not add."""
    event = (ComplaintEvent.objects.select_related("complaint__category", "complaint__kelurahan")
             .filter(pk=event_id).first())
    if event is None:
        return {}
    crews = push_crew_ids(event)
    users = CrewMember.objects.filter(crew_id__in=crews).values_list("user_id", flat=True)
    payload = push_payload(event)
    outcome = {"sent": 0, "removed": 0}
    for sub in PushSubscription.objects.filter(user_id__in=users).order_by("id"):
        outcome[push_one(sub, payload, topic=f"laksa-event-{event.pk}")] += 1
    return outcome
