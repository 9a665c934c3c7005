"""Replication: a made-up second city in another UTM zone (49S, near Semarang's longitude),
set up from its own files with `setup_city` in its OWN fresh database, routes complaints by
its own boundaries and rules. Nothing of Tangerang is involved."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
pytestmark = pytest.mark.slow


def box(x1, y1, x2, y2):
    return {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}


def write_geojson(path: Path, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}))


def write_csv(path: Path, header: list[str], rows: list[list[str]]):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _conn_params():
    s = connection.settings_dict
    return {"user": s["USER"], "password": s["PASSWORD"], "host": s["HOST"] or "127.0.0.1", "port": s["PORT"] or 5432}


@pytest.fixture
def own_database():
    """A fresh database from template1 (PostGIS), dropped afterwards."""
    name = f"laksa_int_city_{uuid.uuid4().hex[:8]}"
    p = _conn_params()
    admin = psycopg2.connect(dbname="template1", **p)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE template1')
    url = f"postgis://{p['user']}:{p['password']}@{p['host']}:{p['port']}/{name}"
    try:
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def manage(url, *args, stdin: str | None = None) -> str:
    env = {**os.environ, "DATABASE_URL": url, "LAKSA_ENV": "local", "REDIS_URL": ""}
    env.pop("LAKSA_TEST_DB", None)
    proc = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"manage.py {args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def setup_and_run(url, setup_args: list[str], script: str) -> tuple[str, dict]:
    """One process (startup is the slow part): migrate, setup_city with the given args, then the script."""
    prelude = (
        "import io, json\nfrom django.core.management import call_command\n"
        "call_command('migrate', verbosity=0, skip_checks=True)\nout_ = io.StringIO()\n"
        f"call_command('setup_city', *{setup_args!r}, stdout=out_, skip_checks=True)\n"
        "print('SETUP' + json.dumps(out_.getvalue()))\n"
    )
    stdout = manage(url, "shell", "-c", prelude + script)
    setup_out = json.loads(stdout.split("SETUP", 1)[1].splitlines()[0])
    return setup_out, json.loads(stdout.split("RESULT", 1)[1])


ROUTE_SCRIPT = r"""
import json
from boundaries.selectors import city_metric_srid, service_area_name
from boundaries.models import AdminArea
from django.contrib.gis.geos import Point
from fieldops.models import Category
from fieldops.services import FieldError, complaint_create
out = {"srid": city_metric_srid(), "city": service_area_name(), "complaints": {}, "parents": {}}
for a in AdminArea.objects.filter(level="kelurahan").select_related("parent"):
    out["parents"][a.code] = a.parent.code if a.parent else None
for label, (cat, lon, lat) in {
    "roads_west": ("roads", 110.405, -7.010), "service_east": ("public-service", 110.43, -7.01),
    "service_west": ("public-service", 110.415, -7.015), "garbage_east": ("garbage", 110.435, -7.005),
}.items():
    c = complaint_create(category=Category.objects.get(slug=cat), location=Point(lon, lat, srid=4326),
                         description="uji " + label).complaint
    out["complaints"][label] = [c.kecamatan.code, c.kelurahan.code, c.agency.code]
try:
    complaint_create(category=Category.objects.get(slug="roads"), location=Point(106.64, -6.178, srid=4326),
                     description="di Tangerang")
except FieldError as exc:
    out["outside"] = str(exc.message)
print("RESULT" + json.dumps(out))
"""


def test_second_city_in_zone_49s_is_set_up_from_files_in_its_own_database(tmp_path, own_database):
    # Two kecamatan side by side near lon 110.4, lat -7.0 (UTM 49S); three kelurahan.
    write_geojson(tmp_path / "kecamatan.geojson", [
        ({"nama": "Barat", "kode": "99.01.01"}, box(110.40, -7.02, 110.42, -7.00)),
        ({"nama": "Timur", "kode": "99.01.02"}, box(110.42, -7.02, 110.44, -7.00)),
    ])
    write_geojson(tmp_path / "kelurahan.geojson", [
        ({"nama": "Barat Satu", "kode": "99.01.01.1001"}, box(110.40, -7.02, 110.41, -7.00)),
        ({"nama": "Barat Dua", "kode": "99.01.01.1002"}, box(110.41, -7.02, 110.42, -7.00)),
        ({"nama": "Timur Satu", "kode": "99.01.02.1001"}, box(110.42, -7.02, 110.44, -7.00)),
    ])
    # Kelurahan as a GeoPackage: any OGR format works.
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(tmp_path / "kelurahan.gpkg"), str(tmp_path / "kelurahan.geojson")],
                   check=True, capture_output=True, timeout=60)
    write_csv(tmp_path / "agencies.csv", ["code", "name", "short_name", "kind", "area_code"], [
        ["cc-contoh", "Command Center Kota Contoh", "CC", "command_center", ""],
        ["dpu-contoh", "Dinas PU Kota Contoh", "DPU", "opd", ""],
        ["kec-timur", "Kantor Kecamatan Timur", "Kec. Timur", "kecamatan", "99.01.02"],
    ])
    write_csv(tmp_path / "categories.csv", ["slug", "name_id", "name_en", "default_agency", "sla_hours"], [
        ["roads", "Jalan rusak", "Damaged roads", "dpu-contoh", "48"],
        ["public-service", "Pelayanan publik", "Public service", "cc-contoh", "72"],
        ["garbage", "Sampah", "Garbage", "", "24"],
    ])
    write_csv(tmp_path / "routing.csv", ["category_slug", "area_code", "agency", "priority"], [
        ["public-service", "99.01.02", "kec-timur", "10"],
    ])

    out, result = setup_and_run(own_database, [
        "--name", "Kota Contoh", "--kecamatan", str(tmp_path / "kecamatan.geojson"),
        "--kelurahan", str(tmp_path / "kelurahan.gpkg"), "--name-field", "nama", "--code-field", "kode",
        "--agencies", str(tmp_path / "agencies.csv"), "--categories", str(tmp_path / "categories.csv"),
        "--routing", str(tmp_path / "routing.csv")], ROUTE_SCRIPT)
    assert "EPSG:32749" in out and "kelurahan: 3 features read, 3 imported" in out

    assert result["srid"] == 32749 and result["city"] == "Kota Contoh"
    # Parents found by location (no --parent-code-field).
    assert result["parents"] == {"99.01.01.1001": "99.01.01", "99.01.01.1002": "99.01.01", "99.01.02.1001": "99.01.02"}
    c = result["complaints"]
    assert c["roads_west"] == ["99.01.01", "99.01.01.1001", "dpu-contoh"]  # category default
    assert c["service_east"] == ["99.01.02", "99.01.02.1001", "kec-timur"]  # its own routing rule
    assert c["service_west"] == ["99.01.01", "99.01.01.1002", "cc-contoh"]  # no rule in Barat
    assert c["garbage_east"][2] == "cc-contoh"  # no default agency: the command center
    assert "Kota Contoh" in result["outside"]  # a Tangerang point is outside this city


def test_setup_city_without_csvs_gives_generic_categories_and_a_command_center(tmp_path, own_database):
    write_geojson(tmp_path / "kec.geojson", [({"name": "Satu"}, box(110.40, -7.02, 110.42, -7.00)),
                                             ({"name": "Dua"}, box(110.42, -7.02, 110.44, -7.00))])
    outline = box(110.39, -7.03, 110.45, -6.99)
    write_geojson(tmp_path / "kota.geojson", [({"name": "ignored"}, outline)])
    script = r"""
import json
from boundaries.models import Agency, AdminArea
from django.contrib.gis.geos import Point
from fieldops.models import Category
from fieldops.services import complaint_create
kota = AdminArea.objects.get(level="kota")
# A point in the outline but in no kecamatan is still inside the service area.
c = complaint_create(category=Category.objects.get(slug="garbage"), location=Point(110.445, -7.025, srid=4326),
                     description="tepi kota").complaint
print("RESULT" + json.dumps({"cats": sorted(Category.objects.values_list("slug", flat=True)),
    "agencies": list(Agency.objects.values_list("kind", flat=True)), "kota": kota.name,
    "kota_area": round(kota.area_km2), "agency": c.agency.kind}))
"""
    _, r = setup_and_run(own_database, ["--name", "Kabupaten Baru", "--kecamatan", str(tmp_path / "kec.geojson"),
                                        "--kota", str(tmp_path / "kota.geojson")], script)
    assert {"roads", "garbage", "drainage", "other"} <= set(r["cats"])
    assert r["agencies"] == ["command_center"] and r["agency"] == "command_center"
    assert r["kota"] == "Kabupaten Baru" and r["kota_area"] > 25  # the --kota outline, not the kecamatan union
