"""Set up every kab/kota of a province from its boundary files (docs/NEW_REGION.md)."""

from django.core.management.base import BaseCommand, CommandError

from boundaries.services import BoundaryImportError
from fieldops.citysetup import SetupError
from integrations.province import province_setup


class Command(BaseCommand):
    help = ("Load a province (provinsi → kab/kota → kecamatan → desa/kelurahan, parents by Kemendagri code prefix) "
            "into one new boundary generation and make each kab/kota a government with a default template.")

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help='The province, e.g. "Banten"')
        parser.add_argument("--kabkota", required=True, help="Kab/kota polygons (GeoJSON, Shapefile, GPKG, ...)")
        parser.add_argument("--kecamatan", required=True, help="Kecamatan polygons")
        parser.add_argument("--desa", required=True, help="Desa/kelurahan polygons")
        parser.add_argument("--provinsi", help="The province outline; default: the union of the kab/kota")
        parser.add_argument("--name-field", default="nama", help="Attribute holding the area name (default: nama)")
        parser.add_argument("--code-field", default="kode", help="Attribute holding the Kemendagri code (default: kode)")
        parser.add_argument("--source-srs", help="EPSG code when a file has no or a wrong coordinate system")
        parser.add_argument("--dry-run", action="store_true", help="Do and check everything, then roll back")

    def handle(self, *args, **o):
        try:
            result = province_setup(
                name=o["name"], kabkota=o["kabkota"], kecamatan=o["kecamatan"], desa=o["desa"],
                provinsi=o["provinsi"], name_field=o["name_field"], code_field=o["code_field"],
                source_srs=o["source_srs"], commit=not o["dry_run"], progress=lambda m: self.stderr.write(m),
            )
        except (SetupError, BoundaryImportError) as exc:
            raise CommandError(str(exc)) from exc
        for line in result.lines:
            self.stdout.write(line)
