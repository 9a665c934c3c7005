"""One error format for the REST API: `{"field": ["message", ...]}` with a 4xx status.

Domain errors raised by services (subclasses of common.errors.DomainError: fieldops's
FieldError, TransitionError...) are translated here, so that
views don't each catch them, and nothing the user sent can turn into a 500.

Messages are read here, in the language of the request (LocaleMiddleware: the language switch's
cookie, `Accept-Language`, or `?lang=` through common.middleware.QueryLanguageMiddleware): domain
messages are lazy (common.errors.interpolate), so they are translated now, not where they were
raised. DRF's throttling sentence is rebuilt, because DRF fills in the seconds before it looks
the sentence up in the catalog and so never finds its translation.
"""

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import DomainError, interpolate
from common.middleware import DatabaseUnavailableMiddleware, is_connection_error


ERR_MALFORMED_BODY = gettext_lazy("Malformed request body: %(detail)s")
ERR_THROTTLED_LATER = gettext_lazy("Too many requests; please try again later.")


def throttled_message(wait: int | None) -> str:
    """DRF's "Request was throttled. Expected available in N seconds." in the active language."""
    if wait is None:
        return str(ERR_THROTTLED_LATER)
    return ngettext("Too many requests; please try again in %(wait)d second.",
                    "Too many requests; please try again in %(wait)d seconds.", wait) % {"wait": wait}


def flat_errors(detail, prefix: str = "") -> dict:
    """Nested serializer errors as one level of dotted names: `{"location": {"lat": [...]}}`
    becomes `{"location.lat": [...]}`, a list item's `{"reports": [{}, {"id": [...]}]}`
    becomes `{"reports[1].id": [...]}`, and an object's own errors keep the object's name."""
    out: dict = {}
    items = detail.items() if isinstance(detail, dict) else ((f"[{i}]", item) for i, item in enumerate(detail))
    for key, value in items:
        if key == api_settings.NON_FIELD_ERRORS_KEY and prefix:
            name = prefix
        elif isinstance(key, int):  # a list's errors keyed by the item's index
            name = f"{prefix}[{key}]"
        elif isinstance(detail, dict):
            name = f"{prefix}.{key}" if prefix else str(key)
        else:
            name = f"{prefix}{key}"
        nested = isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value))
        if nested:
            out.update(flat_errors(value, name))
        elif value:
            out.setdefault(name, []).extend(value if isinstance(value, list) else [value])
    return out


def exception_handler(exc, context):
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        exc.detail = flat_errors(exc.detail)
    if is_connection_error(exc):
        return DatabaseUnavailableMiddleware(None).process_exception(None, exc)
    if isinstance(exc, exceptions.Throttled) and str(exc.detail).startswith(str(exceptions.Throttled.default_detail)):
        exc.detail = exceptions.ErrorDetail(throttled_message(exc.wait), code="throttled")
    if isinstance(exc, DomainError):
        if exc.field:
            return Response({exc.field: [str(exc.message)]}, status=exc.http_status)
        return Response({"detail": str(exc.message), **exc.extra}, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"non_field_errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ParseError):
        return Response({"body": [str(interpolate(ERR_MALFORMED_BODY, detail=exc.detail))]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (Http404, PermissionDenied)):
        return drf_exception_handler(exc, context)
    return drf_exception_handler(exc, context)
