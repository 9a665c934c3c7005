"""Setting up any city from its own files: boundaries (any OGR format) and the reference CSVs.

`manage.py setup_city` calls `city_setup`. Everything goes through the shared import path
(`boundaries.services.boundaries_import`) and the CSV loaders of `fieldops.citysetup`; nothing
here knows a particular city. docs/NEW_CITY.md is the walkthrough."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, DataSource, SpatialReference
from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.geos import GEOSGeometry, GeometryCollection
from django.db import transaction
from django.utils.translation import gettext_lazy

from boundaries.geo import polygons_only
from boundaries.models import STORAGE_SRID
from boundaries.selectors import city_metric_srid
from boundaries.services import BoundaryImportError, LayerSpec, PlacesLoadError, boundaries_import, places_load
from common.errors import interpolate
from fieldops.citysetup import (
    SetupError, agencies_load, categories_load, generic_reference_data, government_ensure, roles_ensure, routing_load,
)

ERR_NO_POLYGONS = gettext_lazy("%(path)s: no polygon features to build the city outline from")
ERR_NAME = gettext_lazy("The city name (--name) may not be empty.")


class _Rollback(Exception):
    pass


@dataclass
class CitySetupResult:
    committed: bool
    lines: list[str] = field(default_factory=list)
    metric_srid: int | None = None


def file_outline(path: Path, source_srs=None) -> GEOSGeometry:
    """The union of every polygon in a file, in 4326: the city's service area."""
    try:
        ds = DataSource(str(path))
    except GDALException as exc:
        raise BoundaryImportError(f"{path}: cannot be read by GDAL ({exc})") from exc
    layer = ds[0]
    srs = SpatialReference(str(source_srs)) if source_srs else layer.srs
    if srs is None:
        raise BoundaryImportError(f"{path}: the source has no coordinate system; give --source-srs")
    transform = CoordTransform(srs, SpatialReference(STORAGE_SRID))
    parts = []
    for feature in layer:
        if feature.geom is None:
            continue
        ogr = feature.geom.clone()
        ogr.srs = srs
        ogr.transform(transform)
        ogr.set_3d(False)
        geom = GEOSGeometry(ogr.wkb, srid=STORAGE_SRID)
        if not geom.valid:
            geom = geom.make_valid()
        poly = polygons_only(geom)
        if poly is not None:
            parts.append(poly)
    if not parts:
        raise BoundaryImportError(interpolate(ERR_NO_POLYGONS, path=path))
    union = polygons_only(GeometryCollection(parts, srid=STORAGE_SRID).unary_union)
    if union is None:
        raise BoundaryImportError(interpolate(ERR_NO_POLYGONS, path=path))
    return union


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "kota"


def city_setup(
    *,
    name: str,
    kecamatan: str | Path,
    kelurahan: str | Path | None = None,
    kota: str | Path | None = None,
    name_field: str = "name",
    code_field: str | None = None,
    parent_code_field: str | None = None,
    kelurahan_name_field: str | None = None,
    kelurahan_code_field: str | None = None,
    kota_code: str | None = None,
    source_srs: str | None = None,
    agencies: str | Path | None = None,
    categories: str | Path | None = None,
    routing: str | Path | None = None,
    places: str | Path | None = None,
    commit: bool = True,
    progress=None,
) -> CitySetupResult:
    """Boundaries and reference data of a new city, all or nothing in one transaction.

    The service area is the --kota outline when given, else the union of the kecamatan.
    Without a categories CSV, generic categories and one command-center agency are made."""
    name = (name or "").strip()
    if not name:
        raise SetupError(ERR_NAME)
    result = CitySetupResult(committed=commit)
    with tempfile.TemporaryDirectory() as tmp:
        outline = file_outline(Path(kota) if kota else Path(kecamatan), source_srs)
        kota_file = Path(tmp) / "kota.geojson"
        kota_file.write_text(json.dumps({
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"name": name, "code": kota_code or _slug(name)},
                          "geometry": json.loads(outline.geojson)}],
        }))
        layers = [
            LayerSpec(path=kota_file, level="kota", name_field="name", code_field="code"),
            # A kecamatan's parent is the one kota.
            LayerSpec(path=kecamatan, level="kecamatan", name_field=name_field, code_field=code_field,
                      source_srs=source_srs),
        ]
        if kelurahan:
            # The parent kecamatan comes from --parent-code-field when given, else from where it lies.
            layers.append(LayerSpec(path=kelurahan, level="kelurahan", name_field=kelurahan_name_field or name_field,
                                    code_field=kelurahan_code_field or code_field,
                                    parent_code_field=parent_code_field, source_srs=source_srs))
        try:
            with transaction.atomic():
                roles_ensure()
                summary = boundaries_import(layers=layers, description=f"{name} (setup_city)", commit=True,
                                            progress=progress)
                result.lines += summary.lines()
                government = government_ensure(code=kota_code or _slug(name), name=name)
                n_agencies = agencies_load(Path(agencies), government) if agencies else 0
                n_categories = categories_load(Path(categories), government) if categories else 0
                if not categories:
                    generic_reference_data(government)
                n_rules = routing_load(Path(routing), government) if routing else 0
                try:
                    n_places = places_load(Path(places)) if places else 0
                except PlacesLoadError as exc:
                    raise SetupError(str(exc)) from None
                result.lines.append(
                    f"{n_agencies} agencies, {n_categories or 'generic'} categories, {n_rules} routing rules, "
                    f"{n_places} gazetteer places"
                )
                result.metric_srid = city_metric_srid(summary.generation_id)
                result.lines.append(f"metric projection: EPSG:{result.metric_srid}")
                if not commit:
                    raise _Rollback
        except _Rollback:
            result.lines.append("dry run: nothing written")
    return result
