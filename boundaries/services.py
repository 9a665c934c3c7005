"""Writes over boundaries: importing area polygons from any OGR source into a new generation.

The management commands `import_boundaries` and `setup_city` and the tests all call
`boundaries_import`, so a city's files go through one path whatever their format.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from django.contrib.gis.gdal import CoordTransform, DataSource, SpatialReference
from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.utils.translation import gettext_lazy

from boundaries.geo import polygons_only
from boundaries.models import STORAGE_SRID, AdminArea, AreaKind, AreaLevel, BoundaryGeneration, Place, PlaceKind
from common.errors import interpolate

LEVEL_ORDER = [AreaLevel.PROVINSI, AreaLevel.KOTA, AreaLevel.KECAMATAN, AreaLevel.KELURAHAN]
PARENT_LEVEL = {AreaLevel.KOTA: AreaLevel.PROVINSI, AreaLevel.KECAMATAN: AreaLevel.KOTA,
                AreaLevel.KELURAHAN: AreaLevel.KECAMATAN}
# A Kemendagri code: 36, 36.71, 36.71.07, 36.71.07.1006 (the parent's code is the prefix).
KEMENDAGRI_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
# Max vertices per piece for ST_Subdivide: small pieces make index lookups cheap.
SUBDIVIDE_MAX_VERTICES = 64


class BoundaryImportError(Exception):
    pass


ERR_NO_LAYER = gettext_lazy("%(path)s: no readable layer")
ERR_FIELD_MISSING = gettext_lazy("%(path)s: field %(field)r not found; available fields: %(fields)s")
ERR_NO_SRS = gettext_lazy("%(path)s: the source has no coordinate system; give --source-srs")
ERR_UNKNOWN_LEVEL = gettext_lazy("unknown level %(level)r; use one of provinsi, kota, kecamatan, kelurahan")
ERR_DUPLICATE_CODE = gettext_lazy("%(path)s: code %(code)r appears more than once")


@dataclass
class LayerSpec:
    """One file to import as one level of areas."""

    path: str | Path
    level: str
    name_field: str
    code_field: str | None = None
    parent_code_field: str | None = None
    source_srs: str | int | None = None
    population_field: str | None = None
    # The attribute saying kabupaten/kota or desa/kelurahan; without it (or where it is empty)
    # the Kemendagri code says (see `area_kind`).
    jenis_field: str | None = None
    # Kemendagri codes: the parent is the area whose code is this code without its last part
    # (36.71.07.1006 → 36.71.07), before any parent code field or the spatial fallback.
    parent_by_code_prefix: bool = False


def area_kind(level: str, code: str, given: str = "") -> str:
    """What an area is within its level (AdminArea.jenis): the source's word when it is one of
    the kinds, else what its Kemendagri code says (kab/kota 01-69 kabupaten, 71-99 kota; a
    desa/kelurahan suffix starting with 1 kelurahan, with 2 desa), else empty."""
    given = (given or "").strip().lower()
    if given in AreaKind.values:
        return given
    if level in (AreaLevel.PROVINSI, AreaLevel.KECAMATAN):
        return level
    if not KEMENDAGRI_CODE.match(code or ""):
        return ""
    parts = code.split(".")
    if level == AreaLevel.KOTA and len(parts) == 2:
        return AreaKind.KOTA if int(parts[1]) >= 71 else AreaKind.KABUPATEN
    if level == AreaLevel.KELURAHAN and len(parts) == 4:
        return {"1": AreaKind.KELURAHAN, "2": AreaKind.DESA}.get(parts[3][0], "")
    return ""


@dataclass
class LayerSummary:
    level: str
    read: int = 0
    imported: int = 0
    repaired: int = 0
    skipped: int = 0
    area_km2: float = 0.0
    skipped_reasons: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    generation_id: int | None
    committed: bool
    layers: list[LayerSummary]

    def lines(self) -> list[str]:
        out = []
        for s in self.layers:
            out.append(
                f"{s.level}: {s.read} features read, {s.imported} imported, {s.repaired} repaired, "
                f"{s.skipped} skipped, total area {s.area_km2:.2f} km²"
            )
            out.extend(f"  skipped: {r}" for r in s.skipped_reasons)
        out.append(
            f"generation {self.generation_id} committed" if self.committed else "dry run: nothing written (use --commit)"
        )
        return out


class _DryRun(Exception):
    pass


def _read_layer(spec: LayerSpec, progress: Callable[[str], None] | None):
    """Yield (index, code, name, parent_code, population, jenis, MultiPolygon in 4326, repaired) per feature."""
    path = str(spec.path)
    try:
        ds = DataSource(path)
    except GDALException as exc:
        raise BoundaryImportError(f"{path}: cannot be read by GDAL ({exc})") from exc
    if len(ds) == 0:
        raise BoundaryImportError(interpolate(ERR_NO_LAYER, path=path))
    layer = ds[0]
    fields = list(layer.fields)
    for f in (spec.name_field, spec.code_field, spec.parent_code_field, spec.population_field, spec.jenis_field):
        if f and f not in fields:
            raise BoundaryImportError(interpolate(ERR_FIELD_MISSING, path=path, field=f, fields=", ".join(fields)))
    source_srs = SpatialReference(str(spec.source_srs)) if spec.source_srs else layer.srs
    if source_srs is None:
        raise BoundaryImportError(interpolate(ERR_NO_SRS, path=path))
    transform = CoordTransform(source_srs, SpatialReference(STORAGE_SRID))
    total = len(layer)
    for index, feature in enumerate(layer, start=1):
        if progress and (index % 50 == 0 or index == total):
            progress(f"  {spec.level}: {index}/{total} features")
        name = str(feature.get(spec.name_field) or "").strip()
        code = str(feature.get(spec.code_field) or "").strip() if spec.code_field else ""
        parent_code = str(feature.get(spec.parent_code_field) or "").strip() if spec.parent_code_field else ""
        jenis = str(feature.get(spec.jenis_field) or "").strip() if spec.jenis_field else ""
        population = None
        if spec.population_field:
            try:
                population = int(float(feature.get(spec.population_field)))
            except (TypeError, ValueError):
                population = None
        ogr = feature.geom
        if ogr is None:
            yield index, code, name, parent_code, population, jenis, None, False
            continue
        ogr = ogr.clone()
        ogr.srs = source_srs
        ogr.transform(transform)
        ogr.set_3d(False)
        geom = GEOSGeometry(ogr.wkb, srid=STORAGE_SRID)
        repaired = False
        if not geom.valid:
            geom = geom.make_valid()
            repaired = True
        yield index, code, name, parent_code, population, jenis, polygons_only(geom), repaired


def boundaries_import(
    *,
    layers: list[LayerSpec],
    description: str = "",
    commit: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportSummary:
    """Import layers into a new boundary generation; other levels are carried over unchanged.

    Without `commit`, everything is done and checked inside a transaction that is rolled back.
    """
    for spec in layers:
        if spec.level not in LEVEL_ORDER:
            raise BoundaryImportError(interpolate(ERR_UNKNOWN_LEVEL, level=spec.level))
    by_level = {spec.level: spec for spec in layers}
    summaries = []
    generation_id = None
    try:
        with transaction.atomic():
            previous = BoundaryGeneration.current()
            generation = BoundaryGeneration.objects.create(
                description=description or ", ".join(f"{s.level} from {Path(str(s.path)).name}" for s in layers),
                active=False,
            )
            generation_id = generation.pk
            for level in LEVEL_ORDER:
                if level in by_level:
                    summaries.append(_import_level(generation, by_level[level], progress))
                elif previous is not None:
                    _copy_level(previous, generation, level)
            _subdivide(generation)
            generation.active = True
            generation.save(update_fields=["active"])
            if not commit:
                raise _DryRun
    except _DryRun:
        return ImportSummary(generation_id=None, committed=False, layers=summaries)
    return ImportSummary(generation_id=generation_id, committed=True, layers=summaries)


def _parent_for(generation, level, parent_code, geom, by_code: dict | None = None) -> AdminArea | None:
    parent_level = PARENT_LEVEL.get(level)
    if not parent_level:
        return None
    parents = AdminArea.objects.filter(generation=generation, level=parent_level)
    if parent_code:
        if by_code is not None:  # the parent level's areas, read once per layer
            if parent_code in by_code:
                return by_code[parent_code]
        else:
            parent = parents.filter(code=parent_code).first()
            if parent:
                return parent
    if by_code is not None and not by_code:
        return None  # no area at the parent level in this generation
    # No code given (or unknown): the parent is the area its interior point lies in.
    inner = geom.point_on_surface
    return parents.filter(geom__covers=inner).order_by("code").first() or (
        parents.filter(geom__dwithin=(inner, 0.002)).order_by("code").first()
    )


def _import_level(generation, spec: LayerSpec, progress) -> LayerSummary:
    summary = LayerSummary(level=spec.level)
    seen: set[str] = set()
    parent_level = PARENT_LEVEL.get(spec.level)
    by_code = ({a.code: a for a in AdminArea.objects.filter(generation=generation, level=parent_level).only("id", "code")}
               if parent_level else None)
    for index, code, name, parent_code, population, jenis, geom, repaired in _read_layer(spec, progress):
        summary.read += 1
        if geom is None:
            summary.skipped += 1
            summary.skipped_reasons.append(f"feature {index} ({name or 'no name'}): no polygon geometry")
            continue
        if not name:
            summary.skipped += 1
            summary.skipped_reasons.append(f"feature {index}: empty {spec.name_field!r}")
            continue
        code = code or f"{spec.level[:3].upper()}-{index:04d}"
        if code in seen:
            raise BoundaryImportError(interpolate(ERR_DUPLICATE_CODE, path=spec.path, code=code))
        seen.add(code)
        summary.repaired += int(repaired)
        if spec.parent_by_code_prefix and "." in code and by_code and code.rsplit(".", 1)[0] in by_code:
            parent_code = code.rsplit(".", 1)[0]
        area = AdminArea(
            generation=generation,
            level=spec.level,
            code=code,
            name=name,
            jenis=area_kind(spec.level, code, jenis),
            geom=geom,
            population=population,
            parent=_parent_for(generation, spec.level, parent_code, geom, by_code),
        )
        area.save()
        summary.imported += 1
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE boundaries_adminarea SET area_km2 = ST_Area(geom::geography) / 1e6"
            " WHERE generation_id = %s AND level = %s RETURNING area_km2",
            [generation.pk, spec.level],
        )
        summary.area_km2 = sum(row[0] for row in cur.fetchall())
    return summary


def _copy_level(previous, generation, level):
    """Carry one level's areas over to the new generation, re-linking parents by code."""
    for old in AdminArea.objects.filter(generation=previous, level=level).select_related("parent"):
        AdminArea.objects.create(
            generation=generation,
            level=level,
            code=old.code,
            name=old.name,
            jenis=old.jenis,
            geom=old.geom,
            population=old.population,
            area_km2=old.area_km2,
            parent=_parent_for(generation, level, old.parent.code if old.parent else "", old.geom),
        )


def _subdivide(generation):
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO boundaries_areapiece (area_id, generation_id, level, geom)
            SELECT a.id, a.generation_id, a.level, (ST_Dump(ST_Subdivide(a.geom, %s))).geom
              FROM boundaries_adminarea a WHERE a.generation_id = %s
            """,
            [SUBDIVIDE_MAX_VERTICES, generation.pk],
        )
        # Fresh statistics: without them the planner takes a new generation for a few rows and
        # scans it by (generation, level) instead of the spatial index (a province's 8,000
        # pieces: 2.5 ms instead of 0.1 ms per point).
        cur.execute("ANALYZE boundaries_areapiece")
        cur.execute("ANALYZE boundaries_adminarea")


def print_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the gazetteer


class PlacesLoadError(Exception):
    pass


@transaction.atomic
def places_load(path: Path) -> int:
    """Create or update gazetteer places from a CSV with key,name,kind,lat,lon[,address] (by key)."""
    import csv

    from django.contrib.gis.geos import Point

    count = 0
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            if not row.get("key") or not row.get("name"):
                raise PlacesLoadError(f"{path}:{i}: key and name are required")
            if row.get("kind") not in PlaceKind.values:
                raise PlacesLoadError(f"{path}:{i}: kind {row.get('kind')!r} is not one of {', '.join(PlaceKind.values)}")
            try:
                lon, lat = float(row["lon"]), float(row["lat"])
            except (KeyError, ValueError):
                raise PlacesLoadError(f"{path}:{i}: lat and lon must be numbers") from None
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise PlacesLoadError(f"{path}:{i}: lat/lon out of range")
            Place.objects.update_or_create(key=row["key"], defaults={
                "name": row["name"], "kind": row["kind"], "point": Point(lon, lat, srid=STORAGE_SRID),
                "address": row.get("address", ""),
            })
            count += 1
    return count


# ---------------------------------------------------------------- the national layer


@dataclass
class NationalLoad:
    provinsi: int = 0
    kota: int = 0
    repaired: int = 0
    skipped: list[str] = field(default_factory=list)


@transaction.atomic
def national_areas_load(*, kabkota: str | Path, provinsi: str | Path, name_field: str = "nama",
                        code_field: str = "kode", progress: Callable[[str], None] | None = None) -> NationalLoad:
    """Create or update (by code) the provinces and kab/kota of Indonesia in NationalArea.

    Independent of boundary generations: this layer only answers who is responsible for a pin
    no government of the deployment covers. A kab/kota's province is its code prefix."""
    from boundaries.models import NationalArea

    result = NationalLoad()
    for level, path in ((AreaLevel.PROVINSI, provinsi), (AreaLevel.KOTA, kabkota)):
        spec = LayerSpec(path=path, level=level, name_field=name_field, code_field=code_field)
        for index, code, name, _parent, _pop, jenis, geom, repaired in _read_layer(spec, progress):
            if geom is None or not code or not name:
                result.skipped.append(f"{Path(str(path)).name} feature {index}: no polygon, code or name")
                continue
            NationalArea.objects.update_or_create(code=code, defaults={
                "level": level, "name": name, "jenis": area_kind(level, code, jenis),
                "parent_code": code.rsplit(".", 1)[0] if "." in code else "", "geom": geom})
            result.repaired += int(repaired)
            setattr(result, level, getattr(result, level) + 1)
    with connection.cursor() as cur:
        cur.execute("ANALYZE boundaries_nationalarea")
    return result
