"""The domain errors of field operations: what a fieldops service raises when a rule refuses.

They subclass `common.errors.DomainError`, so every face translates them the same way (REST:
common.api_errors; Open311: its own list) without knowing the service that raised them. The
messages are module constants next to the rule that uses them (intake in fieldops.services,
transitions in fieldops.workflow, photos in fieldops.proof, the reporter token in
fieldops.reporters); tests assert on their text.
"""

from __future__ import annotations

from common.errors import DomainError


class FieldError(DomainError):
    """A domain error about one input field; faces turn it into their own 400 format.

    A subclass may answer another status (e.g. 404 for a complaint named in a field that does
    not exist for the user): `http_status`."""

    def __init__(self, field: str, message: str, code: str = "invalid"):
        super().__init__(message)
        self.args = (f"{field}: {message}",)
        self.field = field
        self.code = code


class WorkflowError(DomainError):
    """A domain error the API maps to `http_status` with `{"detail": message, **extra}`."""


class TransitionError(WorkflowError):
    """The complaint's current status does not allow the request (409, naming both statuses)."""

    http_status = 409


class WorkflowForbidden(WorkflowError):
    """The actor may not do this to this complaint (403): a wrong reporter token, no override role."""

    http_status = 403


class TargetNotFound(FieldError):
    """A complaint named in a field (the original of a duplicate) that does not exist for the
    actor: unknown, or outside their scope. The same 404 either way, as for the complaint acted
    on (fieldops.permissions)."""

    http_status = 404


class TargetForbidden(FieldError):
    """A complaint the actor may see but may not act on, reached through another (a chain)."""

    http_status = 403
