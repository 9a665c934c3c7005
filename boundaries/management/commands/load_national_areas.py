"""Load Indonesia's provinces and kab/kota (the national layer) into NationalArea."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from boundaries.services import BoundaryImportError, national_areas_load

DEFAULT_DIR = Path(settings.BASE_DIR) / "fixtures" / "indonesia"


class Command(BaseCommand):
    help = ("Create or update (by Kemendagri code) the 38 provinces and 514 kab/kota of Indonesia: who is "
            "responsible for a pin no government of this deployment covers.")

    def add_arguments(self, parser):
        parser.add_argument("--kabkota", default=str(DEFAULT_DIR / "kabkota.geojson"))
        parser.add_argument("--provinsi", default=str(DEFAULT_DIR / "provinsi.geojson"))
        parser.add_argument("--name-field", default="nama")
        parser.add_argument("--code-field", default="kode")

    def handle(self, *args, **o):
        try:
            done = national_areas_load(kabkota=o["kabkota"], provinsi=o["provinsi"], name_field=o["name_field"],
                                       code_field=o["code_field"], progress=lambda m: self.stderr.write(m))
        except BoundaryImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{done.provinsi} provinsi, {done.kota} kab/kota loaded ({done.repaired} repaired)")
        for line in done.skipped:
            self.stdout.write(f"  skipped: {line}")
