"""Periodic job: anonymise reporter contact of long-finished complaints (see docs/OPERATIONS.md)."""

from django.core.management.base import BaseCommand

from fieldops.retention import reporter_contact_anonymise


class Command(BaseCommand):
    help = "Blank reporter name, phone and email of complaints finished more than N days ago."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None,
                            help="Default: the REPORTER_RETENTION_DAYS setting")
        parser.add_argument("--commit", action="store_true", help="Without it, only count")

    def handle(self, *args, **opts):
        n = reporter_contact_anonymise(older_than_days=opts["older_than_days"], commit=opts["commit"])
        verb = "anonymised" if opts["commit"] else "would be anonymised (use --commit)"
        self.stdout.write(f"{n} complaints {verb}")
