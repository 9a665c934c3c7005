"""The base of every domain error: what a service raises when a rule refuses a request.

Domain errors themselves live with their domain (fieldops.errors: FieldError,
WorkflowError...); they subclass `DomainError` so that the faces' error
formats (common.api_errors for REST, Open311's list) translate them without importing the domain.
"""


class DomainError(Exception):
    """A refusal with the HTTP status a face answers it with; `field` names the input at fault."""

    http_status = 400
    field: str | None = None

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
