"""The socket message of a complaint event, built inside the transaction that recorded it.

`publish_on_commit` receives `fieldops.signals.complaint_event_recorded`, builds the envelope
from the objects in hand (publishing reads nothing back) and hands it to `realtime.publish`
once the transaction commits, so a change that was rolled back is never announced. The resume
log (`realtime.selectors.events_after`) builds the same envelope from stored events.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from fieldops.models import Complaint, ComplaintEvent, STATUS_COLOR, event_is_public, event_public_data
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


def event_envelope(event: ComplaintEvent, complaint: Complaint) -> dict:
    """The socket message of an event, with the audience facts the realtime layer routes by.

    `complaint_public` and `public_data` go to everyone; `complaint` (staff view), `note` and
    `data` only to staff audiences. What is public is decided by the one rule of
    fieldops.models (`event_is_public`, `event_public_data`); the consumers only route.
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


def publish_on_commit(sender, *, event: ComplaintEvent, complaint: Complaint, **kwargs) -> None:
    transaction.on_commit(partial(publish_event, event_envelope(event, complaint)))
