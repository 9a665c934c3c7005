"""Cross-cutting HTTP behaviour: database outages answer 503, and security headers."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.http import JsonResponse

logger = logging.getLogger(__name__)

DB_UNAVAILABLE = "The database is unavailable at the moment; nothing was saved. Please try again shortly."


def database_unavailable_response() -> JsonResponse:
    response = JsonResponse({"detail": DB_UNAVAILABLE}, status=503)
    response["Retry-After"] = "5"
    return response


def is_connection_error(exc: BaseException) -> bool:
    """A lost or refused database connection (not a bad query)."""
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DatabaseError) and "server closed the connection" in str(exc)
    )


class DatabaseUnavailableMiddleware:
    """Turn a lost database connection into a fast 503 instead of a 500.

    The broken connection is closed, so the next request opens a new one: the app recovers
    by itself when PostgreSQL is back, without a restart.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_connection_error(exception):
            logger.warning("database unavailable: %s", exception)
            close_old_connections()
            from django.db import connections

            for conn in connections.all():
                conn.close_if_unusable_or_obsolete()
            return database_unavailable_response()
        return None


class SecurityHeadersMiddleware:
    """A content security policy without inline scripts, and a strict referrer policy."""

    def __init__(self, get_response):
        self.get_response = get_response
        tiles = getattr(settings, "CSP_IMG_EXTRA", "")
        self.policy = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob: {tiles}; connect-src 'self' ws: wss:; "
            "font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
        ).replace("  ", " ")

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(settings, "CSP_ENABLED", False) and "Content-Security-Policy" not in response:
            # The Swagger UI page needs inline scripts; it is only offered for API users.
            if not request.path.startswith("/api/docs"):
                response["Content-Security-Policy"] = self.policy
        response.setdefault("Referrer-Policy", "same-origin")
        return response
