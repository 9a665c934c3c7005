"""Load the bundled city (Kota Tangerang) reference data; with --demo, the demo accounts."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fieldops.citysetup import DEMO_PASSWORD, SetupError, city_load_from_dir


class Command(BaseCommand):
    help = "Load boundaries (once), agencies, categories and routing rules from a fixtures folder."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "fixtures" / "tangerang"))
        parser.add_argument("--demo", action="store_true", help="Also create demo accounts (local mode only)")

    def handle(self, *args, **opts):
        demo = opts["demo"]
        if demo and not settings.DEMO_MODE:
            self.stderr.write("LAKSA_ENV=production: demo accounts are not loaded.")
            demo = False
        try:
            result = city_load_from_dir(Path(opts["dir"]), demo=demo, progress=lambda m: self.stderr.write(m))
        except SetupError as exc:
            raise CommandError(str(exc)) from exc
        if settings.DEMO_MODE:  # the well-known Open311 demo key laksa-demo-open311 (issue 7)
            __import__("open311.services").services.demo_key_ensure()
        self.stdout.write(
            ("Boundaries imported. " if result.imported_boundaries else "Boundaries already loaded. ")
            + f"{result.agencies} agencies, {result.categories} categories, {result.routing} routing rules, "
            + f"{result.places} gazetteer places."
        )
        if result.demo_accounts:
            self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
            for username, role, agency in result.demo_accounts:
                self.stdout.write(f"  {username:<10} {role:<13} {agency}")
