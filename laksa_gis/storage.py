"""Photos in S3-compatible object storage, served through the application.

With several server processes, photos cannot live on one process's disk. They go to a bucket
(AWS S3, MinIO, Ceph, or moto in tests) through django-storages. The bucket stays private:
originals keep the reporter's EXIF position and phone model and must never be reachable.
Public copies and thumbnails are addressed as `/media/public/...` on our own host, and any
process (or nginx in front of them, see docs/DEPLOY.md) serves them from the bucket.
"""

from __future__ import annotations

import mimetypes
import posixpath
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from storages.backends.s3 import S3Storage

PUBLIC_PREFIX = "public/"


class AppServedS3Storage(S3Storage):
    """S3 storage whose URLs point at the application's /media/ path, not at the bucket."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        return settings.MEDIA_URL + quote(name.lstrip("/"))


def serve_public_media(request, path: str):
    """Stream a public photo or thumbnail from the configured storage (never an original)."""
    name = posixpath.normpath(path)
    if not name.startswith(PUBLIC_PREFIX) or ".." in name.split("/") or name != path:
        raise Http404("No such photo.")
    try:
        if not default_storage.exists(name):
            raise Http404("No such photo.")
        handle = default_storage.open(name, "rb")
    except Http404:
        raise
    except Exception:  # storage unreachable or object gone
        raise Http404("No such photo.") from None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    # File names are random and never overwritten: the bytes behind a URL never change.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
