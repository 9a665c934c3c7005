"""Setting up a whole province from its boundary files: one new boundary generation holding
provinsi → kab/kota → kecamatan → desa/kelurahan, and every kab/kota as a government (pemda)
with a default template that its admin then edits.

`manage.py setup_province` calls `province_setup`. It lives beside `setup_city` because it
uses both the boundaries import (boundaries) and the reference-data loaders (fieldops);
boundaries may not import fieldops. docs/NEW_REGION.md is the walkthrough."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import DataSource
from django.contrib.gis.gdal.error import GDALException
from django.db import transaction
from django.utils.translation import gettext_lazy

from boundaries.models import AdminArea, AreaLevel, Government
from boundaries.services import BoundaryImportError, LayerSpec, area_kind, boundaries_import
from common.errors import interpolate
from fieldops.citysetup import TEMPLATE_DIR, SetupError, government_ensure, government_template_apply, roles_ensure
from integrations.city import file_outline

ERR_PROVINCE_NAME = gettext_lazy("The province name (--name) may not be empty.")
ERR_NO_KABKOTA = gettext_lazy("%(path)s: no kab/kota with a code was imported; check --code-field.")


class _Rollback(Exception):
    pass


@dataclass
class ProvinceSetupResult:
    committed: bool
    generation_id: int | None = None
    governments_new: list[str] = field(default_factory=list)
    governments_kept: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def _has_field(path: Path, name: str) -> bool:
    try:
        ds = DataSource(str(path))
    except GDALException as exc:
        raise BoundaryImportError(f"{path}: cannot be read by GDAL ({exc})") from exc
    return len(ds) > 0 and name in ds[0].fields


def province_setup(
    *,
    name: str,
    kabkota: str | Path,
    kecamatan: str | Path,
    desa: str | Path,
    provinsi: str | Path | None = None,
    name_field: str = "nama",
    code_field: str = "kode",
    source_srs: str | None = None,
    template_dir: Path = TEMPLATE_DIR,
    commit: bool = True,
    progress=None,
) -> ProvinceSetupResult:
    """Boundaries of a province into one new generation and a government per kab/kota, all or
    nothing in one transaction.

    Parents are linked by Kemendagri code prefix (36.71.07.1006 → 36.71.07 → 36.71 → 36).
    A government that exists already (e.g. Kota Tangerang from `make run`) keeps its agencies,
    rules, staff and complaints: only its boundaries move to the new generation (complaints
    keep the generation they were routed with). A new one gets the default template
    (`fieldops.citysetup.government_template_apply`)."""
    name = (name or "").strip()
    if not name:
        raise SetupError(ERR_PROVINCE_NAME)
    say = progress or (lambda message: None)
    result = ProvinceSetupResult(committed=commit)
    files = {"kota": Path(kabkota), "kecamatan": Path(kecamatan), "kelurahan": Path(desa)}

    def spec(level: str, path: Path) -> LayerSpec:
        return LayerSpec(path=path, level=level, name_field=name_field, code_field=code_field,
                         source_srs=source_srs, parent_by_code_prefix=True,
                         jenis_field="jenis" if _has_field(path, "jenis") else None)

    with tempfile.TemporaryDirectory() as tmp:
        layers = []
        if provinsi:
            layers.append(spec(AreaLevel.PROVINSI, Path(provinsi)))
        else:
            # No province file: its outline is the union of the kab/kota, its code their prefix.
            say("provinsi: the union of the kab/kota (no --provinsi file)")
            outline = file_outline(files["kota"], source_srs)
            province_file = Path(tmp) / "provinsi.geojson"
            province_file.write_text(json.dumps({"type": "FeatureCollection", "features": [{
                "type": "Feature", "properties": {name_field: name, code_field: _province_code(files["kota"], code_field)},
                "geometry": json.loads(outline.geojson)}]}))
            layers.append(LayerSpec(path=province_file, level=AreaLevel.PROVINSI, name_field=name_field,
                                    code_field=code_field))
        layers += [spec(level, path) for level, path in files.items()]
        try:
            with transaction.atomic():
                roles_ensure()
                summary = boundaries_import(layers=layers, description=f"{name} (setup_province)", commit=True,
                                            progress=say)
                result.generation_id = summary.generation_id
                result.lines += summary.lines()[:-1]
                result.lines.append(f"generation {summary.generation_id}: provinsi {name}")
                _governments(result, name, files["kota"], template_dir, say)
                if not commit:
                    raise _Rollback
        except _Rollback:
            result.generation_id = None
            result.lines.append("dry run: nothing written")
    return result


def _province_code(kabkota: Path, code_field: str) -> str:
    ds = DataSource(str(kabkota))
    for feature in ds[0]:
        code = str(feature.get(code_field) or "")
        if "." in code:
            return code.split(".")[0]
    return ""


def _governments(result: ProvinceSetupResult, province_name: str, kabkota: Path, template_dir: Path, say) -> None:
    areas = list(AdminArea.objects.filter(generation_id=result.generation_id, level=AreaLevel.KOTA)
                 .select_related("parent").order_by("code"))
    if not areas:
        raise SetupError(interpolate(ERR_NO_KABKOTA, path=kabkota))
    existing = set(Government.objects.filter(code__in=[a.code for a in areas]).values_list("code", flat=True))
    for area in areas:
        jenis = area.jenis or area_kind(AreaLevel.KOTA, area.code)
        province = area.parent
        if area.code in existing:
            # Kept as it is (its admin may have renamed it or set its site): only the province is filled in.
            Government.objects.filter(code=area.code, province_code="").update(
                province_code=province.code if province else "")
            Government.objects.filter(code=area.code, province_name="").update(
                province_name=province.name if province else province_name)
            result.governments_kept.append(area.code)
            line = (f"{area.code} {area.name}: kept (its agencies, rules, staff and complaints are unchanged; "
                    f"boundaries now from generation {result.generation_id})")
        else:
            government = government_ensure(code=area.code, name=area.name, jenis=jenis,
                                           province_code=province.code if province else area.code.split(".")[0],
                                           province_name=province.name if province else province_name)
            counts = government_template_apply(government, generation_id=result.generation_id,
                                               template_dir=template_dir)
            result.governments_new.append(area.code)
            line = (f"{area.code} {area.name}: new, {counts.agencies} OPD, {counts.kecamatan_offices} kecamatan offices, "
                    f"{counts.categories} categories, {counts.routing} routing rules")
        say(line)
        result.lines.append(line)
    counts = {level: AdminArea.objects.filter(generation_id=result.generation_id, level=level).count()
              for level in (AreaLevel.KOTA, AreaLevel.KECAMATAN, AreaLevel.KELURAHAN)}
    result.lines.append(
        f"{len(result.governments_new)} governments new, {len(result.governments_kept)} kept; "
        f"{counts[AreaLevel.KOTA]} kab/kota, {counts[AreaLevel.KECAMATAN]} kecamatan, "
        f"{counts[AreaLevel.KELURAHAN]} desa/kelurahan"
    )
