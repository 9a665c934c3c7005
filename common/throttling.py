"""Rate limits for public writes: per client IP and per device.

Many citizens share one IP behind a mobile carrier's NAT, so the per-IP limit is generous and a
tighter per-device limit applies when the client names its device (the `X-Device-Id` header of
our web app, Open311's `device_id`).

With Redis as the cache (every deployment with REDIS_URL), a limit is a fixed-window counter:
one INCR (with its EXPIRE on the window's first hit) in a server-side Lua script: a single
command, atomic, shared by all server processes. DRF's own
sliding window (a get and a set of a pickled list) is kept for the in-memory cache of local
runs. A Redis outage lets requests through rather than refusing citizens' reports.
"""

from __future__ import annotations

import time

from django.core.cache import caches
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_ip(request) -> str:
    """The client's address as the proxies report it (REST_FRAMEWORK["NUM_PROXIES"]), exactly as
    DRF's throttles identify a client: django-axes' login lockout (AXES_CLIENT_IP_CALLABLE) uses
    it too, so behind nginx each client has its own counter and cannot pick its address."""
    return BaseThrottle().get_ident(request)


# The counter of the current window; the first hit also sets its expiry, in the same atomic step.
_INCR_WINDOW_LUA = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""
_scripts: dict[int, object] = {}


def _incr_window(client, key: str, ttl: int) -> int:
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_INCR_WINDOW_LUA)
    return int(script(keys=[key], args=[ttl]))


class WindowThrottle(SimpleRateThrottle):
    """SimpleRateThrottle with a one-round-trip Redis counter when the cache is Redis."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        backend = caches["default"]
        get_client = getattr(getattr(backend, "_cache", None), "get_client", None)
        if get_client is None:
            return super().allow_request(request, view)
        self.now = self.timer()
        window = int(self.now // self.duration)
        redis_key = backend.make_key(f"{self.key}:{window}")
        try:
            count = _incr_window(get_client(redis_key, write=True), redis_key, self.duration + 1)
        except (RedisError, OSError):
            return True
        self._window_end = (window + 1) * self.duration
        return count <= self.num_requests

    def wait(self):
        end = getattr(self, "_window_end", None)
        if end is not None:
            return max(end - self.now, 0.0)
        return super().wait()

    def timer(self):
        return time.time()


def client_address(request) -> str:
    """The client's address as every throttle sees it: REMOTE_ADDR, or the X-Forwarded-For entry
    added by the NUM_PROXIES proxies in front (a client cannot choose it)."""
    return BaseThrottle().get_ident(request)


def client_device_id(request) -> str:
    """The device a public client names: the X-Device-Id header (our web app), else a posted
    `device_id` field (Open311). Works on DRF and plain Django requests alike."""
    device = request.headers.get("X-Device-Id") or ""
    if not device:
        data = request.data if hasattr(request, "data") else getattr(request, "POST", None)
        if hasattr(data, "get"):
            try:
                device = str(data.get("device_id") or "")
            except Exception:  # unparsable body: the view reports it, not the throttle
                device = ""
    return device.strip()[:100]


class PublicCreateIpThrottle(WindowThrottle):
    scope = "complaint_create"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicCreateDeviceThrottle(WindowThrottle):
    scope = "complaint_create_device"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        device = client_device_id(request)
        if not device:
            return None
        return self.cache_format % {"scope": self.scope, "ident": device}


PUBLIC_CREATE_THROTTLES = (PublicCreateIpThrottle, PublicCreateDeviceThrottle)


class PublicSearchThrottle(WindowThrottle):
    """Search-as-you-type reads (the place search) per client address: generous, since many
    citizens share a carrier's address, but a script cannot walk the index without limit."""

    scope = "public_search"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def public_create_wait(request) -> float | None:
    """For a face outside DRF (Open311 POST): None when the public-create limits allow this
    request, else the seconds to wait. The same throttles and counters as the REST create."""
    waits = []
    for throttle_class in PUBLIC_CREATE_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):
            waits.append(throttle.wait())
    if not waits:
        return None
    return max((w for w in waits if w is not None), default=0.0)
