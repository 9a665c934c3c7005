"""The Redis pub/sub publisher: what a request queues reaches channels-redis subscribers as if
`group_send` had sent it, in order, and a Redis outage never reaches the request."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer

from realtime.publish import _PubSubSender
from realtime.redislayer import RedisLayerConfig
from tests.realtime.conftest import REDIS_URL


def _sender(url: str = REDIS_URL) -> _PubSubSender:
    """A sender and its layer, configured alike (as settings.CHANNEL_LAYERS configures both)."""
    config = RedisLayerConfig(hosts=({"address": url},), prefix=f"rt-pub-{uuid.uuid4().hex[:8]}")
    return _PubSubSender(RedisPubSubChannelLayer(hosts=[url], prefix=config.prefix), config)


def test_a_burst_of_events_reaches_subscribers_of_each_group_in_order():
    sender = _sender()
    layer = sender.layer
    groups = ["ops.all", "crew.7", "complaint.LKS-7Q2M-9XKD"]

    async def scenario():
        channels = {}
        for group in groups:
            channels[group] = await layer.new_channel()
            await layer.group_add(group, channels[group])
        # 60 events queued back to back: the sender batches them into pipelines.
        futures = []
        for i in range(60):
            staff = {"type": "complaint.event", "event_id": i, "variant": "staff", "text": f'{{"n":{i}}}'}
            public = {"type": "complaint.event", "event_id": i, "variant": "public", "text": "{}"}
            futures.append(sender.submit([("ops.all", staff), ("crew.7", staff), (groups[2], public)]))
        await asyncio.get_running_loop().run_in_executor(None, lambda: [f.result(timeout=5) for f in futures])
        received = {}
        for group, channel in channels.items():
            received[group] = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(60)]
        await layer.flush()
        return received

    received = asyncio.run(scenario())
    assert [m["event_id"] for m in received["ops.all"]] == list(range(60))
    assert [m["event_id"] for m in received["crew.7"]] == list(range(60))
    assert received["ops.all"][5] == {"type": "complaint.event", "event_id": 5, "variant": "staff", "text": '{"n":5}'}
    assert {m["variant"] for m in received["complaint.LKS-7Q2M-9XKD"]} == {"public"}


def test_redis_down_fails_the_send_not_the_caller():
    sender = _sender("redis://127.0.0.1:1/0")  # nothing listens on port 1
    future = sender.submit([("ops.all", {"type": "complaint.event", "event_id": 1, "text": "{}"})])
    with pytest.raises(Exception):
        future.result(timeout=5)
    # The thread lives on and sends the next batch (which fails the same way, without hanging).
    again = sender.submit([("ops.all", {"type": "complaint.event", "event_id": 2, "text": "{}"})])
    assert again.exception(timeout=5) is not None


def test_only_one_plain_address_is_published_from_the_thread():
    """Several hosts or Sentinel: the host of a group is the layer's (private) choice, so
    realtime.publish sends through the layer's own group_send (tests/realtime/test_redislayer.py)."""
    layer = RedisPubSubChannelLayer(hosts=[REDIS_URL])
    for hosts in [({"address": REDIS_URL}, {"address": "redis://127.0.0.1:6380/0"}),
                  ({"sentinels": [("127.0.0.1", 26379)], "master_name": "m"},)]:
        with pytest.raises(ValueError):
            _PubSubSender(layer, RedisLayerConfig(hosts=hosts))
