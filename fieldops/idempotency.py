"""Idempotency-Key handling shared by every write endpoint.

A client (the Tim Sigap page's offline outbox, the ops form, a mobile app on a flaky link) may
send the same request twice. With the same `Idempotency-Key` header the second answer is the
first one, and nothing happens twice. Only successful answers are remembered: a refused request
changed nothing, so repeating it simply runs it again.
"""

from __future__ import annotations

from typing import Callable

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from fieldops.models import IdempotencyKey

KEY_MAX = 100


def idempotency_key(request) -> str:
    return (request.headers.get("Idempotency-Key") or "").strip()[:KEY_MAX]


def respond_once(request, *, scope: str, run: Callable[[], tuple[int, dict]]) -> Response:
    """Run `run()` (returning status and body) at most once per (scope, Idempotency-Key)."""
    key = idempotency_key(request)
    if not key:
        status, body = run()
        return Response(body, status=status)
    stored = IdempotencyKey.objects.filter(scope=scope, key=key).first()
    if stored:
        return Response(stored.response, status=stored.status_code)
    try:
        with transaction.atomic():
            status, body = run()
            if status < 300:
                IdempotencyKey.objects.create(scope=scope, key=key, status_code=status, response=body)
    except IntegrityError:
        # The same key raced in from a second request: answer as the first did.
        stored = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if stored is None:
            raise
        return Response(stored.response, status=stored.status_code)
    return Response(body, status=status)
