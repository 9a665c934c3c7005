"""Recording complaint events and handing them to the realtime layer after commit.

Every state change writes one ComplaintEvent in the same transaction as the change. The
payload sent to sockets is built here, inside the transaction, from the objects in hand, and
published by `transaction.on_commit`: publishing reads nothing back and never announces a
change that was rolled back.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from fieldops.models import Complaint, ComplaintEvent, STATUS_COLOR, event_is_public, event_public_data
from laksa_gis.fastinsert import insert_row
from realtime.publish import publish_event


def complaint_summary(complaint: Complaint, *, public: bool = True) -> dict:
    """The complaint fields an event carries. Never reporter contact."""
    loc = complaint.location
    data = {
        "tracking_code": complaint.tracking_code,
        "status": complaint.status,
        "status_color": STATUS_COLOR.get(complaint.status, "grey"),
        "category": complaint.category.slug if complaint.category_id else None,
        "location": {"type": "Point", "coordinates": [round(loc.x, 7), round(loc.y, 7)]},
        "kecamatan": _area(complaint.kecamatan) if complaint.kecamatan_id else None,
        "kelurahan": _area(complaint.kelurahan) if complaint.kelurahan_id else None,
        "agency": {"code": complaint.agency.code, "name": complaint.agency.name},
        "due_at": complaint.due_at.isoformat() if complaint.due_at else None,
        "updated_at": complaint.updated_at.isoformat() if complaint.updated_at else None,
    }
    if public and complaint.category_id and complaint.category.is_private:
        # Reports about a person (adminduk, social aid) never show their exact spot publicly.
        data["location"] = None
    if not public:
        data["assigned_crew"] = (
            {"id": complaint.crew_id, "name": complaint.crew.name} if complaint.crew_id else None
        )
        data["priority"] = complaint.priority
        data["description"] = complaint.description[:280]
    return data


def _area(area) -> dict:
    return {"code": area.code, "name": area.name}


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
    """Append an event to a complaint's log and publish it once the transaction commits."""
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
    insert_row(event)  # append-only: always a new row (see laksa_gis.fastinsert)
    envelope = event_envelope(event, complaint)
    transaction.on_commit(partial(publish_event, envelope))
    # Integrations (issue 7): SP4N-LAPOR! outbox rows in this transaction, and
    # notify_reporter_on_commit (e-mail on a public status change, after commit).
    from integrations.hooks import on_event_recorded

    on_event_recorded(event, complaint)
    return event


def event_envelope(event: ComplaintEvent, complaint: Complaint) -> dict:
    """The socket message of an event, with the audience facts the realtime layer routes by.

    `complaint_public` and `public_data` go to everyone; `complaint` (staff view), `note` and
    `data` only to staff audiences. What is public is decided here, by the one rule of
    fieldops.models (`event_is_public`, `event_public_data`); the realtime layer only routes.
    """
    return {
        "event_id": event.pk,
        "type": event.type,
        "at": event.at.isoformat(),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "is_public": event_is_public(event),
        "note": event.note,
        "data": event.data,
        "public_data": event_public_data(event),
        "complaint": complaint_summary(complaint, public=False),
        "complaint_public": complaint_summary(complaint, public=True),
        "audience": {
            "agency_id": event.agency_id,
            "crew_id": event.crew_id,
            "previous_crew_id": event.previous_crew_id,
            "kecamatan_code": complaint.kecamatan.code if complaint.kecamatan_id else None,
            "tracking_code": complaint.tracking_code,
        },
    }
