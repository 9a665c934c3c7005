"""Import administrative areas of one level from any OGR source (GeoJSON, Shapefile, GPKG...)."""

from django.core.management.base import BaseCommand, CommandError

from boundaries.services import BoundaryImportError, LayerSpec, boundaries_import


class Command(BaseCommand):
    help = (
        "Import kota, kecamatan or kelurahan polygons into a new boundary generation. "
        "Nothing is written without --commit."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Any file GDAL can read (GeoJSON, Shapefile, GeoPackage, ...)")
        parser.add_argument("--level", required=True, choices=["kota", "kecamatan", "kelurahan"])
        parser.add_argument("--name-field", required=True)
        parser.add_argument("--code-field")
        parser.add_argument("--parent-code-field")
        parser.add_argument("--population-field")
        parser.add_argument("--source-srs", help="EPSG code (e.g. 32748) when the file has no or a wrong SRS")
        parser.add_argument("--description", default="")
        parser.add_argument("--commit", action="store_true", help="Write to the database")

    def handle(self, *args, **opts):
        spec = LayerSpec(
            path=opts["path"],
            level=opts["level"],
            name_field=opts["name_field"],
            code_field=opts["code_field"],
            parent_code_field=opts["parent_code_field"],
            population_field=opts["population_field"],
            source_srs=opts["source_srs"],
        )
        try:
            summary = boundaries_import(
                layers=[spec],
                description=opts["description"],
                commit=opts["commit"],
                progress=lambda m: self.stderr.write(m),
            )
        except BoundaryImportError as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
