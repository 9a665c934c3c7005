"""What a client locked out by django-axes is told (AXES_LOCKOUT_CALLABLE), on every login face.

django-axes counts failed logins per client address (settings AXES_*). Once locked, the admin
login and the staff login page answer this page with 429; the API token endpoint raises
`Throttled` with the same message, so the API's JSON error format and language apply
(fieldops.apis.AuthTokenApi). The message is in the visitor's language (Bahasa Indonesia first).
"""

from __future__ import annotations

import math

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from common.errors import interpolate

ERR_LOCKED_OUT = gettext_lazy(
    "Too many failed login attempts from your address. Please wait %(minutes)s minutes and try again."
)


def cooloff_seconds() -> int:
    """How long a lockout lasts after the last failed attempt."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def locked_out_message() -> str:
    """The lockout message in the active language."""
    return interpolate(ERR_LOCKED_OUT, minutes=max(1, math.ceil(cooloff_seconds() / 60)))


def lockout_response(request, original_response=None, credentials=None):
    """The 429 page that replaces a login form's answer while the client is locked out."""
    response = render(
        request,
        "registration/locked_out.html",
        {"message": locked_out_message(), "login_url": settings.LOGIN_URL},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(cooloff_seconds())
    return response
