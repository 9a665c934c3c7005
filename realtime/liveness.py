"""Close this process's sockets when its connection to Redis drops and comes back (CHANNEL_LAYER=pubsub).

Why a drop means missed events: with Redis PUBLISH/SUBSCRIBE a message reaches only the
subscribers connected at the moment it is published; Redis keeps nothing for a subscriber
that is away. The pub/sub channel layer (through redis-py) reconnects and re-subscribes on its
own and tells no one, so an open socket would silently miss every event published during the
gap. So when this process's connection to Redis comes back after a drop, every socket of this
process is closed with 4503 ("reconnect now"); clients reconnect with `?after=<cursor>` and
the resume fills the gap from the event log in the database.

How the drop is seen, with public API only (no channels-redis internals, which an upgrade
would break quietly): the first socket registered in an event loop starts a `RedisWatch` in
that loop. On each Redis host of the channel layer (from settings, connected the way the layer
connects: realtime.redislayer) it keeps a redis-py asyncio subscription of its own, to a
channel of its own, read by one task. A Redis restart, a failover or a network cut breaks this
connection together with the layer's. When redis-py connects it again (inside a read, or when
the reader retries after a ConnectionError), it calls the watch's connect callback
(`PubSub.connection.register_connect_callback`, redis-py's public hook), and that closes the
sockets. A watch subscription that could not be made at first and is made later counts as a
drop too. Closed sockets leave their groups; the layer's UNSUBSCRIBE reconnects its own
subscription if its reader has not yet (redis-py connects before it sends a command), so the
clients that come back subscribe and resume on a live connection. The watch stops when the
last socket of its loop leaves, so an idle process holds no extra connection and tests leave
no task behind.

Limit: the watch shares the layer's Redis server and network path, not its connection. If
Redis drops only the layer's subscriber (`CLIENT KILL` of that one client, or the
`client-output-buffer-limit pubsub` of a process that falls far behind), the watch does not
see it.

(The list-based "core" layer and the in-memory layer need no watch: the core layer's receive
loop fails while Redis is down, the socket closes, and the client reconnects and resumes the
same way.)

tests/realtime/test_liveness.py restarts a private redis-server under open sockets;
tests/realtime/test_servers.py does it under daphne, for both layers.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref

import redis.asyncio

from realtime import redislayer

logger = logging.getLogger(__name__)

CLOSE_RESTART = 4503  # WebSocket servers may only send 1000 or 3000-4999
RETRY_S = 0.5  # pause between attempts to reach Redis again
READ_S = 5.0  # the watch channel is quiet: a read waits this long, then reads again
CONNECT_TIMEOUT_S = 2.0  # a connect attempt during a network cut fails instead of hanging


class RedisWatch:
    """One event loop's open sockets, and the subscriptions that notice a Redis drop for them."""

    def __init__(self, hosts: tuple[dict, ...], on_drop):
        self.sockets: weakref.WeakSet = weakref.WeakSet()
        self.channel = f"laksa.liveness.{uuid.uuid4().hex}"
        self.on_drop = on_drop
        self.subscribed = 0  # hosts whose watch subscription is up
        self.ready = asyncio.Event()  # every host subscribed once
        self._hosts = len(hosts)
        self._task = asyncio.ensure_future(self._watch_all(hosts))
        self._task.add_done_callback(self._ended)

    @property
    def stopped(self) -> bool:
        return self._task.done()

    def stop(self) -> None:
        self._task.cancel()

    async def wait_stopped(self) -> None:
        try:
            await self._task
        except asyncio.CancelledError:
            pass

    def _ended(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("Redis watch stopped: sockets are unwatched until the next one opens",
                         exc_info=task.exception())

    async def _watch_all(self, hosts: tuple[dict, ...]) -> None:
        await asyncio.gather(*(self._watch(host) for host in hosts))

    async def _watch(self, host: dict) -> None:
        client = redis.asyncio.Redis(
            connection_pool=redislayer.connection_pool(host, socket_connect_timeout=CONNECT_TIMEOUT_S)
        )
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            unreachable = False
            while True:
                try:
                    await pubsub.subscribe(self.channel)
                    break
                except Exception as exc:  # Redis away since the sockets subscribed
                    if not unreachable:
                        logger.warning("Redis watch cannot subscribe yet: %s", exc)
                    unreachable = True
                    await asyncio.sleep(RETRY_S)
            pubsub.connection.register_connect_callback(self._reconnected)
            self.subscribed += 1
            if self.subscribed == self._hosts:
                self.ready.set()
            if unreachable:
                self._reconnected(pubsub.connection)
            failing = False
            while True:
                try:
                    await pubsub.get_message(timeout=READ_S)
                    failing = False
                except Exception as exc:  # Redis away: a later read reconnects and the callback fires
                    if not failing:
                        logger.warning("Redis watch lost its connection: %s", exc)
                    failing = True
                    await asyncio.sleep(RETRY_S)
        finally:
            await pubsub.aclose()
            await client.aclose(close_connection_pool=True)

    def _reconnected(self, connection) -> None:
        """redis-py connected the watch again: Redis was away, events may have been dropped."""
        self.on_drop(self)


class SubscriptionWatch:
    """Per process: the sockets to close when the connection to Redis comes back after a drop."""

    def __init__(self):
        self.reconnects = 0
        self.watches: dict[asyncio.AbstractEventLoop, RedisWatch] = {}
        self._closing: set[asyncio.Future] = set()

    def register(self, consumer) -> None:
        """Remember an open socket; start this loop's watch with its first socket."""
        if not redislayer.is_pubsub_layer(consumer.channel_layer):
            return
        loop = asyncio.get_running_loop()
        watch = self.watches.get(loop)
        if watch is None or watch.stopped:
            for old in [other for other in self.watches if other.is_closed()]:
                del self.watches[old]
            try:
                fresh = RedisWatch(redislayer.layer_config().hosts, on_drop=self.on_reconnect)
            except Exception:  # a misconfigured layer: the socket works, unwatched
                logger.warning("cannot watch the Redis connection", exc_info=True)
                return
            if watch is not None:  # a watch that ended by accident hands its sockets over
                fresh.sockets.update(watch.sockets)
            watch = self.watches[loop] = fresh
        watch.sockets.add(consumer)

    def unregister(self, consumer) -> None:
        """Forget a closed socket; stop the loop's watch when its last socket has left."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        watch = self.watches.get(loop)
        if watch is None:
            return
        watch.sockets.discard(consumer)
        if not watch.sockets:
            watch.stop()
            del self.watches[loop]

    def on_reconnect(self, watch: RedisWatch) -> None:
        """The connection to Redis was down: events may have been dropped. Make every client resume."""
        self.reconnects += 1
        sockets = list(watch.sockets)
        logger.warning("Redis connection came back: closing %d sockets so they resume", len(sockets))
        for consumer in sockets:
            closing = asyncio.ensure_future(consumer.refuse(CLOSE_RESTART))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)


watch = SubscriptionWatch()
