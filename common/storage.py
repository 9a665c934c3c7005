"""Photos in S3-compatible object storage, served through the application.

With several server processes, photos cannot live on one process's disk. They go to a bucket
(AWS S3, MinIO, Ceph, or moto in tests) through django-storages. The bucket stays private:
originals keep the reporter's EXIF position and phone model and must never be reachable.
Public copies and thumbnails are addressed as `/media/<stored name>` on our own host, and any
process streams them from the bucket after finding their Photo record (fieldops/media.py, the
same view as for local disk); nginx proxies /media/ to the app (docs/DEPLOY.md).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from storages.backends.s3 import S3Storage
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


class AppServedS3Storage(S3Storage):
    """S3 storage whose URLs point at the application's /media/ path, not at the bucket."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        return settings.MEDIA_URL + quote(name.lstrip("/"))


class HashedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Static files under content-hashed names, each also stored compressed (brotli and gzip).

    Hashed names let WhiteNoise answer them with a far-future `immutable` Cache-Control (a phone
    never asks for the same script twice). The pages are ES modules importing each other with
    relative paths (`import ... from "./common.js"`); Django rewrites those imports to the hashed
    names too, so a changed common.js also changes the name of every module that imports it.
    """

    support_js_module_import_aggregation = True
    # Only the hashed names are served (with DEBUG=1 WhiteNoise reads the finders instead): half
    # as many files to compress.
    keep_only_hashed_files = True

    def create_compressor(self, **kwargs):
        # Source maps are fetched by developer tools only; brotli at its best setting takes most
        # of collectstatic's time on them (several MB each), so they stay uncompressed.
        if kwargs.get("extensions") is None:
            kwargs["extensions"] = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
        return super().create_compressor(**kwargs)

    def compress_files(self, paths):
        # A hashed name fixes its content: a compressed copy made by an earlier collectstatic is
        # still right, so `make run` and `make test` only compress what changed.
        def done(path):
            gz = Path(self.path(path + ".gz"))
            return gz.exists() and (not self.compressor_uses_brotli or Path(self.path(path + ".br")).exists())

        yield from super().compress_files([path for path in paths if not done(path)])

    @property
    def compressor_uses_brotli(self) -> bool:
        return Compressor(quiet=True).use_brotli
