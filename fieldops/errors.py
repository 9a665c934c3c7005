"""The domain error about one input field, shared by the services and the text rule
(`fieldops.text`); `fieldops.services` re-exports it."""

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
