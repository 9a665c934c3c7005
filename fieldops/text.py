"""Text is clean at the door: the one rule for characters every intake face applies.

A description, a name or a note is text a person typed: letters, digits, punctuation, emoji, tabs
and line breaks. Control characters (C0 except tab and line feed, DEL, C1) and what XML 1.0
forbids (lone surrogates, U+FFFE, U+FFFF) are never that: they come from copy-paste accidents
or from someone probing the feeds (one U+0001 used to break the Open311 XML for every consumer).

- People's input (REST, the pages, Open311 POST, operator intake, workflow notes) is refused with
  a 400 naming the field (`clean_text`), so the sender sees what to fix and nothing is silently
  changed. A carriage return is not refused: CRLF and CR become LF (browsers send CRLF from a
  textarea).
- Feeds from other systems (SP4N-LAPOR! imports and status updates) have nobody to retype them:
  the characters are stripped (`strip_control_chars`) and the report still comes in.
- Output in XML strips whatever XML 1.0 forbids (`xml_safe`), whatever the database holds.
- DRF views take `ControlCharGuardMixin`: URL parts, query parameters and posted fields with a
  forbidden character are a 400 naming the parameter before the view runs (PostgreSQL cannot
  even hold NUL, so a filter value with one used to be a 500).
"""

from __future__ import annotations

import re

from rest_framework.exceptions import ValidationError

from common.text import (  # noqa: F401  (the rule lives on the ground floor, for common.parsers too)
    ERR_CONTROL_CHARS,
    control_chars_message,
    first_control_char,
    normalise_newlines,
    strip_control_chars,
)
from fieldops.errors import FieldError

# What XML 1.0's Char production excludes (C1 and DEL are allowed there, if discouraged).
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_text(value, *, field: str) -> None:
    """A FieldError naming `field` when a string holds a forbidden character (other values pass)."""
    if isinstance(value, str):
        char = first_control_char(value)
        if char is not None:
            raise FieldError(field, control_chars_message(char), "control_characters")


def clean_text(value, *, field: str) -> str:
    """A person's text with line breaks as LF; a FieldError naming `field` if anything else is off."""
    text = normalise_newlines("" if value is None else str(value))
    check_text(text, field=field)
    return text


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry, for any XML we write."""
    return _XML_FORBIDDEN.sub("", text)


def _refuse_control_chars(name, values) -> None:
    for text in (str(name), *(v for v in values if isinstance(v, str))):
        char = first_control_char(text)
        if char is not None:
            raise ValidationError({strip_control_chars(str(name)): [control_chars_message(char)]})


class ControlCharGuardMixin:
    """Control characters (fieldops.text) anywhere in the URL, the query or the posted fields are
    a 400 naming the field: never stored, never a 500 (PostgreSQL text cannot even hold NUL)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for name, value in kwargs.items():
            _refuse_control_chars(name, [value])
        for name, values in request.query_params.lists():
            _refuse_control_chars(name, values)
        if request.method == "POST":
            data = request.data
            items = data.lists() if hasattr(data, "lists") else (data.items() if isinstance(data, dict) else [])
            for name, value in items:
                _refuse_control_chars(name, value if isinstance(value, list) else [value])
