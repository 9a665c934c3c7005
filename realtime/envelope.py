"""The socket message of a complaint event, built inside the transaction that recorded it.

`publish_on_commit` receives `fieldops.signals.complaint_event_recorded`, builds the envelope
from the objects in hand (publishing reads nothing back) and hands it to `realtime.publish`
once the transaction commits, so a change that was rolled back is never announced. The resume
log (`realtime.selectors.events_after`) builds the same envelope from stored events.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from fieldops.models import Complaint, ComplaintEvent, event_is_public, event_public_data
from fieldops.representation import represent
from realtime.publish import publish_event


def complaint_summary(complaint: Complaint, *, public: bool = True) -> dict:
    """The complaint an event carries: fieldops's public or staff representation, without photos
    (built from the objects in hand) and never with reporter contact."""
    return represent(complaint, staff=not public)


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
            "government_id": complaint.government_id,
            "agency_id": event.agency_id,
            "crew_id": event.crew_id,
            "previous_crew_id": event.previous_crew_id,
            "kecamatan_code": complaint.kecamatan.code if complaint.kecamatan_id else None,
            "tracking_code": complaint.tracking_code,
            # The government the complaint belongs to after the event (issue 18; a transfer's
            # previous government is in its data).
            "government_id": complaint.government_id,
        },
    }


def publish_on_commit(sender, *, event: ComplaintEvent, complaint: Complaint, **kwargs) -> None:
    transaction.on_commit(partial(publish_event, event_envelope(event, complaint)))
