"""Video proof with real clips made by ffmpeg: the place from the container's tags, the 100 m rule,
a public copy with no metadata, a poster, the original for staff only, and each kind of bad input.

The public copy and poster are made by the media job (fieldops.tasks.media_process), deferred with
the upload: these tests run it as a worker would (`media_jobs_run`), after seeing the upload
answered `processing`."""

from __future__ import annotations

import io
import json
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from fieldops.models import Photo
from tests.conftest import CITY_HALL
from tests.fieldops.wf_helpers import act, as_user, complaint_in, gps_jpeg, offset
from tests.support.worker import MEDIA_TASK, media_jobs_run

pytestmark = pytest.mark.django_db


def iso6709(lonlat) -> str:
    lon, lat = lonlat
    return f"{lat:+08.4f}{lon:+09.4f}/"


def make_clip(path: Path, *, lonlat=None, size="320x240", seconds=2, vcodec="libx264", fmt="mp4",
              creation_time="2030-01-01T00:00:00Z", extra=()) -> Path:
    """A real clip (testsrc + a sine tone); location as ISO 6709 in the `location` tag (the ©xyz
    atom of MP4, as Android writes it) when lonlat is given."""
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={size}:rate=15",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    if fmt == "webm":
        args += ["-c:v", "libvpx", "-deadline", "realtime", "-b:v", "200k", "-c:a", "libopus"]
    else:
        args += ["-c:v", vcodec, "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    if lonlat is not None:
        args += ["-metadata", f"location={iso6709(lonlat)}"]
    if creation_time:
        args += ["-metadata", f"creation_time={creation_time}"]
    args += ["-metadata", "title=Rumah Pak Budi", "-metadata", "artist=Budi Santoso", *extra]
    if fmt == "mp4":
        args += ["-movflags", "use_metadata_tags"]
    subprocess.run([*args, "-shortest", str(path)], check=True, timeout=60)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    near = offset(CITY_HALL, east_m=30)
    return {
        "near": make_clip(d / "near.mp4", lonlat=near),
        "far": make_clip(d / "far.mp4", lonlat=offset(CITY_HALL, north_m=4000)),
        "plain": make_clip(d / "plain.mp4", creation_time=None),
        "webm": make_clip(d / "near.webm", lonlat=near, fmt="webm"),
        "big": make_clip(d / "big.mp4", lonlat=near, size="1280x720", seconds=1),
        "long": make_clip(d / "long.mp4", lonlat=near, size="64x48", seconds=4),
        "huge": make_clip(d / "huge.mp4", lonlat=near, size="4096x2304", seconds=1),
        "mpeg4": make_clip(d / "mpeg4.mp4", lonlat=near, vcodec="mpeg4"),
    }


def send(api, code, kind, path_or_bytes, *, field="image", name="clip.mp4", **fields):
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    body = {"kind": kind, field: SimpleUploadedFile(name, data, content_type="video/mp4"), **fields}
    return api.post(f"/api/v1/complaints/{code}/photos/", data=body, format="multipart")


def ffprobe_json(path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-show_chapters", "-of", "json",
                          str(path)], capture_output=True, check=True, timeout=30)
    return json.loads(out.stdout)


def media_jobs(**filters):
    from procrastinate.contrib.django.models import ProcrastinateJob

    return ProcrastinateJob.objects.filter(task_name=MEDIA_TASK, **filters)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_near_clip_is_accepted_and_its_public_copy_carries_no_metadata(city, api, clips, settings):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    # The browser says 900 m away: the container's own location wins.
    far_browser = offset(CITY_HALL, north_m=900)
    r = send(api, c.tracking_code, "after", clips["near"], name="VID_2030.MOV",
             lon=far_browser[0], lat=far_browser[1])
    assert r.status_code == 201, r.content
    d = r.json()
    # Answered before the public copy exists: the job was deferred with the upload.
    assert d["media_type"] == "video" and d["state"] == "processing" and d["url"] is None
    assert media_jobs(args={"photo_id": d["id"]}, queue_name="media", status="todo").count() == 1
    assert d["location_source"] == "metadata" and 25 <= d["distance_m"] <= 35
    assert 1.9 <= d["duration_s"] <= 2.1
    assert media_jobs_run() == ["ready"]
    photo = Photo.objects.get(pk=d["id"])
    assert photo.state == "ready"
    d["url"] = api.get(f"/api/v1/complaints/{c.tracking_code}/").json()["photos"][0]["url"]
    assert photo.taken_at_source == "metadata" and photo.taken_at.year == 2030
    assert photo.public.name.endswith(".mp4") and photo.thumb.name.endswith(".jpg")
    info = ffprobe_json(photo.public.path)
    # Strict: no location, no time, no title/artist; only the MP4 brand fields remain in the
    # container, and only the stock handler/vendor/language fields on the two streams.
    assert set(info["format"].get("tags", {})) <= {"major_brand", "minor_version", "compatible_brands"}
    text = json.dumps([info["format"].get("tags", {})] + [s.get("tags", {}) for s in info["streams"]])
    for personal in ("location", "creation_time", "Budi", "+06.1", "-06.1", "106.6", "encoder"):
        assert personal not in text, personal
    assert [s["codec_name"] for s in info["streams"]] == ["h264", "aac"]
    assert info["chapters"] == []
    for s in info["streams"]:
        assert set(s.get("tags", {})) <= {"language", "handler_name", "vendor_id"}
    assert photo.public.open("rb").read(12)[4:8] == b"ftyp"
    # The poster: a JPEG without EXIF.
    poster = photo.thumb.open("rb").read()
    assert poster[:2] == b"\xff\xd8" and b"Exif" not in poster
    # Public answers never name the original; staff get it through their view.
    api.force_authenticate(user=None)
    for page in (f"/api/v1/complaints/{c.tracking_code}/", f"/lacak/{c.tracking_code}/", "/transparansi/"):
        answer = api.get(page)
        assert answer.status_code == 200, page
        assert photo.original.name.rsplit("/", 1)[-1] not in answer.content.decode(), page
        assert "/original/" not in answer.content.decode(), page
    events = api.get(f"/api/v1/complaints/{c.tracking_code}/events/", HTTP_ACCEPT_LANGUAGE="id").json()
    events = events.get("results", events.get("events", events)) if isinstance(events, dict) else events
    assert "Video ditambahkan" in [e["type_label"] for e in events]  # in the language asked for
    assert "Video ditambahkan" in api.get(f"/lacak/{c.tracking_code}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert d["original_url"].endswith(f"/photos/{photo.pk}/original/")
    as_user(api, "crew_member")
    original = api.get(d["original_url"])
    assert original.status_code == 200 and b"".join(original.streaming_content) == clips["near"].read_bytes()
    # The public copy is served by its stored name at /media/.
    served = api.get(d["url"])
    assert served.status_code == 200 and served["Content-Type"] == "video/mp4"
    whole = b"".join(served.streaming_content)
    # Players ask for byte ranges (Safari always): one range is answered with 206.
    part = api.get(d["url"], HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert b"".join(part.streaming_content) == whole[100:200]
    tail = api.get(d["url"], HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == whole[-10:]
    assert api.get(d["url"], HTTP_RANGE=f"bytes={len(whole)}-").status_code == 416


def test_far_clip_is_refused_with_its_distance_and_nothing_is_stored(city, api, clips, settings):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    r = send(api, c.tracking_code, "after", clips["far"], field="file")
    assert r.status_code == 400, r.content
    body = r.json()
    assert 3950 <= body["distance_m"] <= 4050
    assert f"{round(body['distance_m'])} m from the complaint" in body["image"][0]
    assert not Photo.objects.filter(complaint=c).exists()
    assert stored_files(settings) == []


def test_the_refusals_of_a_video_say_video_in_either_language(city, api, clips):
    from django.utils import translation

    from fieldops.errors import TransitionError
    from fieldops.proof import photo_add

    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    url = f"/api/v1/complaints/{c.tracking_code}/photos/"
    for lang, start in (("en", "The after video was taken "), ("id", "Video ")):
        body = {"kind": "after", "image": SimpleUploadedFile("c.mp4", clips["far"].read_bytes())}
        r = api.post(url, body, format="multipart", HTTP_ACCEPT_LANGUAGE=lang)
        assert r.status_code == 400 and r.json()["image"][0].startswith(start), r.json()
        assert "photo" not in r.json()["image"][0].lower() and "foto" not in r.json()["image"][0].lower()
    plain = {"kind": "after", "image": SimpleUploadedFile("c.mp4", clips["plain"].read_bytes())}
    r = api.post(url, plain, format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["image"] == ["The after video has no location (none in the file and no browser coordinates)."]
    done, _ = complaint_in("closed")
    with pytest.raises(TransitionError) as refused, translation.override("en"):
        photo_add(complaint=done, kind="report", image=io.BytesIO(clips["near"].read_bytes()))
    with translation.override("en"):
        assert str(refused.value.message).startswith(f"Videos cannot be added to complaint {done.tracking_code}")


def test_without_tags_the_browser_position_counts_and_webm_is_accepted(city, api, clips):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    near = offset(CITY_HALL, north_m=10)
    r = send(api, c.tracking_code, "before", clips["plain"], lon=near[0], lat=near[1])
    assert r.status_code == 201, r.content
    assert r.json()["location_source"] == "browser" and r.json()["taken_at"] is None
    r = send(api, c.tracking_code, "after", clips["webm"], name="clip.mp4")
    assert r.status_code == 201, r.content
    d = r.json()
    assert d["location_source"] == "metadata" and d["state"] == "processing"
    assert media_jobs_run() == ["ready", "ready"]
    photo = Photo.objects.get(pk=d["id"])
    assert photo.original.name.endswith(".webm") and photo.content_type == "video/webm"
    assert [s["codec_name"] for s in ffprobe_json(photo.public.path)["streams"]] == ["h264", "aac"]
    # A before and an after video: the ticket can be resolved.
    assert act(api, c.tracking_code, "resolve").status_code == 200


def test_big_clip_is_transcoded_to_at_most_720p(city, api, clips):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    r = send(api, c.tracking_code, "report", clips["big"])
    assert r.status_code == 201, r.content
    media_jobs_run()
    photo = Photo.objects.get(pk=r.json()["id"])
    video = ffprobe_json(photo.public.path)["streams"][0]
    assert video["height"] <= 720 and video["codec_name"] == "h264"


def test_resolve_waits_for_a_processing_video(city, api, clips):
    from fieldops.models import MediaState
    from fieldops.proof import media_process

    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    near = offset(CITY_HALL, north_m=10)
    assert send(api, c.tracking_code, "before", gps_jpeg(near), name="a.jpg").status_code == 201
    r = send(api, c.tracking_code, "after", clips["near"])
    assert r.status_code == 201 and r.json()["state"] == "processing"
    # The before photo counts while its copy is made (its place was read at upload); the video not.
    resolve = f"/api/v1/complaints/{c.tracking_code}/resolve/"
    refused = api.post(resolve, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and refused.json()["after"] == ["The after video is still being processed."]
    refused = api.post(resolve, {}, format="json", HTTP_ACCEPT_LANGUAGE="id")
    assert "masih diproses" in refused.json()["after"][0]
    # The public answer has no copy yet, and says nothing of its original.
    api.force_authenticate(user=None)
    detail = api.get(f"/api/v1/complaints/{c.tracking_code}/").json()
    assert [(p["media_type"], p["state"], p["url"]) for p in detail["photos"] if p["kind"] == "after"] == [
        ("video", "processing", None)]
    as_user(api, "crew_member")
    # The worker runs the job: the video is ready, the page plays it.
    assert sorted(media_jobs_run()) == ["ready", "ready"]
    assert Photo.objects.get(pk=r.json()["id"]).state == MediaState.READY
    # media_process is idempotent: a ready video is left as it is.
    before = Photo.objects.get(pk=r.json()["id"])
    again = media_process(before.pk)
    assert (again.public.name, again.thumb.name) == (before.public.name, before.thumb.name)
    assert act(api, c.tracking_code, "resolve").status_code == 200
    page = api.get(f"/lacak/{c.tracking_code}/").content.decode()
    assert 'data-media-state="processing"' not in page and 'video controls' in page and 'data-kind="after"' in page


def test_the_job_is_deferred_with_the_upload_and_process_videos_reruns_by_hand(city, api, clips):
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    r = send(api, c.tracking_code, "report", clips["near"])
    assert r.status_code == 201
    photo_id = r.json()["id"]
    # The tracking page says the video is being processed, in the reader's language.
    api.force_authenticate(user=None)
    page = api.get(f"/lacak/{c.tracking_code}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert 'data-media-state="processing"' in page and "Video sedang diproses" in page and "<video" not in page
    as_user(api, "crew_member")
    # The command finishes what is still processing (e.g. no worker ran yet) ...
    out = io.StringIO()
    call_command("process_videos", stdout=out)
    assert "processed 1 photo(s)/video(s), 0 failed" in out.getvalue()
    ready = Photo.objects.get(pk=photo_id)
    assert ready.state == "ready"
    # ... and the job, run afterwards, has nothing left to do: the same files stay.
    assert media_jobs_run() == ["ready"]
    again = Photo.objects.get(pk=photo_id)
    assert (again.public.name, again.thumb.name) == (ready.public.name, ready.thumb.name)
    # A refused upload defers nothing.
    assert send(api, c.tracking_code, "after", clips["far"]).status_code == 400
    assert not media_jobs(status="todo").exists()


def test_a_stuck_ffmpeg_in_the_job_is_killed_retried_and_failed_on_the_last_attempt(city, api, clips, settings,
                                                                                    tmp_path):
    import subprocess as sp

    from django.db import connection

    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    r = send(api, c.tracking_code, "report", clips["near"])
    assert r.status_code == 201
    # A real process that hangs where ffmpeg would convert: the time limit kills it.
    marker = "37.4242"
    slow = tmp_path / "slow-ffmpeg"
    slow.write_text(f"#!/bin/sh\nexec sleep {marker}\n")
    slow.chmod(0o755)
    settings.FFMPEG_BINARY = str(slow)
    settings.VIDEO_PROCESS_TIMEOUT_S = 0.5
    started = time.monotonic()
    with pytest.raises(Exception, match="converted"):
        media_jobs_run()
    assert time.monotonic() - started < 10
    assert sp.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True).stdout == b""  # killed
    # Tried again later (backoff): still processing, the job waits.
    photo = Photo.objects.get(pk=r.json()["id"])
    assert photo.state == "processing" and media_jobs(status="todo").get().attempts == 1
    # The last attempt gives up: the video is failed (the pages stop waiting), the job is done.
    with connection.cursor() as cur:
        cur.execute("UPDATE procrastinate_jobs SET attempts = %s", [settings.JOBS_MAX_ATTEMPTS - 1])
    assert media_jobs_run() == ["failed"]
    photo.refresh_from_db()
    assert photo.state == "failed" and media_jobs(status="succeeded").count() == 1
    detail = api.get(f"/api/v1/complaints/{c.tracking_code}/").json()
    assert [(p["state"], p["url"]) for p in detail["photos"]] == [("failed", None)]


@pytest.mark.parametrize("case, expected", [
    ("text", "not a photo"),
    ("truncated", "truncated"),
    ("polyglot", "extra data"),
    ("long", "the limit is 3 s"),
    ("large", "larger than"),
    ("huge", "the limit is 4K"),
    ("codec", "uses mpeg4"),
    ("fake_header", "not an MP4"),
])
def test_bad_videos_get_a_400_naming_the_problem_and_nothing_is_stored(city, api, clips, settings, case, expected):
    settings.VIDEO_MAX_SECONDS = 3
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    near = clips["near"].read_bytes()
    content = {
        "text": b"this is text named .mp4, not a video",
        "truncated": near[: len(near) // 2],
        # A video with a ZIP archive glued on: both a video and another file.
        "polyglot": near + b"PK\x03\x04" + b"\x00" * 26 + b"secret.html<script>alert(1)</script>",
        "long": clips["long"],
        "large": clips["near"],
        "huge": clips["huge"],
        "codec": clips["mpeg4"],
        "fake_header": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free" * 4,
    }[case]
    if case == "large":
        settings.VIDEO_MAX_BYTES = 10_000
    r = send(api, c.tracking_code, "after", content)
    assert r.status_code == 400, r.content
    assert expected in r.json()["image"][0], r.json()
    assert not Photo.objects.filter(complaint=c).exists()
    assert stored_files(settings) == []
    assert not media_jobs().exists()


def test_a_stuck_ffprobe_is_killed_and_answered_with_a_400(city, api, clips, settings, tmp_path):
    # A real process that hangs where ffprobe would answer: the time limit kills it.
    slow = tmp_path / "slow-ffprobe"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    settings.FFPROBE_BINARY = str(slow)
    settings.VIDEO_PROBE_TIMEOUT_S = 0.5
    c, _ = complaint_in("in_progress")
    as_user(api, "crew_member")
    started = time.monotonic()
    r = send(api, c.tracking_code, "after", clips["near"])
    assert time.monotonic() - started < 10
    assert r.status_code == 400 and "timed out" in r.json()["image"][0]
    assert not Photo.objects.filter(complaint=c).exists()
