"""The session login page with failed attempts throttled per client address.

The token endpoint (`/api/v1/auth/token/`) is throttled by DRF; this gives the browser login the
same limit (the `login` rate of REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], e.g. "10/min"), counting
failed attempts only, so a user who types the password right is never locked out by others'
successes. Counters live in the default cache (shared by every process when that is Redis).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle

ERR_TOO_MANY_LOGINS = "Too many failed login attempts. Please wait a minute and try again."


def _rate() -> tuple[int, int]:
    rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get("login") or "10/min"
    num, duration = SimpleRateThrottle.parse_rate(None, rate)
    return num, duration


def _key(request) -> str:
    return f"login-fail:{request.META.get('REMOTE_ADDR', '')}"


class ThrottledLoginView(LoginView):
    def post(self, request, *args, **kwargs):
        limit, _window = _rate()
        if cache.get(_key(request), 0) >= limit:
            # An unbound form: the password is not even checked while throttled.
            form = self.get_form_class()(request)
            form.cleaned_data = {}
            form.add_error(None, _(ERR_TOO_MANY_LOGINS))
            context = self.get_context_data(form=form, throttled=True, throttle_message=_(ERR_TOO_MANY_LOGINS))
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        _limit, window = _rate()
        key = _key(self.request)
        if cache.add(key, 1, timeout=window) is False:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=window)
        return super().form_invalid(form)
