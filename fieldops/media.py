"""Serving public photo copies at /media/<stored name>, on local disk and in object storage alike.

No file is ever found by a path taken from the URL. The requested name is looked up as the
exact stored name of a Photo's public copy or thumbnail; only that record's file is opened,
through the configured storage. `..`, encoded dots, backslashes or an original's name
therefore match no record and get a 404: originals (with the reporter's EXIF position) are
reachable only through the staff view `ComplaintPhotoOriginalApi` in fieldops/ops_apis.py.
"""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, HttpResponseNotFound
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from fieldops.selectors import public_photo_file

ERR_NO_PHOTO = gettext_lazy("No such photo.")


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
    response = FileResponse(storage.open(field.name, "rb"), content_type=content_type)
    # File names are random and never overwritten: the bytes behind a URL never change.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
