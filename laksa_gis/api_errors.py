"""One error format for the REST API: `{"field": ["message", ...]}` with a 4xx status.

Domain errors raised by services (FieldError, TransitionError...) are translated here, so that
views don't each catch them, and nothing the user sent can turn into a 500.
"""

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    from fieldops.services import FieldError
    from laksa_gis.middleware import is_connection_error

    if is_connection_error(exc):
        from laksa_gis.middleware import DatabaseUnavailableMiddleware

        return DatabaseUnavailableMiddleware(None).process_exception(None, exc)
    if isinstance(exc, FieldError):
        return Response({exc.field: [exc.message]}, status=exc.http_status)
    domain = getattr(exc, "http_status", None)
    if domain is not None:
        body = {"detail": str(getattr(exc, "message", exc))}
        body.update(getattr(exc, "extra", {}) or {})
        return Response(body, status=domain)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"non_field_errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ParseError):
        return Response({"body": [f"Malformed request body: {exc.detail}"]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (Http404, PermissionDenied)):
        return drf_exception_handler(exc, context)
    return drf_exception_handler(exc, context)
