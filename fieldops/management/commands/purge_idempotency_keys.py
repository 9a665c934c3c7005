"""Periodic job: delete stored Idempotency-Key answers past their time (see docs/OPERATIONS.md)."""

from django.core.management.base import BaseCommand

from fieldops.idempotency import idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete stored Idempotency-Key answers older than IDEMPOTENCY_KEY_TTL_HOURS."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=float, default=None,
                            help="Default: the IDEMPOTENCY_KEY_TTL_HOURS setting")

    def handle(self, *args, **opts):
        n = idempotency_keys_purge(older_than_hours=opts["older_than_hours"])
        self.stdout.write(f"deleted {n} expired idempotency key(s)")
