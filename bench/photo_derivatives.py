#!/usr/bin/env python
"""Photo derivatives as a job (issue 16 item 6): what the request of a report with a phone photo
costs when it makes the public copy and the thumbnail itself, and when a job makes them.

One phone-sized photo (4000x3000 JPEG, about 5 MB, made here with ffmpeg's testsrc2 and noise,
with EXIF GPS inside the city) is posted through the whole app (Django test client, DEBUG off):

- create: `POST /api/v1/complaints/` multipart with the photo (the citizen's report form);
- add: `POST /api/v1/complaints/{code}/photos/` (kind report, with the reporter's token).

Each in two ways, interleaved, medians over R requests: **deferred** (as the app runs: the request
checks and decodes the photo, stores the original and defers `fieldops.tasks.media_process`) and
**sync** (the same request with the job's work done inside it, right after the commit, instead of
deferred: what the request cost when it made the derivatives itself). The job's own time (read the
original back, turn, shrink, encode twice, store, mark ready) is reported too. It runs in its own
database (`test_laksa_bench_photos`, created and dropped).

    .venv/bin/python bench/photo_derivatives.py [--rounds 15] [--json PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import add_json_argument, format_table, make_row, median, write_json  # noqa: E402

BENCH = "photo_derivatives"


def phone_photo(work: Path, lonlat: tuple[float, float]) -> bytes:
    """A 12 MP JPEG with noise (so it compresses like a photo, not like a flat test card) and EXIF
    GPS at lonlat, as a phone writes it."""
    from PIL import Image

    raw = work / "raw.jpg"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=4000x3000:rate=1,noise=alls=20:allf=t", "-frames:v", "1", "-q:v", "3", str(raw)],
                   check=True, timeout=120)
    img = Image.open(raw)
    exif = Image.Exif()
    lon, lat = lonlat

    def dms(v):
        v = abs(v)
        d = int(v)
        m = int((v - d) * 60)
        return (d, m, round(((v - d) * 60 - m) * 60, 4))

    exif[0x8825] = {1: "S" if lat < 0 else "N", 2: dms(lat), 3: "W" if lon < 0 else "E", 4: dms(lon)}
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90, exif=exif)
    return out.getvalue()


def city_point() -> tuple[float, float]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM boundaries_adminarea "
                    "WHERE level = 'kelurahan' ORDER BY id LIMIT 1) s")
        return tuple(cur.fetchone())


def run(rounds: int) -> list[dict]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from django.test import Client
    from django.test.utils import override_settings

    from fieldops import proof
    from fieldops.models import Category, MediaState, Photo

    deferred_defer = proof.media_defer
    job_times: list[float] = []

    def sync_defer(photo_id: int) -> None:
        # The job's work in the request itself, after its commit (the old synchronous path).
        transaction.on_commit(lambda: proof.media_process(photo_id))

    lon, lat = city_point()
    work = Path(tempfile.mkdtemp(prefix="laksa-bench-photos-"))
    media = tempfile.mkdtemp(prefix="laksa-bench-media-")
    try:
        photo = phone_photo(work, (lon, lat))
        print(f"photo: 4000x3000 JPEG, {len(photo) / 1e6:.1f} MB, EXIF GPS {lat:.5f},{lon:.5f}")
        category = Category.objects.filter(active=True, is_private=False).order_by("id").first()
        client = Client()
        times = {("create", "deferred"): [], ("create", "sync"): [], ("add", "deferred"): [], ("add", "sync"): []}
        with override_settings(MEDIA_ROOT=media, ALLOWED_HOSTS=["*"], DEBUG=False):
            created = None
            for i in range(rounds + 1):  # the first round warms up (imports, first queries) and is dropped
                for way in ("deferred", "sync") if i % 2 else ("sync", "deferred"):
                    proof.media_defer = deferred_defer if way == "deferred" else sync_defer
                    try:
                        started = time.perf_counter()
                        r = client.post("/api/v1/complaints/", {
                            "category": category.slug, "description": f"Jalan berlubang, bench {i}",
                            "location": json.dumps({"lat": lat, "lon": lon}),
                            "photo": SimpleUploadedFile("IMG_0001.jpg", photo, content_type="image/jpeg")},
                            HTTP_X_FORWARDED_FOR=f"10.9.{i % 250}.{1 if way == 'sync' else 2}")
                        elapsed = time.perf_counter() - started
                        assert r.status_code == 201, r.content
                        created = r.json()
                        started = time.perf_counter()
                        r = client.post(f"/api/v1/complaints/{created['tracking_code']}/photos/", {
                            "kind": "report", "reporter_token": created["reporter_token"],
                            "image": SimpleUploadedFile("IMG_0002.jpg", photo, content_type="image/jpeg")})
                        elapsed_add = time.perf_counter() - started
                        assert r.status_code == 201, r.content
                    finally:
                        proof.media_defer = deferred_defer
                    states = set(Photo.objects.filter(complaint__tracking_code=created["tracking_code"])
                                 .values_list("state", flat=True))
                    assert states == {MediaState.READY if way == "sync" else MediaState.PROCESSING}, states
                    if i:
                        times[("create", way)].append(elapsed)
                        times[("add", way)].append(elapsed_add)
                # The job as a worker runs it, on the photos left processing by the deferred requests.
                for pk in Photo.objects.filter(state=MediaState.PROCESSING).values_list("id", flat=True):
                    started = time.perf_counter()
                    assert proof.media_process(pk).state == MediaState.READY
                    if i:
                        job_times.append(time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)
    ms = {k: median(v) * 1000 for k, v in times.items()}
    job_ms = median(job_times) * 1000
    for what in ("create", "add"):
        print(f"{what}: deferred {ms[(what, 'deferred')]:.0f} ms, sync {ms[(what, 'sync')]:.0f} ms "
              f"({ms[(what, 'deferred')] / ms[(what, 'sync')]:.0%})")
    print(f"the derivatives job: {job_ms:.0f} ms per photo")
    return [
        make_row(BENCH, "create with 12 MP photo ms (deferred vs sync derivatives)", ms[("create", "deferred")],
                 ms[("create", "sync")], "ratio <= 0.8"),
        make_row(BENCH, "add 12 MP photo ms (deferred vs sync derivatives)", ms[("add", "deferred")],
                 ms[("add", "sync")], "ratio <= 0.8"),
        make_row(BENCH, "derivatives job ms per 12 MP photo", job_ms),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="requests of each kind and way (median)")
    add_json_argument(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
    os.environ.setdefault("LAKSA_ENV", "local")
    os.environ.setdefault("COMPLAINT_THROTTLE_RATE", "100000/min")
    os.environ.setdefault("COMPLAINT_DEVICE_THROTTLE_RATE", "100000/min")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = "test_laksa_bench_photos"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        call_command("load_city_fixtures", verbosity=0, stdout=io.StringIO())
        rows = run(args.rounds)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(format_table(rows))
    if args.json:
        write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
