"""Deliver the SP4N-LAPOR! outbox and pull status updates; loops unless --once."""

import time

from django.core.management.base import BaseCommand, CommandError

from integrations.lapor import LaporClient, LaporError, bridge_run


class Command(BaseCommand):
    help = "Send pending SP4N-LAPOR! outbox rows (FOR UPDATE SKIP LOCKED) and pull status updates."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit")
        parser.add_argument("--batch", type=int, default=50, help="Rows per pass (default 50)")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between passes (default 5)")
        parser.add_argument("--no-pull", action="store_true", help="Only deliver; do not pull status updates")

    def handle(self, *args, **opts):
        if opts["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        try:
            client = LaporClient()
        except LaporError as exc:
            raise CommandError(str(exc)) from exc
        while True:
            stats = bridge_run(batch=opts["batch"], pull=not opts["no_pull"], client=client)
            self.stdout.write(
                f"delivered {stats.delivered}, retried {stats.retried}, failed {stats.failed}, "
                f"deferred {stats.deferred}, status updates {stats.updates_applied}"
            )
            for err in stats.errors:
                self.stderr.write(err)
            if opts["once"]:
                return
            if stats.delivered + stats.retried + stats.failed + stats.deferred == 0:
                time.sleep(opts["interval"])
