"""Photos in S3-compatible object storage, served through the application.

With several server processes, photos cannot live on one process's disk. They go to a bucket
(AWS S3, MinIO, Ceph, or moto in tests) through django-storages. The bucket stays private:
originals keep the reporter's EXIF position and phone model and must never be reachable.
Public copies and thumbnails are addressed as `/media/<stored name>` on our own host, and any
process streams them from the bucket after finding their Photo record (fieldops/media.py, the
same view as for local disk); nginx proxies /media/ to the app (docs/DEPLOY.md).
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from storages.backends.s3 import S3Storage


class AppServedS3Storage(S3Storage):
    """S3 storage whose URLs point at the application's /media/ path, not at the bucket."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        return settings.MEDIA_URL + quote(name.lstrip("/"))
