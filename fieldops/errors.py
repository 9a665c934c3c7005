"""The domain error about one input field, shared by the services and the text rule
(`fieldops.text`); `fieldops.services` re-exports it."""

from __future__ import annotations


class FieldError(Exception):
    """A domain error about one input field; faces turn it into their own 400 format."""

    def __init__(self, field: str, message: str, code: str = "invalid"):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code
