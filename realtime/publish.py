"""Send committed complaint events to the channel-layer groups of their audiences.

`fieldops.events.event_record` hands every event envelope to `publish_event` through
`transaction.on_commit`. Each group receives the payload its audience may see (staff groups
the staff summary and note, the complaint's public group only public fields), plus the
routing facts the consumer filters by. Publishing never fails the HTTP write: if Redis is
down the event is still in the ComplaintEvent table, and clients get it when they resume.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

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
            # Encoded once here, not once per socket: consumers send this text as it is.
            "text": json.dumps(client_message(envelope, public=variant == "public"), separators=(",", ":")),
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


class _PublisherLoop:
    """One event loop thread per process that owns the channel layer's Redis connections.

    A sync request (a WSGI worker, or a sync view under daphne) hands the group sends to this
    loop and returns: no new event loop and Redis connection per event, and no HTTP response
    waiting on Redis. Re-created after a fork (gunicorn preloads the app in its master).
    """

    MAX_PENDING = 10_000  # beyond this Redis is not keeping up; events wait in the DB for resume

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = None
        self.pending = 0

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="laksa-realtime-publisher", daemon=True).start()
                self._loop, self._pid, self.pending = loop, os.getpid(), 0
            return self._loop

    def submit(self, layer, pairs) -> concurrent.futures.Future | None:
        if self.pending >= self.MAX_PENDING:
            logger.warning("publisher backlog full, event %s left for resume", pairs[0][1].get("event_id") if pairs else None)
            return None
        with self._lock:
            self.pending += 1
        future = asyncio.run_coroutine_threadsafe(_send_all(layer, pairs), self._ensure())
        future.add_done_callback(self._done)
        return future

    def _done(self, future):
        with self._lock:
            self.pending -= 1
        if not future.cancelled() and future.exception() is not None:
            logger.warning("could not publish", exc_info=future.exception())


_publisher = _PublisherLoop()


def publish_event(envelope: dict) -> None:
    """Called after commit. A failing channel layer never fails the request: clients resume."""
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        pairs = messages_for(envelope)
        if isinstance(layer, InMemoryChannelLayer):
            # Single-process development and tests: its queues belong to the server's loop.
            async_to_sync(_send_all)(layer, pairs)
            return
        future = _publisher.submit(layer, pairs)
        wait = getattr(settings, "REALTIME_PUBLISH_WAIT_S", 0)
        if future is not None and wait:
            future.result(timeout=wait)
    except Exception:  # Redis down: the event is in the database and is delivered on resume
        logger.warning("could not publish event %s", envelope.get("event_id"), exc_info=True)
