"""Set up a new city from its own boundary files and CSVs (docs/NEW_CITY.md)."""

from django.core.management.base import BaseCommand, CommandError

from boundaries.services import BoundaryImportError
from fieldops.citysetup import SetupError
from integrations.city import city_setup


class Command(BaseCommand):
    help = ("Build a deployment's reference data: kota outline, kecamatan and kelurahan from any OGR file, "
            "agencies, categories and routing rules from CSV (generic ones when the CSVs are left out).")

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help='The city, e.g. "Kota Contoh"')
        parser.add_argument("--kecamatan", required=True, help="Kecamatan polygons (GeoJSON, Shapefile, GPKG, ...)")
        parser.add_argument("--kelurahan", help="Kelurahan/desa polygons")
        parser.add_argument("--kota", help="The city outline; default: the union of the kecamatan")
        parser.add_argument("--name-field", default="name", help="Attribute holding the area name (default: name)")
        parser.add_argument("--code-field", help="Attribute holding the Kemendagri code")
        parser.add_argument("--parent-code-field", help="Kelurahan attribute with its kecamatan's code")
        parser.add_argument("--kelurahan-name-field", help="When the kelurahan file names it differently")
        parser.add_argument("--kelurahan-code-field", help="When the kelurahan file names it differently")
        parser.add_argument("--kota-code", help="Code of the city area (default: from the name)")
        parser.add_argument("--source-srs", help="EPSG code when a file has no or a wrong coordinate system")
        parser.add_argument("--agencies", help="agencies.csv")
        parser.add_argument("--categories", help="categories.csv")
        parser.add_argument("--routing", help="routing.csv")
        parser.add_argument("--places", help="places.csv: named public places for the place search")
        parser.add_argument("--dry-run", action="store_true", help="Check everything, write nothing")

    def handle(self, *args, **o):
        try:
            result = city_setup(
                name=o["name"], kecamatan=o["kecamatan"], kelurahan=o["kelurahan"], kota=o["kota"],
                name_field=o["name_field"], code_field=o["code_field"], parent_code_field=o["parent_code_field"],
                kelurahan_name_field=o["kelurahan_name_field"], kelurahan_code_field=o["kelurahan_code_field"],
                kota_code=o["kota_code"], source_srs=o["source_srs"], agencies=o["agencies"],
                categories=o["categories"], routing=o["routing"], places=o["places"], commit=not o["dry_run"],
                progress=lambda m: self.stderr.write(m),
            )
        except (SetupError, BoundaryImportError) as exc:
            raise CommandError(str(exc)) from exc
        for line in result.lines:
            self.stdout.write(line)
