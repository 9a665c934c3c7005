"""Idempotency-Key handling shared by every write endpoint.

A client (the Tim Sigap page's offline outbox, the ops form, a mobile app on a flaky link) may
send the same request twice. With the same `Idempotency-Key` header the second answer is the
first one, and nothing happens twice. Only successful answers are remembered: a refused request
changed nothing, so repeating it simply runs it again.

A key belongs to the client that sent it and to the one request it came with:
- the client is the signed-in user, else the device id (`X-Device-Id` or `device_id`) together
  with the client address as the throttles see it (`NUM_PROXIES`). The client is part of the
  lookup, so the same key from anyone else is simply a new key: their request runs as their own
  and never sees another reporter's answer (with its reporter_token and exact location).
- the request is its method, path and a hash of its parsed payload (fields and uploaded files,
  not the raw bytes: a browser picks a new multipart boundary on every retry). The same client
  sending the same key with another request gets a 422 naming the header.
- answers are replayed for IDEMPOTENCY_KEY_TTL_HOURS; an older key is processed anew, and
  `manage.py purge_idempotency_keys` deletes the expired rows (docs/OPERATIONS.md).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from rest_framework.response import Response

from fieldops.models import IdempotencyKey
from common.throttling import client_address, client_device_id

KEY_MAX = 100
HEADER = "Idempotency-Key"
ERR_KEY_REUSED = _(
    "This Idempotency-Key was already used for another request; send a new Idempotency-Key with a new request."
)


def idempotency_key(request) -> str:
    return (request.headers.get(HEADER) or "").strip()[:KEY_MAX]


def request_client(request) -> str:
    """Who sent the request: the user, else a keyed hash of device id and address (no raw IP stored)."""
    user = getattr(request, "user", None)
    if getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    ident = f"{client_device_id(request)}|{client_address(request)}"
    return "anon:" + salted_hmac("fieldops.idempotency.client", ident, algorithm="sha256").hexdigest()


def _file_digest(upload) -> str:
    h = hashlib.sha256()
    for chunk in upload.chunks():
        h.update(chunk)
    upload.seek(0)  # the view reads it next
    return h.hexdigest()


def request_fingerprint(request) -> str:
    """SHA-256 over method, path and the parsed payload (fields sorted, files by content)."""
    data = request.data
    if hasattr(data, "lists"):  # form or multipart: text fields only, files below
        payload = sorted((k, [v for v in vs if isinstance(v, str)]) for k, vs in data.lists())
    else:
        payload = data
    files = sorted((name, f.name, _file_digest(f)) for name, f in request.FILES.items())
    body = json.dumps([payload, files], sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def _expired_before():
    return timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        return Response({HEADER: [str(ERR_KEY_REUSED)]}, status=422)
    return Response(stored.response, status=stored.status_code)


def respond_once(request, *, scope: str, run: Callable[[], tuple[int, dict]]) -> Response:
    """Run `run()` (returning status and body) at most once per (scope, client, Idempotency-Key)."""
    key = idempotency_key(request)
    if not key:
        status, body = run()
        return Response(body, status=status)
    client = request_client(request)
    fingerprint = request_fingerprint(request)
    lookup = IdempotencyKey.objects.filter(scope=scope, client=client, key=key)
    stored = lookup.first()
    if stored is not None and stored.created_at < _expired_before():
        lookup.filter(pk=stored.pk).delete()  # expired: this request is processed anew
        stored = None
    if stored is not None:
        return _replay(stored, fingerprint)
    try:
        with transaction.atomic():
            status, body = run()
            if status < 300:
                IdempotencyKey.objects.create(scope=scope, client=client, key=key, fingerprint=fingerprint,
                                              status_code=status, response=body)
    except IntegrityError:
        # The same key raced in from a second request of this client: answer as the first did.
        stored = lookup.first()
        if stored is None:
            raise
        return _replay(stored, fingerprint)
    return Response(body, status=status)


def idempotency_keys_purge(*, older_than_hours: float | None = None) -> int:
    """Delete stored answers older than IDEMPOTENCY_KEY_TTL_HOURS (or `older_than_hours`); returns how many."""
    hours = settings.IDEMPOTENCY_KEY_TTL_HOURS if older_than_hours is None else older_than_hours
    deleted, _by_model = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - timedelta(hours=hours)
    ).delete()
    return deleted
