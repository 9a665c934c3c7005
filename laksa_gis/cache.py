"""A Redis cache that degrades to "no cache" while Redis is down.

Rate-limit counters and small caches live in Redis so that every server process shares them,
but a Redis restart must never turn a citizen's report into an error: reads miss, writes are
dropped, and rate limits fail open until Redis is back.
"""

from __future__ import annotations

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _guard(name, fallback):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(ResilientRedisCache, self), name)(*args, **kwargs)
        except (RedisError, OSError) as exc:
            logger.warning("cache %s failed, continuing without cache: %s", name, exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = name
    return method


class ResilientRedisCache(RedisCache):
    get = _guard("get", lambda key, default=None, version=None: default)
    get_many = _guard("get_many", {})
    set = _guard("set", None)
    set_many = _guard("set_many", [])
    add = _guard("add", False)
    touch = _guard("touch", False)
    delete = _guard("delete", False)
    delete_many = _guard("delete_many", None)
    has_key = _guard("has_key", False)
    incr = _guard("incr", 1)
    clear = _guard("clear", False)
