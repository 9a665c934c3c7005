"""Filling the SP4N-LAPOR! outbox. Always called inside the transaction of the change that
causes the message, with the payload built from the objects in hand; each row's delivery job
is deferred in that transaction too."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy

from common.errors import DomainError
from common.errors import interpolate
from fieldops.models import Complaint, event_public_note
from fieldops.representation import ComplaintPublicSerializer
from integrations.models import OutboxKind, OutboxMessage
from integrations.tasks import lapor_deliver

ERR_ALREADY_FORWARDED = gettext_lazy("Complaint %(code)s is already forwarded to SP4N-LAPOR! (%(state)s).")
ERR_CAME_FROM_LAPOR = gettext_lazy("Complaint %(code)s came from SP4N-LAPOR!; it is not sent back there.")

# Our statuses in the contract's vocabulary (docs/LAPOR.md).
LAKSA_TO_LAPOR = {
    "new": "received", "verified": "verified", "on_hold": "on_hold", "assigned": "in_progress",
    "in_progress": "in_progress", "reopened": "in_progress", "resolved": "completed", "closed": "completed",
    "rejected": "rejected", "duplicate": "rejected",
}


class ForwardConflict(DomainError):
    http_status = 409


def report_payload(c: Complaint) -> dict:
    """What LAPOR! receives about a complaint, mapped from fieldops's public representation (in
    Indonesian): no reporter contact, that stays in LAKSA; a private category has no place."""
    with translation.override("id"):
        public = ComplaintPublicSerializer(c, context={"photos": False}).data
    point = public["location"]["coordinates"] if public["location"] else None
    agency = public["agency"]
    return {
        "tracking_code": public["tracking_code"],
        "title": f"{public['category']['name']}: {c.description[:80]}",
        "content": public["description"],
        "category": public["category"]["slug"],
        "category_name": public["category"]["name"],
        "location": {"lat": point[1], "lon": point[0]} if point else None,
        "address": public["address"],
        "kecamatan": public["kecamatan"],
        "kelurahan": public["kelurahan"],
        "agency": {"code": agency["code"], "name": agency["name"]},
        "status": LAKSA_TO_LAPOR.get(c.status, "received"),
        "created_at": c.created_at.isoformat(),
        "anonymous": True,
        "source": "LAKSA",
    }


def outbox_report_enqueue(*, complaint: Complaint, reason: str, actor=None) -> OutboxMessage:
    """Queue a complaint for LAPOR! (once per complaint; a second call raises ForwardConflict)."""
    if complaint.channel == "lapor" or complaint.external_id.startswith("lapor:"):
        raise ForwardConflict(interpolate(ERR_CAME_FROM_LAPOR, code=complaint.tracking_code))
    existing = OutboxMessage.objects.filter(complaint=complaint, kind=OutboxKind.REPORT).first()
    if existing:
        raise ForwardConflict(interpolate(ERR_ALREADY_FORWARDED, code=complaint.tracking_code, state=existing.state))
    with transaction.atomic():
        row = OutboxMessage.objects.create(
            kind=OutboxKind.REPORT, complaint=complaint, payload=report_payload(complaint), reason=reason,
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        lapor_deliver.defer(outbox_id=row.pk)  # in the same transaction: no row without its job
        return row


def outbox_status_enqueue_if_forwarded(*, complaint: Complaint, event) -> OutboxMessage | None:
    """A status change of a complaint LAPOR! knows about (forwarded or imported) goes there too."""
    known = complaint.external_id.startswith("lapor:") or OutboxMessage.objects.filter(
        complaint_id=complaint.pk, kind=OutboxKind.REPORT).exists()
    if not known:
        return None
    row = OutboxMessage.objects.create(
        kind=OutboxKind.STATUS, complaint=complaint, reason="status_change",
        payload={
            "tracking_code": complaint.tracking_code,
            "status": LAKSA_TO_LAPOR.get(event.to_status, "in_progress"),
            "laksa_status": event.to_status,
            # LAPOR! shows it to the citizen: the public note only, never a staff note.
            "note": event_public_note(event),
            "at": event.at.isoformat(),
            "event_id": event.pk,
        },
    )
    lapor_deliver.defer(outbox_id=row.pk)
    return row
