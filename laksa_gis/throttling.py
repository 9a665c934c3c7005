"""Rate limits for public writes: per client IP and per device.

Many citizens share one IP behind a mobile carrier's NAT, so the per-IP limit is generous and a
tighter per-device limit applies when the client names its device (the `X-Device-Id` header of
our web app, Open311's `device_id`).
"""

from rest_framework.throttling import SimpleRateThrottle


class PublicCreateIpThrottle(SimpleRateThrottle):
    scope = "complaint_create"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicCreateDeviceThrottle(SimpleRateThrottle):
    scope = "complaint_create_device"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        device = (request.headers.get("X-Device-Id") or "")
        if not device and hasattr(request, "data") and hasattr(request.data, "get"):
            try:
                device = str(request.data.get("device_id") or "")
            except Exception:  # unparsable body: the view reports it, not the throttle
                device = ""
        device = device.strip()[:100]
        if not device:
            return None
        return self.cache_format % {"scope": self.scope, "ident": device}
