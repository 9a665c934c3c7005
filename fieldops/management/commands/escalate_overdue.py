"""Escalate complaints that went past their SLA deadline (run periodically, e.g. every 5 minutes)."""

from django.core.management.base import BaseCommand

from fieldops.workflow import complaint_escalate_overdue


class Command(BaseCommand):
    help = (
        "Raise one 'escalated' event per open complaint past its due_at, once, for the agency's "
        "supervisors and the command center. Safe to run often and concurrently."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=5000, help="At most this many complaints per run.")

    def handle(self, *args, limit, verbosity, **options):
        codes = complaint_escalate_overdue(limit=limit)
        if verbosity >= 1:
            self.stdout.write(f"escalated {len(codes)} overdue complaint(s)")
        if verbosity >= 2:
            for code in codes:
                self.stdout.write(f"  {code}")
