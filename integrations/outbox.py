"""Filling the SP4N-LAPOR! outbox. Always called inside the transaction of the change that
causes the message, with the payload built from the objects in hand; each row's delivery job
is deferred in that transaction too."""

from __future__ import annotations

from django.db import transaction

from common.errors import DomainError
from fieldops.models import Complaint, event_public_note
from integrations.models import OutboxKind, OutboxMessage
from integrations.tasks import lapor_deliver

ERR_ALREADY_FORWARDED = "Complaint {code} is already forwarded to SP4N-LAPOR! ({state})."
ERR_CAME_FROM_LAPOR = "Complaint {code} came from SP4N-LAPOR!; it is not sent back there."

# Our statuses in the contract's vocabulary (docs/LAPOR.md).
LAKSA_TO_LAPOR = {
    "new": "received", "verified": "verified", "on_hold": "on_hold", "assigned": "in_progress",
    "in_progress": "in_progress", "reopened": "in_progress", "resolved": "completed", "closed": "completed",
    "rejected": "rejected", "duplicate": "rejected",
}


class ForwardConflict(DomainError):
    http_status = 409


def report_payload(c: Complaint) -> dict:
    """What LAPOR! receives about a complaint. No reporter contact: that stays in LAKSA."""
    private = c.category.is_private
    return {
        "tracking_code": c.tracking_code,
        "title": f"{c.category.name_id}: {c.description[:80]}",
        "content": c.description,
        "category": c.category.slug,
        "category_name": c.category.name_id,
        "location": None if private else {"lat": round(c.location.y, 7), "lon": round(c.location.x, 7)},
        "address": "" if private else c.address,
        "kecamatan": {"code": c.kecamatan.code, "name": c.kecamatan.name} if c.kecamatan_id else None,
        "kelurahan": {"code": c.kelurahan.code, "name": c.kelurahan.name} if c.kelurahan_id else None,
        "agency": {"code": c.agency.code, "name": c.agency.name},
        "status": LAKSA_TO_LAPOR.get(c.status, "received"),
        "created_at": c.created_at.isoformat(),
        "anonymous": True,
        "source": "LAKSA",
    }


def outbox_report_enqueue(*, complaint: Complaint, reason: str, actor=None) -> OutboxMessage:
    """Queue a complaint for LAPOR! (once per complaint; a second call raises ForwardConflict)."""
    if complaint.channel == "lapor" or complaint.external_id.startswith("lapor:"):
        raise ForwardConflict(ERR_CAME_FROM_LAPOR.format(code=complaint.tracking_code))
    existing = OutboxMessage.objects.filter(complaint=complaint, kind=OutboxKind.REPORT).first()
    if existing:
        raise ForwardConflict(ERR_ALREADY_FORWARDED.format(code=complaint.tracking_code, state=existing.state))
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
