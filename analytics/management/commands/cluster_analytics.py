"""Rewrite the analytics facts in spatial order so map tiles read few pages (weekly job)."""

from django.core.management.base import BaseCommand

from analytics.services import FACT_TABLE, facts_cluster


class Command(BaseCommand):
    help = "CLUSTER the analytics facts by their spatial index and ANALYZE them (docs/OPERATIONS.md)."

    def handle(self, *args, **options):
        seconds = facts_cluster()
        self.stdout.write(f"clustered {FACT_TABLE} in {seconds:.1f} s")
