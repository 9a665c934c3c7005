"""Cross-cutting HTTP behaviour: database outages answer 503.

(Security headers come from Django's SecurityMiddleware and django-csp's CSPMiddleware, configured
in settings.)"""

from __future__ import annotations

import logging

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

