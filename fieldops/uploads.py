"""Resumable uploads (tus 1.0: core, creation, expiration, termination) of photos and videos.

A crew's 10-40 MB clip over a weak 3G link is often cut off halfway; with tus the phone asks the
server how much arrived (the acknowledged offset) and sends only the rest. An upload is an
`Upload` row and a file on local disk (MEDIA_ROOT/private/uploads/<id>.part), appended to in
place; once complete it is attached to a complaint by passing its id to the photo endpoint,
which reads it exactly like a file sent in one piece, and then deleted. Uploads not finished and
attached within UPLOAD_EXPIRY_HOURS expire: `manage.py purge_uploads` deletes them.

No Python tus server fit: django-tus was last released in 2020 and drf-tus needs django-fsm,
jsonfield, six and a global middleware; the protocol subset we need is small and strict here.
"""

from __future__ import annotations

import base64
import binascii
import os
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from common.errors import interpolate
from fieldops.errors import FieldError, WorkflowError
from fieldops.models import Complaint, Upload

ERR_LENGTH = gettext_lazy("Upload-Length must be a whole number of bytes.")
ERR_TOO_LARGE = gettext_lazy("The upload is larger than %(max_mb)s MB.")
ERR_METADATA = gettext_lazy("Upload-Metadata must be comma-separated keys with base64 values.")
ERR_OFFSET_HEADER = gettext_lazy("Upload-Offset must be a whole number of bytes.")
ERR_OFFSET_MISMATCH = gettext_lazy("The upload is at byte %(offset)s, not %(sent)s: resume from %(offset)s.")
ERR_BEYOND_LENGTH = gettext_lazy("The piece goes beyond the upload's length of %(length)s bytes.")
ERR_UPLOAD_UNKNOWN = gettext_lazy("No completed upload with this id.")

CHUNK = 64 * 1024


class OffsetConflict(WorkflowError):
    """The client's Upload-Offset is not where the upload stands (tus: 409)."""

    http_status = 409


def max_upload_bytes() -> int:
    return max(int(settings.VIDEO_MAX_BYTES), int(settings.PHOTO_MAX_BYTES))


def upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "private" / "uploads"


def upload_path(upload: Upload) -> Path:
    return upload_dir() / f"{upload.pk.hex}.part"


def parse_metadata(header: str) -> dict[str, str]:
    """tus Upload-Metadata: `key base64value,key2 base64value2` (a value may be absent)."""
    out: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in (header or "").split(","))):
        key, _, value = pair.partition(" ")
        if not key or len(key) > 64 or key in out:
            raise FieldError("Upload-Metadata", ERR_METADATA)
        try:
            out[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise FieldError("Upload-Metadata", ERR_METADATA) from None
        if len(out[key]) > 500:
            raise FieldError("Upload-Metadata", ERR_METADATA)
    return out


def parse_length(value: str | None, *, field: str, message: str) -> int:
    value = (value or "").strip()
    if not value.isdigit() or len(value) > 15:
        raise FieldError(field, message)
    return int(value)


def upload_create(*, length: int, metadata: dict, owner=None, complaint: Complaint | None = None) -> Upload:
    """Register an upload of `length` bytes (an empty file on disk); it expires when left."""
    limit = max_upload_bytes()
    if length > limit:
        raise FieldError("Upload-Length", interpolate(ERR_TOO_LARGE, max_mb=limit // (1024 * 1024)), "too_large")
    upload = Upload(length=length, metadata={k: v for k, v in metadata.items() if k != "reporter_token"},
                    owner=owner if getattr(owner, "is_authenticated", False) else None, complaint=complaint,
                    expires_at=timezone.now() + timedelta(hours=float(settings.UPLOAD_EXPIRY_HOURS)))
    upload_dir().mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        upload.save()
        upload_path(upload).touch(exist_ok=False)
    return upload


def upload_append(*, upload: Upload, offset: int, stream, content_length: int | None) -> Upload:
    """Append a piece read from `stream` at `offset` (which must be where the upload stands).

    The row is locked while the piece is written, so two connections of the same client cannot
    interleave. What arrived before a dropped connection is kept and acknowledged: the offset
    moves by the bytes actually written."""
    with transaction.atomic():
        current = Upload.objects.select_for_update().get(pk=upload.pk)
        if offset != current.offset:
            raise OffsetConflict(interpolate(ERR_OFFSET_MISMATCH, offset=current.offset, sent=offset),
                                 {"upload_offset": current.offset})
        room = current.length - current.offset
        if content_length is not None and content_length > room:
            raise FieldError("Content-Length", interpolate(ERR_BEYOND_LENGTH, length=current.length))
        written = 0
        with open(upload_path(current), "r+b") as f:
            f.seek(current.offset)
            f.truncate()
            try:
                while written < room:
                    data = stream.read(min(CHUNK, room - written))
                    if not data:
                        break
                    f.write(data)
                    written += len(data)
            except OSError:  # the client went away mid-piece: keep what arrived
                pass
            f.flush()
            os.fsync(f.fileno())
        current.offset += written
        current.expires_at = timezone.now() + timedelta(hours=float(settings.UPLOAD_EXPIRY_HOURS))
        current.save(update_fields=["offset", "expires_at"])
    return current


def upload_for_attach(*, upload_id, user=None, complaint: Complaint) -> Upload:
    """The completed, unexpired upload this staff member (or this complaint's reporter, `user`
    None) may attach to `complaint`; a FieldError naming `upload_id` otherwise."""
    upload = Upload.objects.filter(pk=upload_id, expires_at__gt=timezone.now()).first()
    ok = upload is not None and upload.complete and (
        (user is not None and upload.owner_id == user.pk)
        or (user is None and upload.owner_id is None and upload.complaint_id == complaint.pk))
    if not ok:
        raise FieldError("upload_id", ERR_UPLOAD_UNKNOWN, "not_found")
    return upload


def upload_delete(upload: Upload) -> None:
    try:
        upload_path(upload).unlink()
    except FileNotFoundError:
        pass
    upload.delete()


def upload_file(upload: Upload) -> File:
    """The completed upload's bytes as a Django File (for proof.photo_add)."""
    f = File(open(upload_path(upload), "rb"), name=upload.metadata.get("filename") or f"{upload.pk.hex}.bin")
    return f


def uploads_purge(*, now=None) -> int:
    """Delete expired uploads and their files; returns how many."""
    now = now or timezone.now()
    n = 0
    for upload in Upload.objects.filter(expires_at__lt=now).iterator():
        upload_delete(upload)
        n += 1
    return n
