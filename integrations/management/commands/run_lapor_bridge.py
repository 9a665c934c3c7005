"""The SP4N-LAPOR! bridge is jobs now: this runs a job worker for the `lapor` queue only."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Run a job worker for the SP4N-LAPOR! queue (deliveries and status pull-back); any "
            "`manage.py jobs_worker` does the same work. --once: exit when nothing is waiting.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is waiting, then exit")

    def handle(self, *args, once, **opts):
        if not settings.LAPOR_API_URL:
            raise CommandError("LAPOR_API_URL is not set; the bridge has nowhere to send.")
        call_command("jobs_worker", queues="lapor", until_empty=once)
