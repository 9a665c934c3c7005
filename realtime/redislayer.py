"""What realtime relies on about channels-redis's Redis pub/sub channel layer, in one place.

Two parts of realtime talk to the layer's Redis directly instead of through the layer object:
`realtime.publish` PUBLISHes committed events from a plain thread (much cheaper per request
than the layer's asyncio `group_send`, docs/BENCHMARKS.md), and `realtime.liveness` keeps a
subscription of its own to notice that Redis went away. Both must reach exactly what the layer
uses, and neither may read the layer's private attributes (an upgrade would break them
quietly). So everything they assume is here, and only here:

1. Where Redis is comes from our settings, not from the layer: `CHANNEL_LAYERS["default"]
   ["CONFIG"]`, its `hosts` decoded with channels_redis's public `utils.decode_hosts` (as the
   layer decodes them) and its `prefix`, default "asgi" (the layer's default).
2. A group on the wire: every process with a member in group G subscribes to the Redis pub/sub
   channel `<prefix>__group__<G>`, and `group_send` PUBLISHes `layer.serialize(message)`
   there (a public method of the layer: msgpack unless configured otherwise).
3. With several hosts the layer picks one per channel with a hash that is not public API, so
   we publish on our own only when there is exactly one host (where every channel lives);
   with several, `realtime.publish` uses the layer's own `group_send`.
4. `connection_pool` connects to a host the way the layer does, with channels_redis's public
   `utils.create_pool` (plain addresses, host/port pairs and Sentinel alike).

Checked against channels-redis 4.3.0 (pinned in requirements.txt) with redis-py 8.1.0.
tests/realtime/test_redislayer.py proves facts 1 to 3 against a real RedisPubSubChannelLayer
on the local Redis (in both directions: a message published with this module's channel name
and the layer's serializer reaches the layer's group member, and the layer's own `group_send`
arrives on the channel this module names), and that nothing in realtime/ reads a private
channels-redis attribute. An upgrade that changes the wire format fails there, not in
production.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels import DEFAULT_CHANNEL_LAYER
from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import create_pool, decode_hosts
from django.conf import settings

DEFAULT_PREFIX = "asgi"  # channels-redis's own default for the `prefix` option


@dataclass(frozen=True)
class RedisLayerConfig:
    """The Redis hosts and channel prefix of a channel layer, as our settings configure it."""

    hosts: tuple[dict, ...]  # one dict per host, as channels_redis.utils.decode_hosts gives them
    prefix: str = DEFAULT_PREFIX

    def group_channel(self, group: str) -> str:
        """The Redis pub/sub channel a group's members subscribe to and group_send publishes on."""
        return f"{self.prefix}__group__{group}"

    @property
    def single_address(self) -> str | None:
        """The redis:// URL when there is exactly one host given as a plain URL, else None."""
        if len(self.hosts) == 1 and set(self.hosts[0]) == {"address"}:
            return self.hosts[0]["address"]
        return None


def is_pubsub_layer(layer) -> bool:
    return isinstance(layer, RedisPubSubChannelLayer)


def layer_config(alias: str = DEFAULT_CHANNEL_LAYER) -> RedisLayerConfig:
    """The hosts and prefix of the channel layer `alias` in settings.CHANNEL_LAYERS."""
    config = settings.CHANNEL_LAYERS[alias].get("CONFIG", {})
    hosts = tuple(dict(host) for host in decode_hosts(config.get("hosts")))
    return RedisLayerConfig(hosts=hosts, prefix=config.get("prefix", DEFAULT_PREFIX))


def connection_pool(host: dict, **connection_kwargs):
    """A redis-py asyncio connection pool to one host of the layer, connected as the layer
    connects; `connection_kwargs` (e.g. timeouts) are added to the host's own options."""
    return create_pool({**host, **connection_kwargs})
