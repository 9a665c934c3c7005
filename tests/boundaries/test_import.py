"""Importing boundaries from GeoJSON, Shapefile and GeoPackage through GDAL."""

import json
import subprocess

import pytest
from django.core.management import call_command
from django.utils import translation

from boundaries.models import AdminArea, AreaLevel, BoundaryGeneration
from boundaries.services import BoundaryImportError, LayerSpec, boundaries_import
from fieldops.models import Complaint
from tests.conftest import CITY_HALL, FIXTURES_DIR, make_complaint

pytestmark = pytest.mark.django_db
KEC = FIXTURES_DIR / "kecamatan.geojson"


def ogr2ogr(fmt: str, src, dst, *extra):
    subprocess.run(["ogr2ogr", "-f", fmt, str(dst), str(src), *extra], check=True, capture_output=True)
    return dst


def _areas(generation):
    return {
        a.code: (a.name, round(a.area_km2, 3), a.parent.code if a.parent else None)
        for a in AdminArea.objects.filter(generation=generation, level=AreaLevel.KECAMATAN).select_related("parent")
    }


@pytest.mark.parametrize("fmt,suffix", [("ESRI Shapefile", "shp"), ("GPKG", "gpkg")])
def test_shapefile_and_geopackage_give_the_same_areas_as_geojson(city, tmp_path, fmt, suffix):
    spec = dict(level="kecamatan", name_field="kecamatan", code_field="kode", parent_code_field="kode_kota")
    from_geojson = boundaries_import(layers=[LayerSpec(path=KEC, **spec)], commit=True)
    reference = _areas(BoundaryGeneration.objects.get(pk=from_geojson.generation_id))
    converted = ogr2ogr(fmt, KEC, tmp_path / f"kecamatan.{suffix}")
    summary = boundaries_import(layers=[LayerSpec(path=converted, **spec)], commit=True)
    assert summary.layers[0].read == 13 and summary.layers[0].imported == 13
    assert _areas(BoundaryGeneration.objects.get(pk=summary.generation_id)) == reference
    assert 177 < summary.layers[0].area_km2 < 180


def test_reprojected_source_is_transformed_back_to_4326(city, tmp_path):
    utm = ogr2ogr("GPKG", KEC, tmp_path / "kec_utm.gpkg", "-t_srs", "EPSG:32748")
    summary = boundaries_import(
        layers=[LayerSpec(path=utm, level="kecamatan", name_field="kecamatan", code_field="kode")], commit=True
    )
    gen = BoundaryGeneration.objects.get(pk=summary.generation_id)
    karawaci = AdminArea.objects.get(generation=gen, level="kecamatan", name="Karawaci")
    assert karawaci.geom.srid == 4326
    assert 106.5 < karawaci.geom.centroid.x < 106.7 and -6.3 < karawaci.geom.centroid.y < -6.1


def test_dry_run_writes_nothing_and_commit_makes_a_new_generation(city, tmp_path):
    before = BoundaryGeneration.objects.count()
    areas_before = AdminArea.objects.count()
    call_command("import_boundaries", str(KEC), level="kecamatan", name_field="kecamatan", code_field="kode")
    assert BoundaryGeneration.objects.count() == before
    assert AdminArea.objects.count() == areas_before
    call_command("import_boundaries", str(KEC), level="kecamatan", name_field="kecamatan", code_field="kode", commit=True)
    assert BoundaryGeneration.objects.count() == before + 1
    new = BoundaryGeneration.current()
    # The kota and kelurahan levels were carried over into the new generation.
    assert AdminArea.objects.filter(generation=new, level="kelurahan").count() == 104
    assert AdminArea.objects.filter(generation=new, level="kota").count() == 1


def test_redrawn_boundary_does_not_move_old_complaints(city, tmp_path):
    old = make_complaint().complaint
    old_kelurahan = old.kelurahan_id
    # Redraw: every kecamatan is now called differently (a stand-in for a real redraw).
    data = json.loads(KEC.read_text())
    for f in data["features"]:
        f["properties"]["kecamatan"] = "Baru " + f["properties"]["kecamatan"]
    path = tmp_path / "redrawn.geojson"
    path.write_text(json.dumps(data))
    boundaries_import(layers=[LayerSpec(path=path, level="kecamatan", name_field="kecamatan", code_field="kode")], commit=True)
    old.refresh_from_db()
    assert old.kecamatan.name == "Tangerang"
    assert old.kelurahan_id == old_kelurahan
    new = make_complaint(lonlat=CITY_HALL).complaint
    assert new.kecamatan.name == "Baru Tangerang"
    assert new.generation_id != old.generation_id
    assert Complaint.objects.filter(generation_id=old.generation_id).exists()


def test_invalid_rings_are_repaired_and_3d_is_forced_to_2d(city, tmp_path):
    # A self-intersecting "bow tie" with Z values, inside the city.
    bowtie = {
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {"nama": "Bowtie", "kode": "99.01"},
            "geometry": {"type": "Polygon", "coordinates": [[
                [106.60, -6.20, 5], [106.62, -6.18, 5], [106.62, -6.20, 5], [106.60, -6.18, 5], [106.60, -6.20, 5]
            ]]},
        }],
    }
    path = tmp_path / "bowtie.geojson"
    path.write_text(json.dumps(bowtie))
    summary = boundaries_import(
        layers=[LayerSpec(path=path, level="kecamatan", name_field="nama", code_field="kode")], commit=True
    )
    assert summary.layers[0].repaired == 1
    area = AdminArea.objects.get(generation_id=summary.generation_id, code="99.01")
    assert area.geom.valid and not area.geom.hasz
    assert area.parent is not None and area.parent.level == "kota"  # parent found by location


def test_missing_field_is_a_clear_error(city):
    with translation.override("en"), pytest.raises(BoundaryImportError, match="field 'nama' not found"):
        boundaries_import(layers=[LayerSpec(path=KEC, level="kecamatan", name_field="nama")], commit=True)
