"""Periodic job: delete resumable uploads abandoned past UPLOAD_EXPIRY_HOURS (see docs/OPERATIONS.md)."""

from django.core.management.base import BaseCommand

from fieldops.uploads import uploads_purge


class Command(BaseCommand):
    help = "Delete expired partial (or never attached) resumable uploads and their files."

    def handle(self, *args, **opts):
        n = uploads_purge()
        self.stdout.write(f"deleted {n} expired upload(s)")
