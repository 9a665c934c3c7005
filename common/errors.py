"""The base of every domain error: what a service raises when a rule refuses a request.

Domain errors themselves live with their domain (fieldops.errors: FieldError,
WorkflowError...); they subclass `DomainError` so that the faces' error
formats (common.api_errors for REST, Open311's list) translate them without importing the domain.

Their messages are `gettext_lazy` constants with named placeholders (`%(code)s`), filled in with
`interpolate`: the text stays lazy until a face renders it, so a message is read in the language
of the request (or socket) that receives it, whatever language was active where it was raised.
"""

from django.utils.functional import lazy


def _interpolate(message, params: dict) -> str:
    return str(message) % params


_interpolate_lazy = lazy(_interpolate, str)


def interpolate(message, /, **params):
    """`message % params`, translated and filled in when read (a lazy string)."""
    return _interpolate_lazy(message, params)


class DomainError(Exception):
    """A refusal with the HTTP status a face answers it with; `field` names the input at fault."""

    http_status = 400
    field: str | None = None

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
