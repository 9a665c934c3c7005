"""Send committed complaint events to the channel-layer groups of their audiences.

`realtime.envelope.publish_on_commit` hands every event envelope to `publish_event` through
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
import queue
import threading
import weakref

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from realtime import groups, redislayer
from realtime.audience import client_message, event_facts

logger = logging.getLogger(__name__)

EVENT_HANDLER = "complaint.event"  # consumers handle it in `complaint_event`


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
    names = [groups.ops_government_group(facts[key]) for key in ("government_id", "previous_government_id")
             if facts.get(key)]
    for key in ("agency_id", "previous_agency_id"):
        if facts[key]:
            names.append(groups.ops_agency_group(facts[key]))
    for key in ("crew_id", "previous_crew_id"):
        if facts[key]:
            names.append(groups.crew_group(facts[key]))
    pairs = [(name, staff) for name in dict.fromkeys(names)]
    if facts["tracking_code"] and facts["is_public"]:
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


# Beyond this many events waiting in a process Redis is not keeping up; the rest wait in the
# database for the clients' resume.
MAX_PENDING = 10_000


def _backlog_full(pairs) -> None:
    logger.warning("publisher backlog full, event %s left for resume", pairs[0][1].get("event_id") if pairs else None)


class _PublisherLoop:
    """One event loop thread per process that owns the channel layer's Redis connections.

    A sync request (a WSGI worker, or a sync view under daphne) hands the group sends to this
    loop and returns: no new event loop and Redis connection per event, and no HTTP response
    waiting on Redis. Re-created after a fork (gunicorn preloads the app in its master).
    Used for channels-redis's list-based layer, and for the pub/sub layer when `_PubSubSender`
    cannot be (several hosts or Sentinel).
    """

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
        if self.pending >= MAX_PENDING:
            _backlog_full(pairs)
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


class _PubSubSender:
    """PUBLISHes committed events for the Redis pub/sub channel layer from one plain thread.

    The wire format is the layer's own (realtime.redislayer): the message serialized by the
    layer's public `serialize`, published on the group's channel `<prefix>__group__<group>`,
    so every daphne process subscribed through channels-redis receives it as if `group_send`
    had sent it. Only for a layer with one Redis host (`_sender_for` leaves several hosts to
    the layer's own `group_send`). What the asyncio path costs per event (a task on the loop
    thread, one awaited PUBLISH per group behind a lock) is most of the CPU of publishing;
    here a request only queues its messages, and the thread sends everything queued in one
    pipelined round trip (docs/BENCHMARKS.md, intake). Failure semantics are the loop's: a
    failed send is logged and clients get the event when they resume from the event log.
    """

    MAX_BATCH = 500

    def __init__(self, layer, config: redislayer.RedisLayerConfig):
        if config.single_address is None:
            raise ValueError("only a single plain redis:// address is published from a thread")
        self.layer = layer
        self.config = config
        self._queue: queue.SimpleQueue | None = None
        self._pid = None
        self._lock = threading.Lock()

    def _ensure(self) -> queue.SimpleQueue:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    import redis

                    client = redis.Redis.from_url(self.config.single_address,
                                                  socket_connect_timeout=1.0, socket_timeout=1.0)
                    self._queue = queue.SimpleQueue()
                    threading.Thread(target=self._run, args=(self._queue, client),
                                     name="laksa-realtime-sender", daemon=True).start()
                    self._pid = os.getpid()
        return self._queue

    def submit(self, pairs) -> concurrent.futures.Future | None:
        q = self._ensure()
        if q.qsize() >= MAX_PENDING:
            _backlog_full(pairs)
            return None
        encoded, frames = {}, []
        for group, message in pairs:
            key = id(message)
            if key not in encoded:
                encoded[key] = self.layer.serialize(message)
            frames.append((self.config.group_channel(group), encoded[key]))
        future: concurrent.futures.Future = concurrent.futures.Future()
        q.put((frames, future))
        return future

    def _run(self, q: queue.SimpleQueue, client) -> None:
        while True:
            batch = [q.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(q.get_nowait())
                except queue.Empty:
                    break
            error = None
            try:
                pipe = client.pipeline(transaction=False)
                for frames, _future in batch:
                    for channel, payload in frames:
                        pipe.publish(channel, payload)
                pipe.execute()
            except Exception as exc:  # Redis down: the events are in the database for resume
                error = exc
                logger.warning("could not publish %d events: %s", len(batch), exc)
            for _frames, future in batch:
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)


_publisher = _PublisherLoop()
# One sender per channel-layer object (settings overrides in tests make new layers).
_senders: "weakref.WeakKeyDictionary[object, _PubSubSender | None]" = weakref.WeakKeyDictionary()


def _sender_for(layer) -> _PubSubSender | None:
    """The thread sender for a Redis pub/sub layer on one plain redis:// host; None otherwise
    (several hosts, Sentinel, or another layer: the layer's own group_send on _publisher)."""
    if layer not in _senders:
        sender = None
        if redislayer.is_pubsub_layer(layer):
            config = redislayer.layer_config()
            if config.single_address is not None:
                sender = _PubSubSender(layer, config)
        _senders[layer] = sender
    return _senders[layer]


def publish_event(envelope: dict) -> None:
    """Called after commit. A failing channel layer never fails the request: clients resume."""
    try:
        pairs = messages_for(envelope)
    except Exception:
        logger.warning("could not publish event %s", envelope.get("event_id"), exc_info=True)
        return
    send_messages(pairs, what=f"event {envelope.get('event_id')}")


def send_messages(pairs: list[tuple[str, dict]], *, what: str) -> None:
    """Send (group, channel-layer message) pairs from sync code; log, never raise, on failure."""
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        if isinstance(layer, InMemoryChannelLayer):
            # Single-process development and tests: its queues belong to the server's loop.
            async_to_sync(_send_all)(layer, pairs)
            return
        sender = _sender_for(layer)
        future = sender.submit(pairs) if sender is not None else _publisher.submit(layer, pairs)
        wait = getattr(settings, "REALTIME_PUBLISH_WAIT_S", 0)
        if future is not None and wait:
            future.result(timeout=wait)
    except Exception:  # Redis down: the event is in the database and is delivered on resume
        logger.warning("could not publish %s", what, exc_info=True)
