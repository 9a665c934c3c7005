"""realtime.liveness: when this process's connection to Redis drops and comes back, every socket
of the process is closed with 4503 so its client resumes from the event log (with pub/sub,
what was published during the drop is gone). A private redis-server is stopped, killed and
restarted under sockets registered exactly as the consumer registers them."""

from __future__ import annotations

import asyncio

import pytest
import redis

from realtime.liveness import CLOSE_RESTART, SubscriptionWatch
from tests.realtime import servers

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

RETRY_MARGIN = 1.5  # a few of the watch's retry periods: a second close would have happened by then


class Socket:
    """What the watch needs of a consumer: its channel layer, and `refuse(code)` to close it."""

    def __init__(self, layer):
        self.channel_layer = layer
        self.refused: list[int] = []

    async def refuse(self, code: int, detail: str = "") -> None:
        self.refused.append(code)


@pytest.fixture
def private_redis(settings):
    """A private redis-server (we may stop it) behind the Redis pub/sub channel layer."""
    proc, port = servers.start_redis()
    url = f"redis://127.0.0.1:{port}/0"
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [url]}}
    }
    state = {"proc": proc, "port": port, "url": url}
    yield state
    servers.stop(state["proc"])


def _restart(state) -> None:
    servers.stop(state["proc"])
    state["proc"], _ = servers.start_redis(state["port"])


def _watchers(url: str, channel: str) -> int:
    return redis.Redis.from_url(url).pubsub_numsub(channel)[0][1]


async def _until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


def test_a_redis_restart_closes_every_socket_with_4503_once(private_redis):
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    watch = SubscriptionWatch()

    async def scenario():
        sockets = [Socket(layer), Socket(layer)]
        for socket in sockets:
            watch.register(socket)
        (loop_watch,) = watch.watches.values()
        await asyncio.wait_for(loop_watch.ready.wait(), 5)
        await asyncio.sleep(0.3)
        assert [s.refused for s in sockets] == [[], []], "nothing closes while Redis stays up"
        await asyncio.to_thread(_restart, private_redis)
        await _until(lambda: all(s.refused for s in sockets))
        await asyncio.sleep(RETRY_MARGIN)
        return [s.refused for s in sockets]

    refused = asyncio.run(scenario())
    assert refused == [[CLOSE_RESTART], [CLOSE_RESTART]]
    assert watch.reconnects == 1


def test_a_dropped_subscriber_connection_is_seen_even_when_redis_is_back_at_once(private_redis):
    """CLIENT KILL of every pub/sub connection: redis-py reconnects inside the next read,
    without an error reaching the reader; its connect callback still tells the watch."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    watch = SubscriptionWatch()

    async def scenario():
        socket = Socket(layer)
        watch.register(socket)
        await asyncio.wait_for(watch.watches[asyncio.get_running_loop()].ready.wait(), 5)
        killed = redis.Redis.from_url(private_redis["url"]).client_kill_filter(_type="pubsub")
        await _until(lambda: socket.refused)
        return killed, socket.refused

    killed, refused = asyncio.run(scenario())
    assert killed == 1
    assert refused == [CLOSE_RESTART]


def test_redis_away_when_the_watch_starts_counts_as_a_drop(private_redis):
    """The socket subscribed, then Redis went away before the watch could subscribe: when the
    watch finally subscribes, the socket may have missed events, so it is closed too."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    watch = SubscriptionWatch()
    servers.stop(private_redis["proc"])

    async def scenario():
        socket = Socket(layer)
        watch.register(socket)
        await asyncio.sleep(1.0)
        assert socket.refused == []
        private_redis["proc"], _ = await asyncio.to_thread(servers.start_redis, private_redis["port"])
        await _until(lambda: socket.refused)
        return socket.refused

    assert asyncio.run(scenario()) == [CLOSE_RESTART]


def test_the_watch_starts_with_the_first_socket_and_stops_with_the_last(private_redis):
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    watch = SubscriptionWatch()
    url = private_redis["url"]

    async def scenario():
        loop = asyncio.get_running_loop()
        first, second = Socket(layer), Socket(layer)
        watch.register(first)
        loop_watch = watch.watches[loop]
        await asyncio.wait_for(loop_watch.ready.wait(), 5)
        watch.register(second)
        assert watch.watches[loop] is loop_watch, "one watch per event loop"
        assert await asyncio.to_thread(_watchers, url, loop_watch.channel) == 1
        watch.unregister(first)
        await asyncio.sleep(0.2)
        assert not loop_watch.stopped, "a socket is still open"
        watch.unregister(second)
        await asyncio.wait_for(loop_watch.wait_stopped(), 5)
        assert loop not in watch.watches
        assert await asyncio.to_thread(_watchers, url, loop_watch.channel) == 0, "its connection is closed"
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(scenario()) == [], "no task left behind"


def test_no_watch_for_the_in_memory_layer():
    from channels.layers import get_channel_layer  # tests/conftest.py: the in-memory layer

    watch = SubscriptionWatch()

    async def scenario():
        before = asyncio.all_tasks()
        socket = Socket(get_channel_layer())
        watch.register(socket)
        started = asyncio.all_tasks() - before
        watch.unregister(socket)
        return started

    assert asyncio.run(scenario()) == set()
    assert watch.watches == {}
