"""Cross-cutting HTTP behaviour: database outages answer 503, no technical error pages for
visitors, text answers compressed where that is safe (BREACH).

(Security headers come from Django's SecurityMiddleware and django-csp's CSPMiddleware,
configured in settings.)"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.http import Http404, HttpResponseServerError, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.gzip import GZipMiddleware
from django.urls import get_resolver
from django.utils import translation
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

DB_UNAVAILABLE = gettext_lazy("The database is unavailable at the moment; nothing was saved. Please try again shortly.")


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
        return database_unavailable_answer(exception)


def database_unavailable_answer(exception: BaseException) -> JsonResponse | None:
    """The 503 for a lost database connection (its broken connections closed), else None.
    DatabaseUnavailableMiddleware answers views with it; a middleware that reads the database
    itself (boundaries.middleware) answers with it too, since Django turns an exception raised
    in a middleware into a 500 before any process_exception sees it."""
    if is_connection_error(exception):
        logger.warning("database unavailable: %s", exception)
        close_old_connections()
        from django.db import connections

        for conn in connections.all():
            conn.close_if_unusable_or_obsolete()
        return database_unavailable_response()
    return None


class FriendlyErrorsMiddleware:
    """With `DEBUG=1 make run` (developers), visitors still never see a technical page.

    With DEBUG on, Django answers an error with its technical pages (traceback, local variables,
    settings, the URL patterns): django.core.handlers.exception.response_for_exception calls
    debug.technical_404_response / technical_500_response whenever settings.DEBUG is set. For
    anyone but Django staff (is_staff or superuser: the developers) this middleware answers with
    the project's own error views instead, the handler400/404/500 of the root URLconf (JSON for
    /api/ and /open311/, the friendly pages otherwise), exactly as with DEBUG off:

    - an exception in a view reaches `process_exception` (this middleware is LAST in MIDDLEWARE,
      so it is asked first) and is answered by the error view, logged as Django logs it;
    - a URL that matches nothing never reaches a view: the handler turns its Resolver404 into
      the technical 404 before any middleware sees it, so `__call__` replaces a 404 whose
      request was never resolved (`request.resolver_match` is None).

    With DEBUG off it does nothing: Django already uses the same error views.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code == 404 and getattr(request, "resolver_match", None) is None
                and self._hide_technical(request)):
            return self._error_page(request, 404, Http404())
        return response

    def process_exception(self, request, exception):
        if is_connection_error(exception) or isinstance(exception, PermissionDenied):
            return None  # a 503 from DatabaseUnavailableMiddleware; 403 is never technical
        if not self._hide_technical(request):
            return None
        if isinstance(exception, Http404):
            return self._error_page(request, 404, exception)
        if isinstance(exception, (BadRequest, SuspiciousOperation, MultiPartParserError)):
            logging.getLogger(f"django.security.{exception.__class__.__name__}").error(
                str(exception), exc_info=exception, extra={"status_code": 400, "request": request})
            return self._error_page(request, 400, exception)
        signals.got_request_exception.send(sender=self.__class__, request=request)
        logging.getLogger("django.request").error(
            "Internal Server Error: %s", request.path, exc_info=exception,
            extra={"status_code": 500, "request": request})
        return self._error_page(request, 500, exception)

    @staticmethod
    def _hide_technical(request) -> bool:
        if not settings.DEBUG:
            return False
        user = getattr(request, "user", None)
        return not (user is not None and user.is_active and (user.is_staff or user.is_superuser))

    @staticmethod
    def _error_page(request, status: int, exception):
        """The response Django gives with DEBUG off (django.core.handlers.exception.get_exception_response)."""
        try:
            callback = get_resolver(getattr(request, "urlconf", None)).resolve_error_handler(status)
            return callback(request) if status == 500 else callback(request, exception=exception)
        except Exception:  # a broken error page must not bring the technical page back
            logger.exception("error page %s failed", status)
            return HttpResponseServerError("Internal Server Error", content_type="text/plain")


class BreachSafeGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for the text answers that carry no secret of the visitor's session.

    BREACH (docs/SERVING.md) reads a secret out of a compressed response by making the victim's
    browser send requests that reflect attacker-chosen text beside that secret and watching the
    compressed sizes. So:

    - a request made with a logged-in session (the session cookie is sent by the browser on its
      own: officers' and crews' pages and API answers, which hold reporters' contact details and
      reflect query strings) is answered uncompressed;
    - anything else (citizens' pages and the public API, token-authenticated API clients, whose
      credential the browser never sends by itself) is compressed. The only secret in those
      bodies is the CSRF token of forms, which Django masks afresh in every response
      (django.middleware.csrf, "BREACH" in Django's CSRF docs), so its compressed size says
      nothing about it;
    - only text types: photos and tiles are compressed already or binary; static files never
      reach this middleware (WhiteNoise, above it, serves their precompressed copies).
    """

    COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/geo+json",
                    "application/manifest+json", "application/problem+json", "application/xml",
                    "application/vnd.oai.openapi")

    def process_response(self, request, response):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return response
        if not response.get("Content-Type", "").startswith(self.COMPRESSIBLE):
            return response
        return super().process_response(request, response)


class QueryLanguageMiddleware:
    """`?lang=en` (or `id`) picks the language of one request, after LocaleMiddleware.

    For API clients that cannot set headers or cookies (a link, a script, a socket-less test),
    on top of what LocaleMiddleware reads (the language switch's cookie, then Accept-Language).
    An unknown language is ignored. Content-Language and Vary are set by LocaleMiddleware's
    response step, which runs after this one and reads the active language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        lang = request.GET.get("lang")
        if lang:
            try:
                lang = translation.get_supported_language_variant(lang)
            except LookupError:
                lang = None
            if lang:
                translation.activate(lang)
                request.LANGUAGE_CODE = lang
        return self.get_response(request)
