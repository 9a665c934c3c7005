"""Serving public photo copies at /media/<stored name>, on local disk and in object storage alike.

No file is ever found by a path taken from the URL. The requested name is looked up as the
exact stored name of a Photo's public copy or thumbnail; only that record's file is opened,
through the configured storage. `..`, encoded dots, backslashes or an original's name
therefore match no record and get a 404: originals (with the reporter's EXIF position) are
reachable only through the staff view `ComplaintPhotoOriginalApi` in fieldops/ops_apis.py.
"""

from __future__ import annotations

import mimetypes
import re

from django.http import FileResponse, HttpResponse, HttpResponseNotFound, StreamingHttpResponse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from fieldops.selectors import public_photo_file

ERR_NO_PHOTO = gettext_lazy("No such photo.")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _not_found():
    return HttpResponseNotFound(ERR_NO_PHOTO, content_type="text/plain; charset=utf-8")


@require_safe
def public_media(request, name: str):
    """Stream the public copy or thumbnail stored under exactly this name, else 404."""
    field = public_photo_file(name=name)
    if field is None:
        return _not_found()
    storage = field.storage
    if not storage.exists(field.name):  # the record outlived its file
        return _not_found()
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    byte_range = _range(request.headers.get("Range", ""), storage.size(field.name))
    if byte_range == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{storage.size(field.name)}"
        return response
    if byte_range is not None:
        response = _partial(storage, field.name, content_type, *byte_range)
    else:
        response = FileResponse(storage.open(field.name, "rb"), content_type=content_type)
    # Video players (Safari always) ask for byte ranges: one range per request is answered.
    response["Accept-Ranges"] = "bytes"
    # File names are random and never overwritten: the bytes behind a URL never change.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def _range(header: str, size: int):
    """(start, end) inclusive of one `Range: bytes=a-b` header; None to send the whole file (no
    header, or one we do not answer: several ranges); "unsatisfiable" past the end."""
    m = _RANGE.match(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if m.group(1):
        start = int(m.group(1))
        end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    else:  # the last N bytes
        start, end = max(size - int(m.group(2)), 0), size - 1
    if start >= size or start > end:
        return "unsatisfiable"
    return start, end


def _partial(storage, name: str, content_type: str, start: int, end: int) -> StreamingHttpResponse:
    def chunks():
        with storage.open(name, "rb") as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                data = f.read(min(64 * 1024, left))
                if not data:
                    break
                left -= len(data)
                yield data

    response = StreamingHttpResponse(chunks(), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{storage.size(name)}"
    response["Content-Length"] = str(end - start + 1)
    return response
