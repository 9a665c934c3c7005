"""Close this process's sockets when its Redis subscription reconnects (CHANNEL_LAYER=pubsub).

With Redis PUBLISH/SUBSCRIBE, whatever is published while a subscriber's connection is down
is gone, and redis-py reconnects and re-subscribes without telling anyone: an open socket
would silently miss those events. So when the subscription connection of this process comes
back, every socket of this process is closed with 4503 ("reconnect now"); clients
reconnect with `?after=<cursor>` and the resume fills the gap from the database.

(The list-based "core" layer needs no watch: its receive loop fails while Redis is down, the
socket closes, and the client reconnects and resumes the same way.)

This reads two private attributes of channels-redis 4.3's pubsub layer (its shards and their
redis-py PubSub object); requirements.txt pins that version, and the fault test in
tests/realtime/test_servers.py runs on both layers.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

logger = logging.getLogger(__name__)

CLOSE_RESTART = 4503  # WebSocket servers may only send 1000 or 3000-4999


class SubscriptionWatch:
    """Per process and event loop: the sockets to close when the subscription reconnects."""

    def __init__(self):
        self.sockets: weakref.WeakSet = weakref.WeakSet()
        self.connections: weakref.WeakSet = weakref.WeakSet()
        self.reconnects = 0

    def register(self, consumer) -> None:
        """Remember an open socket; hook the pubsub connection(s) of its layer once."""
        self.sockets.add(consumer)
        try:
            from channels_redis.pubsub import RedisPubSubChannelLayer

            layer = consumer.channel_layer
            if not isinstance(layer, RedisPubSubChannelLayer):
                return
            for shard in layer._get_layer()._shards:
                pubsub = getattr(shard, "_pubsub", None)
                connection = getattr(pubsub, "connection", None)
                if connection is not None and connection not in self.connections:
                    self.connections.add(connection)
                    connection.register_connect_callback(self.on_reconnect)
        except Exception:  # a layer without these internals: nothing to watch
            logger.debug("no pubsub subscription to watch", exc_info=True)

    def unregister(self, consumer) -> None:
        self.sockets.discard(consumer)

    async def on_reconnect(self, connection) -> None:
        """The subscription was down: events may have been dropped. Make every client resume."""
        self.reconnects += 1
        sockets = list(self.sockets)
        logger.warning("Redis subscription reconnected: closing %d sockets so they resume", len(sockets))
        for consumer in sockets:
            asyncio.ensure_future(consumer.refuse(CLOSE_RESTART))


watch = SubscriptionWatch()
