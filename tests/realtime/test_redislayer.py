"""realtime.redislayer: the channels-redis facts realtime relies on, proved against a real
RedisPubSubChannelLayer on the local Redis, and proof that realtime reads no private
attribute of channels-redis (an upgrade would break those quietly)."""

from __future__ import annotations

import ast
import asyncio
import uuid
from pathlib import Path

import redis.asyncio
from channels.layers import get_channel_layer
from django.conf import settings as django_settings

from realtime import groups, publish, redislayer
from tests.realtime.conftest import REDIS_URL

REALTIME = Path(django_settings.BASE_DIR) / "realtime"
MESSAGE = {"type": "complaint.event", "event_id": 7, "variant": "staff", "text": '{"n":7}'}


def _pubsub_settings(settings, hosts, **config):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": hosts, **config}}
    }
    return get_channel_layer()


def _envelope(event_id: int) -> dict:
    """The smallest event envelope messages_for routes: a staff note, to its government's ops group only."""
    summary = {"tracking_code": "LKS-7Q2M-9XKD", "status": "new"}
    return {"event_id": event_id, "type": "note", "at": "2026-12-03T09:00:00+07:00", "from_status": "new",
            "to_status": "new", "is_public": False, "note": "cek lokasi", "data": {},
            "complaint": summary, "complaint_public": summary,
            "audience": {"government_id": 1, "agency_id": None, "crew_id": None, "previous_crew_id": None,
                         "kecamatan_code": None, "tracking_code": "LKS-7Q2M-9XKD"}}


async def _member(layer, group: str) -> str:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


def test_hosts_and_prefix_come_from_settings_and_the_prefix_defaults_to_asgi(settings):
    _pubsub_settings(settings, [REDIS_URL])
    config = redislayer.layer_config()
    assert config == redislayer.RedisLayerConfig(hosts=({"address": REDIS_URL},), prefix="asgi")
    assert config.single_address == REDIS_URL
    assert config.group_channel("crew.7") == "asgi__group__crew.7"

    _pubsub_settings(settings, [REDIS_URL, ("127.0.0.1", 6380)], prefix="laksa")
    config = redislayer.layer_config()
    assert config.hosts == ({"address": REDIS_URL}, {"host": "127.0.0.1", "port": 6380})
    assert config.single_address is None, "several hosts: the layer picks the host, not us"
    assert config.group_channel("ops.all") == "laksa__group__ops.all"


def test_the_layers_group_send_arrives_on_the_channel_the_adapter_names(settings):
    """The layer as configured in production (no prefix in CONFIG): its own group_send
    PUBLISHes `layer.serialize(message)` on `asgi__group__<group>`."""
    layer = _pubsub_settings(settings, [REDIS_URL])
    group = f"rt-adapter.{uuid.uuid4().hex[:8]}"
    channel = redislayer.layer_config().group_channel(group)

    async def scenario():
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)
        try:
            await layer.group_send(group, MESSAGE)
            async with asyncio.timeout(5):
                while (raw := await pubsub.get_message(timeout=1.0)) is None:
                    pass
        finally:
            await pubsub.aclose()
            await client.aclose()
            await layer.flush()
        return raw

    raw = asyncio.run(scenario())
    assert raw["channel"].decode() == channel
    assert raw["data"] == layer.serialize(MESSAGE)
    assert layer.deserialize(raw["data"]) == MESSAGE


def test_publish_event_from_a_request_thread_reaches_a_member_of_the_layers_group(settings):
    """One host: publish_event uses the thread sender (hosts and prefix from settings), and a
    real RedisPubSubChannelLayer subscriber receives what it PUBLISHed."""
    layer = _pubsub_settings(settings, [REDIS_URL], prefix=f"rt-adapter-{uuid.uuid4().hex[:8]}")
    settings.REALTIME_PUBLISH_WAIT_S = 5
    sender = publish._sender_for(layer)
    assert isinstance(sender, publish._PubSubSender)

    async def scenario():
        channel = await _member(layer, groups.ops_government_group(1))
        await asyncio.to_thread(publish.publish_event, _envelope(41))
        try:
            return await asyncio.wait_for(layer.receive(channel), 5)
        finally:
            await layer.flush()

    received = asyncio.run(scenario())
    assert received["event_id"] == 41 and received["variant"] == "staff"


def test_several_hosts_publish_through_the_layers_own_group_send(settings):
    """Two hosts (two database numbers of the local Redis: pub/sub channels are server-wide,
    so both shards reach the same server): the layer's private hash decides the host, so
    publish_event leaves the send to the layer's public group_send."""
    hosts = [REDIS_URL, REDIS_URL.rsplit("/", 1)[0] + "/4"]
    layer = _pubsub_settings(settings, hosts, prefix=f"rt-adapter-{uuid.uuid4().hex[:8]}")
    settings.REALTIME_PUBLISH_WAIT_S = 5
    assert publish._sender_for(layer) is None

    async def scenario():
        channel = await _member(layer, groups.ops_government_group(1))
        await asyncio.to_thread(publish.publish_event, _envelope(42))
        try:
            return await asyncio.wait_for(layer.receive(channel), 5)
        finally:
            await layer.flush()

    assert asyncio.run(scenario())["event_id"] == 42


def test_sentinel_hosts_are_left_to_the_layers_own_group_send(settings):
    layer = _pubsub_settings(settings, [{"sentinels": [("127.0.0.1", 26379)], "master_name": "m"}])
    assert publish._sender_for(layer) is None


PRIVATE_CHANNELS_REDIS_NAMES = {"_shards", "_pubsub", "_kwargs", "_args", "_get_layer", "_consistent_hash",
                                "_layers", "_serializer", "_redis", "_receive_task", "_subscribed_to",
                                "_get_shard", "_get_group_channel_name", "_close_redis", "_wrap_close"}


def private_channels_redis_uses(root: Path = REALTIME) -> list[str]:
    """Names starting with `_` that realtime imports from channels_redis, and the private
    attributes of channels-redis's layer and shard objects that realtime reads anywhere."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("channels_redis"):
                found += [f"{where} imports {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
            elif isinstance(node, ast.Attribute) and node.attr in PRIVATE_CHANNELS_REDIS_NAMES:
                found.append(f"{where} reads .{node.attr}")
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and node.value in PRIVATE_CHANNELS_REDIS_NAMES):
                found.append(f"{where} names {node.value!r} (getattr)")
    return found


def test_realtime_reads_no_private_attribute_of_channels_redis():
    assert private_channels_redis_uses() == []


def test_the_private_name_check_finds_what_the_old_code_did(tmp_path):
    """The check above is not blind: the reads the old publish.py and liveness.py made are found."""
    old = tmp_path / "realtime"
    old.mkdir()
    (old / "old.py").write_text(
        "from channels_redis.utils import _consistent_hash, decode_hosts\n"
        "hosts = layer._kwargs.get('hosts') or layer._args[0]\n"
        "for shard in layer._get_layer()._shards:\n"
        "    pubsub = getattr(shard, '_pubsub', None)\n"
    )
    assert len(private_channels_redis_uses(old)) == 6

