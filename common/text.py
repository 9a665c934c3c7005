"""The one rule for characters in text (fieldops.text says where and how each face applies it).

Control characters (C0 except tab and line feed, DEL, C1) and what XML 1.0 forbids (lone
surrogates, U+FFFE, U+FFFF) are never text a person typed. It lives on the ground floor so that
the shared parsers (common.parsers) refuse exactly what the faces refuse; PostgreSQL text cannot
even hold NUL.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from common.errors import interpolate

ERR_CONTROL_CHARS = _(
    "Contains control characters (the first is %(char)s); only text, tabs and line breaks are allowed."
)

# Refused at the door. CR (U+000D) is not here: it is normalised to LF first.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def first_control_char(text: str) -> str | None:
    """The first forbidden character of `text` as U+XXXX, or None. CR counts as a line break."""
    found = _FORBIDDEN.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def control_chars_message(char: str) -> str:
    """The refusal in the active language, naming the first offending character."""
    return interpolate(ERR_CONTROL_CHARS, char=char)


def strip_control_chars(value) -> str:
    """Another system's text with the forbidden characters removed (CR becomes LF)."""
    return _FORBIDDEN.sub("", normalise_newlines("" if value is None else str(value)))
