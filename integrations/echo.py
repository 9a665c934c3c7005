"""A status that came from SP4N-LAPOR! is applied with the echo suppressed, so it is not sent back."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

_from_lapor = contextvars.ContextVar("laksa_from_lapor", default=False)


@contextmanager
def lapor_echo_suppressed():
    token = _from_lapor.set(True)
    try:
        yield
    finally:
        _from_lapor.reset(token)


def lapor_echo_is_suppressed() -> bool:
    return _from_lapor.get()
