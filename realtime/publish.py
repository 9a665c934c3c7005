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

from realtime import groups
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
    names = [groups.ops_all_group()]
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
    Used for channel layers other than Redis pub/sub (channels-redis's list-based layer).
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

    The wire format is the layer's own: the message serialized by the layer, published on the
    group's channel (`<prefix>__group__<group>`) of the shard the layer would pick, so every
    daphne process subscribed through channels-redis receives it as if `group_send` had sent it.
    What the asyncio path costs per event (a task on the loop thread, one awaited PUBLISH per
    group behind a lock) is most of the CPU of publishing; here a request only queues its
    messages, and the thread sends everything queued in one pipelined round trip per shard
    (docs/BENCHMARKS.md, intake). Failure semantics are the loop's: a failed send is logged and
    clients get the event when they resume from the event log.
    """

    MAX_BATCH = 500

    def __init__(self, layer):
        from channels_redis.utils import _consistent_hash, decode_hosts

        hosts = layer._kwargs.get("hosts") or (layer._args[0] if layer._args else None)
        decoded = decode_hosts(hosts)
        if not all(set(h) == {"address"} for h in decoded):
            raise ValueError("only plain redis:// addresses are published from a thread")
        self.layer = layer
        self.prefix = layer._kwargs.get("prefix", "asgi")
        self.addresses = [h["address"] for h in decoded]
        self._hash = _consistent_hash
        self._queue: queue.SimpleQueue | None = None
        self._pid = None
        self._lock = threading.Lock()

    def _ensure(self) -> queue.SimpleQueue:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    import redis

                    clients = [redis.Redis.from_url(address, socket_connect_timeout=1.0, socket_timeout=1.0)
                               for address in self.addresses]
                    self._queue = queue.SimpleQueue()
                    threading.Thread(target=self._run, args=(self._queue, clients),
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
            channel = f"{self.prefix}__group__{group}"
            frames.append((self._hash(channel, len(self.addresses)), channel, encoded[key]))
        future: concurrent.futures.Future = concurrent.futures.Future()
        q.put((frames, future))
        return future

    def _run(self, q: queue.SimpleQueue, clients) -> None:
        while True:
            batch = [q.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(q.get_nowait())
                except queue.Empty:
                    break
            error = None
            try:
                pipes = [client.pipeline(transaction=False) for client in clients]
                for frames, _future in batch:
                    for shard, channel, payload in frames:
                        pipes[shard].publish(channel, payload)
                for pipe in pipes:
                    if len(pipe):
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
    from channels_redis.pubsub import RedisPubSubChannelLayer

    if layer not in _senders:
        sender = None
        if isinstance(layer, RedisPubSubChannelLayer):
            try:
                sender = _PubSubSender(layer)
            except (ValueError, AttributeError):  # Sentinel or other hosts: the asyncio path
                sender = None
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
