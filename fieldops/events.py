"""Recording complaint events and announcing them.

Every state change writes one ComplaintEvent in the same transaction as the change, then sends
`fieldops.signals.complaint_event_recorded`. The reactions (realtime's socket publishing,
integrations' LAPOR! outbox and reporter mail) are receivers connected in their apps' `ready()`;
each builds what it needs from the objects in hand, inside the transaction, and waits for
`transaction.on_commit` before it talks to the outside world.
"""

from __future__ import annotations

from django.utils import timezone

from common.fastinsert import insert_row
from fieldops import permissions
from fieldops.models import Complaint, ComplaintEvent
from fieldops.signals import complaint_event_recorded


def complaint_touch(complaint: Complaint, actor, now) -> list[str]:
    """Mark the row changed (the fields to save); the first staff action sets first_response_at."""
    complaint.updated_at = now
    fields = ["updated_at"]
    if complaint.first_response_at is None and permissions.is_staff_user(actor):
        complaint.first_response_at = now
        fields.append("first_response_at")
    return fields


def event_record(
    *,
    complaint: Complaint,
    type: str,
    actor=None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    location=None,
    is_public: bool = True,
    previous_crew_id: int | None = None,
    data: dict | None = None,
    at=None,
) -> ComplaintEvent:
    """Append an event to a complaint's log and announce it (inside the caller's transaction)."""
    event = ComplaintEvent(
        complaint=complaint,
        type=type,
        at=at or timezone.now(),
        actor=actor if (actor is not None and getattr(actor, "is_authenticated", False)) else None,
        from_status=from_status,
        to_status=to_status,
        note=note,
        location=location,
        is_public=is_public,
        agency_id=complaint.agency_id,
        crew_id=complaint.crew_id,
        previous_crew_id=previous_crew_id,
        data=data or {},
    )
    insert_row(event)  # append-only: always a new row (see common.fastinsert)
    complaint_event_recorded.send(sender=ComplaintEvent, event=event, complaint=complaint)
    return event
