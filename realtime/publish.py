"""Send committed complaint events to the channel-layer groups of their audiences.

`fieldops.events.event_record` hands every event envelope to `publish_event` through
`transaction.on_commit`. Each group receives the payload its audience may see (staff groups
the staff summary and note, the complaint's public group only public fields), plus the
routing facts the consumer filters by. Publishing never fails the HTTP write: if Redis is
down the event is still in the ComplaintEvent table, and clients get it when they resume.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from realtime import groups
from realtime.audience import client_message, event_facts, is_public_event

logger = logging.getLogger(__name__)

EVENT_HANDLER = "complaint.event"  # consumers handle it in `complaint_event`


def groups_for(envelope: dict) -> list[str]:
    """Every group that must hear about an event (staff and public)."""
    return [name for name, _message in messages_for(envelope)]


def messages_for(envelope: dict) -> list[tuple[str, dict]]:
    """(group, channel-layer message) pairs for one event, payload per audience."""
    facts = event_facts(envelope)

    def wrap(variant: str) -> dict:
        return {
            "type": EVENT_HANDLER,
            "event_id": envelope["event_id"],
            "variant": variant,
            "facts": facts,
            "message": client_message(envelope, public=variant == "public"),
        }

    staff = wrap("staff")
    names = [groups.ops_all_group()]
    for key in ("agency_id", "previous_agency_id"):
        if facts[key]:
            names.append(groups.ops_agency_group(facts[key]))
    for key in ("crew_id", "previous_crew_id"):
        if facts[key]:
            names.append(groups.crew_group(facts[key]))
    pairs = [(name, staff) for name in dict.fromkeys(names)]
    if facts["tracking_code"] and is_public_event(facts):
        pairs.append((groups.complaint_group(facts["tracking_code"]), wrap("public")))
    return pairs


async def _send_all(layer, pairs: list[tuple[str, dict]]) -> int:
    failed = 0
    for name, message in pairs:
        try:
            await layer.group_send(name, message)
        except Exception:  # one unreachable group must not stop the others
            failed += 1
            logger.warning("could not publish event %s to %s", message.get("event_id"), name, exc_info=True)
    return failed


def publish_event(envelope: dict) -> None:
    """Called after commit. A failing channel layer never fails the request: clients resume."""
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        # One hop into async for all groups: one Redis connection pool, not one per group.
        async_to_sync(_send_all)(layer, messages_for(envelope))
    except Exception:  # Redis down: the event is in the database and is delivered on resume
        logger.warning("could not publish event %s", envelope.get("event_id"), exc_info=True)
