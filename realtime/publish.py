"""Send committed complaint events to the channel-layer groups of their audiences."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from realtime import groups

logger = logging.getLogger(__name__)


def groups_for(envelope: dict) -> list[str]:
    audience = envelope["audience"]
    names = [groups.ops_all_group()]
    if audience.get("agency_id"):
        names.append(groups.ops_agency_group(audience["agency_id"]))
    for key in ("crew_id", "previous_crew_id"):
        if audience.get(key):
            names.append(groups.crew_group(audience[key]))
    if envelope.get("is_public"):
        names.append(groups.complaint_group(audience["tracking_code"]))
    return list(dict.fromkeys(names))


def publish_event(envelope: dict) -> None:
    """Called after commit. A failing channel layer never fails the request: clients resume."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "complaint.event", "event": envelope}
    try:
        for name in groups_for(envelope):
            async_to_sync(layer.group_send)(name, message)
    except Exception:  # Redis down: the event is in the database and is delivered on resume
        logger.warning("could not publish event %s", envelope.get("event_id"), exc_info=True)
