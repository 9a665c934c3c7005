#!/usr/bin/env python
"""Video proof (issue 17): what processing a phone clip costs, and what one resumable upload
piece costs per request.

1. A 30 s 1080p H.264/AAC clip (made here with ffmpeg's testsrc) through
   `fieldops.videos.make_public`, which transcodes it to 720p, against the raw remux of the same
   clip (`ffmpeg -c copy`: the least any processing costs). A 30 s 720p clip goes through
   `make_public` too: that one is remuxed.
2. `PATCH /api/v1/uploads/{id}/` with a 1 MB piece (what the crew page sends) through the whole
   app (Django test client, session auth, row lock, fsync), against writing the same bytes to a
   file with fsync. It runs in its own database (`test_laksa_bench_video`, created and dropped).

    .venv/bin/python bench/video.py [--json PATH] [--pieces 20]
"""

from __future__ import annotations

import argparse
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

PIECE = 1024 * 1024


def make_clip(path: Path, size: str, seconds: int = 30) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=duration={seconds}:size={size}:rate=30", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset", "veryfast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-metadata", "location=+06.1780+106.6400/",
                    "-movflags", "use_metadata_tags", "-shortest", str(path)], check=True, timeout=600)
    return path


def timed(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return median(times)


def bench_processing(work: Path, rounds: int) -> list[dict]:
    from fieldops.videos import make_public

    full_hd = make_clip(work / "1080p.mp4", "1920x1080")
    hd = make_clip(work / "720p.mp4", "1280x720")
    raw = timed(lambda: subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(full_hd), "-c", "copy",
                                        str(work / "copy.mp4")], check=True), rounds)
    transcode = timed(lambda: make_public(str(full_hd)), rounds)
    remux = timed(lambda: make_public(str(hd)), rounds)
    print(f"30 s 1080p: make_public (transcode to 720p) {transcode:.2f} s; raw ffmpeg -c copy {raw:.2f} s")
    print(f"30 s 720p: make_public (remux) {remux:.2f} s")
    return [
        make_row("video", "30s 1080p transcode s (vs raw remux)", transcode, raw),
        make_row("video", "30s 720p remux s (vs raw remux of 1080p)", remux, raw),
        make_row("video", "30s 1080p transcode s", transcode, None, "value <= 120"),
    ]


def bench_piece(n: int) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.test.utils import override_settings

    from fieldops.permissions import GROUP_ROLES

    data = os.urandom(PIECE * n)
    media = tempfile.mkdtemp(prefix="laksa-bench-media-")
    try:
        with override_settings(MEDIA_ROOT=media, ALLOWED_HOSTS=["*"]):
            user = get_user_model().objects.create_user("bench-crew", password="x")
            user.groups.add(Group.objects.get_or_create(name=next(iter(GROUP_ROLES)))[0])
            client = Client()
            client.force_login(user)
            tus = {"HTTP_TUS_RESUMABLE": "1.0.0"}
            r = client.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH=str(len(data)), **tus)
            assert r.status_code == 201, r.content
            location = r["Location"]
            times = []
            for i in range(n):
                started = time.perf_counter()
                r = client.generic("PATCH", location, data[i * PIECE:(i + 1) * PIECE],
                                   content_type="application/offset+octet-stream",
                                   HTTP_UPLOAD_OFFSET=str(i * PIECE), **tus)
                times.append(time.perf_counter() - started)
                assert r.status_code == 204, r.content
        raw_times = []
        with open(os.path.join(media, "raw.bin"), "wb") as f:
            for i in range(n):
                started = time.perf_counter()
                f.write(data[i * PIECE:(i + 1) * PIECE])
                f.flush()
                os.fsync(f.fileno())
                raw_times.append(time.perf_counter() - started)
    finally:
        shutil.rmtree(media, ignore_errors=True)
    value, raw = median(times) * 1000, median(raw_times) * 1000
    print(f"PATCH of a 1 MB piece: median {value:.1f} ms; raw write+fsync {raw:.1f} ms")
    return [make_row("video", "tus PATCH 1 MB piece ms (vs write+fsync)", value, raw, "value <= 500")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each processing path (median)")
    parser.add_argument("--pieces", type=int, default=20, help="1 MB pieces sent")
    add_json_argument(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "laksa_gis.settings")
    os.environ.setdefault("LAKSA_ENV", "local")
    import django

    django.setup()
    from django.db import connection

    work = Path(tempfile.mkdtemp(prefix="laksa-bench-video-"))
    rows = []
    try:
        rows += bench_processing(work, args.rounds)
        old_name = connection.settings_dict["NAME"]
        connection.settings_dict.setdefault("TEST", {})["NAME"] = "test_laksa_bench_video"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            rows += bench_piece(args.pieces)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(format_table(rows))
    if args.json:
        write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
