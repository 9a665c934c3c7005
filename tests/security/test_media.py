"""Photo originals and public copies: the attacks of issue 13 on /media/ and on photo metadata.

The penetration test fetched a reporter's original photo (EXIF GPS, phone make) with
`curl --path-as-is http://127.0.0.1:8000/media/public/../private/originals/<yyyy>/<mm>/<stem>.jpg`,
the stem taken from the public copy's URL in the anonymous detail API; `%2e%2e/` and `..%2f`
worked too. It also found the reporter's text in the public copy's JPEG comment and PNG text
chunks. Here the same requests are made through Django's test client and through a real daphne
process (a raw socket, so no client normalises the path), and every answer is checked to be a
404 or the bytes of a stored public file, never the original.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import socket
import struct
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from fieldops.models import Complaint, Photo
from tests.conftest import CITY_HALL, login, make_complaint
from tests.realtime.conftest import _rt_test_database, committed_city  # noqa: F401  (fixtures)
from tests.support.worker import media_jobs_run, media_worker, wait_for

# What the reporter's phone or editor wrote into the file besides the pixels.
HOME = "home=Jl. Melati 5 lat -6.1857 lon 106.6312"
LEAKS = [HOME.encode(), b"Jl. Melati", b"-6.1857", b"106.6312", b"LaksaPhone", b"Pelapor Rahasia"]
# Pillow may report these about a clean JPEG: the JFIF header, nothing a person wrote.
HARMLESS_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}


def _dms(value: float):
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    return (float(d), float(m), round(((value - d) * 60 - m) * 60, 4))


def _exif(lonlat=(106.6312, -6.1857)) -> Image.Exif:
    exif = Image.Exif()
    lon, lat = lonlat
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = ("S" if lat < 0 else "N"), _dms(lat), "E", _dms(lon)
    exif[0x010F] = "LaksaPhone"  # Make
    exif[0x0110] = "LaksaPhone Pro 9"  # Model
    exif[0x010E] = HOME  # ImageDescription
    exif[0x013B] = "Pelapor Rahasia"  # Artist
    return exif


def _xmp() -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:description="{HOME}" dc:creator="Pelapor Rahasia"/>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def _icc_with_text() -> bytes:
    """A real sRGB profile with the reporter's text appended (the header's size covers it)."""
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc += HOME.encode()
    icc[0:4] = struct.pack(">I", len(icc))
    return bytes(icc)


def dirty_jpeg(size=(120, 90)) -> bytes:
    """A JPEG carrying the reporter's text in its comment, EXIF, XMP and ICC profile."""
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(
        out, format="JPEG", exif=_exif(), comment=HOME, xmp=_xmp(), icc_profile=_icc_with_text(), quality=90
    )
    data = out.getvalue()
    for marker in (HOME.encode(), b"LaksaPhone", b"Pelapor Rahasia"):
        assert marker in data  # the test file really carries it
    return data


def dirty_png(size=(120, 90)) -> bytes:
    """A PNG carrying the reporter's text in tEXt, iTXt (plain and XMP), zTXt, eXIf and iCCP."""
    info = PngInfo()
    info.add_text("Comment", HOME)  # tEXt
    info.add_itxt("Description", HOME, lang="id", tkey="Keterangan")  # iTXt
    info.add_text("Author", "Pelapor Rahasia " + HOME, zip=True)  # zTXt
    info.add_itxt("XML:com.adobe.xmp", _xmp().decode())
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="PNG", pnginfo=info, exif=_exif(),
                                                icc_profile=_icc_with_text())
    data = out.getvalue()
    assert HOME.encode() in data and b"zTXt" in data and b"iTXt" in data
    return data


def _post_report(client, photo: bytes, name: str = "foto.jpg", *, category: str = "roads") -> str:
    r = client.post("/api/v1/complaints/", data={
        "category": category,
        "description": "Jalan berlubang di depan rumah",
        "location": json.dumps({"type": "Point", "coordinates": list(CITY_HALL)}),
        "photo": SimpleUploadedFile(name, photo, content_type="image/jpeg"),
    }, format="multipart")
    assert r.status_code == 201, r.content
    assert media_jobs_run() == ["ready"]  # the worker's job: the public copy and thumbnail
    return r.json()["tracking_code"]


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _read(field) -> bytes:
    with field.open("rb") as f:
        return f.read()


@pytest.fixture
def reported(city, api):
    """An anonymous report with a phone photo (EXIF GPS), as the penetration test made it."""
    code = _post_report(api, dirty_jpeg())
    photo = Photo.objects.get(complaint__tracking_code=code)
    detail = Client().get(f"/api/v1/complaints/{code}/").json()
    return {"code": code, "photo": photo, "original": _read(photo.original),
            "public_url": urlsplit(detail["photos"][0]["url"]).path,
            "thumb_url": urlsplit(detail["photos"][0]["thumb_url"]).path}


def _traversal_paths(public_url: str, original_name: str) -> list[str]:
    """The finding's requests: the original's real name, and the name an attacker derives from
    the public copy's stem (the old naming), each behind `..`, `%2e%2e/` and `..%2f`."""
    stem = Path(public_url).stem
    yyyy, mm = public_url.split("/")[-3:-1]
    derived = f"private/originals/{yyyy}/{mm}/{stem}.jpg"
    paths = []
    for target in dict.fromkeys([original_name, derived]):
        paths += [
            f"/media/public/../{target}",
            f"/media/public/%2e%2e/{target}",
            f"/media/public/..%2f{target}",
            f"/media/public/photos/{yyyy}/{mm}/../../../../{target}",
            f"/media/{target}",
        ]
    return paths


def test_traversal_requests_of_the_finding_get_404_and_never_the_original(reported):
    client = Client()
    # The public copy and thumbnail the anonymous API links are served (so 404s below mean something).
    for url, field in ((reported["public_url"], reported["photo"].public),
                       (reported["thumb_url"], reported["photo"].thumb)):
        r = client.get(url)
        assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
        assert _body(r) == _read(field)
    for path in _traversal_paths(reported["public_url"], reported["photo"].original.name):
        r = client.get(path)
        body = _body(r)
        assert r.status_code == 404, (path, r.status_code)
        assert reported["original"] not in body and b"LaksaPhone" not in body, path


def test_original_is_not_served_by_the_public_view_whatever_its_name(reported):
    """A legacy row whose original was stored under the public prefix, even under its own
    public copy's name, is still never served by /media/."""
    photo = reported["photo"]
    Photo.objects.filter(pk=photo.pk).update(original=photo.public.name)
    assert Client().get(reported["public_url"]).status_code == 404
    # Only exact stored names are served: no prefix, suffix or case variant of one.
    name = photo.thumb.name
    for variant in (name.upper(), name + "/", name + "%00", name[:-1], "./" + name, name.replace("/", "//", 1)):
        assert Client().get("/media/" + variant).status_code == 404, variant
    assert Client().get("/media/" + name).status_code == 200


DOTS = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%c0%ae%c0%ae", "%e0%80%ae%e0%80%ae", "%252e%252e", "..%00",
        "%u002e%u002e", "....", ".. "]
SEPS = ["/", "%2f", "%2F", "\\", "%5c", "%5C", "//", "%c0%af", "%e0%80%af", "/./", "%252f"]


def _starts(public_name: str) -> list[str]:
    return ["public/", "public/photos/", "/".join(public_name.split("/")[:4]) + "/", "", "/", "public//",
            "public/./", "PUBLIC/"]


def _fuzz_paths(public_name: str, original_name: str) -> list[str]:
    """Encoded dots, double slashes, backslashes, overlong UTF-8, NUL bytes and absolute paths."""
    dots, seps, starts = DOTS, SEPS, _starts(public_name)
    targets = [original_name, "private/originals/", "etc/passwd", "laksa_gis/settings.py", "manage.py"]
    paths = set()
    # Every start, dot form and separator together; depth and target taken in turn.
    for i, (start, dot, sep) in enumerate(itertools.product(starts, dots, seps)):
        depth, target = (1, 2, 5)[i % 3], targets[i % len(targets)]
        paths.add(start + (dot + sep) * depth + target.replace("/", sep))
    # Absolute paths, NUL bytes, and near-misses of a real public name.
    paths |= {
        "/etc/passwd", "//etc/passwd", "%2fetc%2fpasswd", "C:\\Windows\\win.ini", "C:%5cWindows%5cwin.ini",
        "file:///etc/passwd", public_name + "%00", public_name + "%00.jpg", "public/%00", "%00",
        public_name.replace("public/", "public%00/"), public_name + "/..", public_name + "/../" + original_name,
        public_name.replace("/", "\\"), public_name.replace("/", "%5c"), "/" + public_name, "//" + public_name,
        original_name, original_name.replace("private/", "public/../private/"), "public", "public/",
        public_name.replace(".jpg", ".JPG"), public_name + "?download=1", public_name + "#x", "%2e", ".",
    }
    return sorted(paths)


def _stored_public_files() -> set[bytes]:
    files = set()
    for photo in Photo.objects.all():
        files.add(_read(photo.public))
        files.add(_read(photo.thumb))
    return files


def test_media_path_fuzz_never_returns_anything_outside_the_public_files(reported):
    client = Client()
    allowed = _stored_public_files()
    paths = _fuzz_paths(reported["photo"].public.name, reported["photo"].original.name)
    assert len(paths) > 1000
    served = 0
    for path in paths:
        served += _check_media_path(client, path, allowed, reported["original"]) == 200
    # Only the exact public name itself (with a query string or fragment the client drops).
    assert served == 2


def _fragments(public_name: str, original_name: str) -> list[str]:
    """Pieces of hostile paths: dots and separators in every encoding, and parts of real names."""
    return ["public/", "photos/", "thumbs/", "private/", "originals/", "/".join(public_name.split("/")[2:4]) + "/",
            Path(public_name).name, Path(original_name).name, original_name, public_name,
            ".", "..", "%2e", "%2E", "%252e", "%c0%ae", "%e0%80%ae", "%c0%2e", "/", "//", "\\", "%5c", "%5C", "%2f",
            "%2F", "%c0%af", "%00", "%0a", "%20", ";", "~", "etc/passwd", "C:", "%ff", "\u00e9"]


def _check_media_path(client, path: str, allowed: set[bytes], original: bytes) -> int:
    r = client.get("/media/" + path)
    assert r.status_code in (200, 301, 400, 404), (path, r.status_code)
    body = _body(r)
    assert r.status_code != 200 or body in allowed, path
    assert original not in body, path
    return r.status_code


def _hypothesis_paths(public_name: str, original_name: str):
    """Mostly an attacker's shape: a start under /media/, one encoding of `../` repeated about
    as often as the start is deep, a target (mostly the real original), maybe junk after it;
    otherwise the fragments in any order."""
    from hypothesis import strategies as st

    def climb(start: str):
        depth = start.strip("/").count("/") + 1 if start.strip("/") else 0
        return st.tuples(st.just(start), st.integers(max(0, depth - 1), depth + 1))

    target = st.sampled_from([original_name, original_name, original_name, Path(original_name).name, public_name,
                              "etc/passwd", "manage.py"])
    target = target | st.tuples(target, st.sampled_from(SEPS)).map(lambda t: t[0].replace("/", t[1]))
    pieces = st.sampled_from(_fragments(public_name, original_name)) | st.text(max_size=3)
    junk = st.one_of(st.just(""), st.just(""), st.just(""), st.lists(pieces, max_size=3).map("".join))
    structured = st.builds(
        lambda start_k, step, tail, end: start_k[0] + (step[0] + step[1]) * start_k[1] + tail + end,
        st.sampled_from(_starts(public_name)).flatmap(climb), st.tuples(st.sampled_from(DOTS), st.sampled_from(SEPS)),
        target, junk)
    return st.one_of(structured, structured, structured, st.lists(pieces, max_size=12).map("".join))


def test_media_path_property_never_escapes_the_public_files(reported):
    """Hypothesis builds traversal-shaped and free-form paths; any 200 is a stored public file's bytes."""
    from hypothesis import HealthCheck, given, settings as hsettings

    client, allowed = Client(), _stored_public_files()
    photo = reported["photo"]

    # The same cases every run (a red build is never luck); the long run below explores anew.
    @hsettings(max_examples=300, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow])
    @given(path=_hypothesis_paths(photo.public.name, photo.original.name))
    def check(path):
        _check_media_path(client, path, allowed, reported["original"])

    check()


@pytest.mark.fuzz
def test_media_path_property_long_run(reported):
    """The same property, many more examples (`make fuzz`)."""
    from hypothesis import HealthCheck, given, settings as hsettings

    client, allowed = Client(), _stored_public_files()
    photo = reported["photo"]

    @hsettings(max_examples=int(os.environ.get("MEDIA_FUZZ_EXAMPLES", "5000")), deadline=None,
               suppress_health_check=[HealthCheck.too_slow])
    @given(path=_hypothesis_paths(photo.public.name, photo.original.name))
    def check(path):
        _check_media_path(client, path, allowed, reported["original"])

    check()


# ---------------------------------------------------------------- the original through the staff view


def _original_url(code: str, photo_id: int) -> str:
    return f"/api/v1/complaints/{code}/photos/{photo_id}/original/"


@pytest.mark.parametrize("username", ["operator", "pupr", "spv-pupr", "admin", "leader"])
def test_entitled_staff_get_the_original_through_the_staff_view(reported, api, username):
    login(api, username)
    detail = api.get(f"/api/v1/ops/complaints/{reported['code']}/")
    assert detail.status_code == 200
    listed = detail.json()["photos"][0]
    assert urlsplit(listed["original_url"]).path == _original_url(reported["code"], reported["photo"].pk)
    r = api.get(_original_url(reported["code"], reported["photo"].pk))
    assert r.status_code == 200, r.content
    assert _body(r) == reported["original"] and r["Content-Type"] == "image/jpeg"
    assert "no-store" in r["Cache-Control"] and "private" in r["Cache-Control"]


@pytest.mark.parametrize("username", [None, "citizen", "dlh", "sigap-dlh", "sigap1", "planner"])
def test_others_never_get_the_original(reported, api, username):
    """Anonymous, a citizen's account, another agency's staff and crew, a crew not assigned to
    the ticket and a planner all get 401/403/404 and none of the original's bytes."""
    if username == "citizen":
        get_user_model().objects.create_user("warga-biasa", password="x")
        username = "warga-biasa"
    if username:
        login(api, username)
    r = api.get(_original_url(reported["code"], reported["photo"].pk))
    assert r.status_code in (401, 403, 404), (username, r.status_code)
    assert reported["original"] not in _body(r)
    # The public detail never names the original.
    public = Client().get(f"/api/v1/complaints/{reported['code']}/").content
    assert b"original" not in public and reported["photo"].original.name.encode() not in public


def test_original_of_another_complaint_is_not_reachable_through_a_visible_one(reported, api):
    """pupr may see its own complaint; a DLH complaint's photo id under pupr's code is a 404."""
    other = _post_report(api, dirty_jpeg(), category="garbage")
    other_photo = Photo.objects.get(complaint__tracking_code=other)
    assert Complaint.objects.get(tracking_code=other).agency.code != "dpupr"
    login(api, "pupr")
    assert api.get(_original_url(other, other_photo.pk)).status_code == 404
    r = api.get(_original_url(reported["code"], other_photo.pk))
    assert r.status_code == 404 and _read(other_photo.original) not in _body(r)


def _longest_common_substring(a: str, b: str) -> int:
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def test_original_names_share_nothing_guessable_with_public_names(city):
    for _ in range(5):
        make_complaint(photo=SimpleUploadedFile("foto.jpg", dirty_jpeg(), content_type="image/jpeg"))
    photos = list(Photo.objects.all())
    assert len(photos) == 5
    for photo in photos:
        original = Path(photo.original.name).name
        for public in (Path(photo.public.name).name, Path(photo.thumb.name).name):
            assert _longest_common_substring(original, public) < 8, (original, public)


# ---------------------------------------------------------------- metadata in the public copies


def _assert_pixels_only(data: bytes, label: str) -> None:
    for leak in LEAKS:
        assert leak not in data, f"{label} carries {leak!r}"
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    assert set(img.info) <= HARMLESS_INFO, f"{label} carries {sorted(set(img.info) - HARMLESS_INFO)}"
    assert not img.getexif() and b"Exif" not in data and b"ICC_PROFILE" not in data and b"http://ns.adobe.com" not in data
    assert b"\xff\xfe" not in data.split(b"\xff\xda", 1)[0], f"{label} has a JPEG comment segment"


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_public_copy_and_thumbnail_carry_no_metadata_of_any_kind(city, api, kind):
    upload = dirty_jpeg() if kind == "jpeg" else dirty_png()
    code = _post_report(api, upload, name=f"foto.{'jpg' if kind == 'jpeg' else 'png'}")
    photo = Photo.objects.get(complaint__tracking_code=code)
    detail = Client().get(f"/api/v1/complaints/{code}/").json()["photos"][0]
    for key, field in (("url", photo.public), ("thumb_url", photo.thumb)):
        served = _body(Client().get(urlsplit(detail[key]).path))
        assert served == _read(field)
        _assert_pixels_only(served, f"{kind} {key}")
    # Same picture: the pixels survived (a solid colour, JPEG-close).
    pixel = Image.open(io.BytesIO(_read(photo.public))).convert("RGB").getpixel((60, 45))
    assert all(abs(a - b) <= 6 for a, b in zip(pixel, (30, 120, 200))), pixel
    # The private original keeps its evidence.
    assert HOME.encode() in _read(photo.original)


# ---------------------------------------------------------------- object storage (moto's S3 in process)


@pytest.fixture
def s3_storage(settings, monkeypatch):
    """Photos in a private S3 bucket (moto), as with AWS_STORAGE_BUCKET_NAME in production."""
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "laksa-test", "AWS_SECRET_ACCESS_KEY": "laksa-test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        import boto3

        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="laksa-photos")
        settings.STORAGES = {**settings.STORAGES, "default": {
            "BACKEND": "common.storage.AppServedS3Storage",
            "OPTIONS": {"bucket_name": "laksa-photos", "querystring_auth": False, "file_overwrite": False,
                        "default_acl": None},
        }}
        yield boto3.client("s3", region_name="us-east-1")


def test_object_storage_serves_public_copies_by_record_and_never_the_original(city, api, s3_storage):
    code = _post_report(api, dirty_jpeg())
    keys = {o["Key"] for o in s3_storage.list_objects_v2(Bucket="laksa-photos")["Contents"]}
    original_name = next(k for k in keys if k.startswith("private/originals/"))
    original = s3_storage.get_object(Bucket="laksa-photos", Key=original_name)["Body"].read()
    assert b"LaksaPhone" in original and len(keys) == 3
    detail = Client().get(f"/api/v1/complaints/{code}/").json()["photos"][0]
    client = Client()
    for key in ("url", "thumb_url"):
        name = urlsplit(detail[key]).path.removeprefix("/media/")
        r = client.get("/media/" + name)
        body = _body(r)
        assert r.status_code == 200 and body == s3_storage.get_object(Bucket="laksa-photos", Key=name)["Body"].read()
        _assert_pixels_only(body, key)
    public_url = urlsplit(detail["url"]).path
    for path in _traversal_paths(public_url, original_name):
        r = client.get(path)
        assert r.status_code == 404 and original not in _body(r), path
    # Staff of the complaint's agency get the original from the bucket through the staff view.
    login(api, "pupr")
    photo = Photo.objects.get(complaint__tracking_code=code)
    r = api.get(_original_url(code, photo.pk))
    assert r.status_code == 200 and _body(r) == original


# ---------------------------------------------------------------- the same attacks against a real server


def _raw_get(port: int, target: str) -> tuple[int, bytes]:
    """One HTTP/1.1 request with the target exactly as given (curl --path-as-is)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = _dechunk(body)
    return status, body


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return out


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_traversal_and_fuzz_against_a_real_daphne_server(committed_city):
    import httpx
    from django.db import connection

    from tests.realtime import servers

    db_url = servers.database_url_for(connection.settings_dict["NAME"])
    proc, port = servers.start_daphne(database_url=db_url)
    try:
        base = f"http://127.0.0.1:{port}"
        with media_worker(env={"MEDIA_ROOT": proc.media_root}) as worker:
            r = httpx.post(f"{base}/api/v1/complaints/", data={
                "category": "roads", "description": "Jalan berlubang di depan rumah",
                "location": json.dumps({"type": "Point", "coordinates": list(CITY_HALL)}),
            }, files={"photo": ("foto.jpg", dirty_jpeg(), "image/jpeg")}, timeout=20)
            assert r.status_code == 201, r.text
            detail_url = f"{base}/api/v1/complaints/{r.json()['tracking_code']}/"
            # The public copy exists once the worker has run the media job.
            detail = wait_for(lambda: (d := httpx.get(detail_url, timeout=10).json())["photos"][0]["url"] and d,
                              timeout=30, proc=worker)
        public_url = urlsplit(detail["photos"][0]["url"]).path
        root = Path(proc.media_root)
        files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        original_name = next(n for n in files if n.startswith("private/originals/"))
        original = files[original_name]
        public_files = {data for n, data in files.items() if n.startswith("public/")}
        assert len(public_files) == 2

        status, body = _raw_get(port, quote(public_url))
        assert status == 200 and body in public_files
        for target in _traversal_paths(public_url, original_name):
            status, body = _raw_get(port, target)
            assert status == 404, (target, status)
            assert original not in body and b"LaksaPhone" not in body, target
        # The fuzz list, sent raw: anything answered 200 is one of the two public files.
        public_name = public_url.removeprefix("/media/")
        for path in _fuzz_paths(public_name, original_name)[::3]:
            target = "/media/" + re.sub(r"[\s#?]", lambda m: quote(m.group()), path)
            status, body = _raw_get(port, target)
            assert status < 500, (target, status)
            assert status != 200 or body in public_files, target
            assert original not in body, target
    finally:
        servers.stop(proc)
        if os.environ.get("LAKSA_KEEP_LOGS"):
            print(getattr(proc, "log_path", ""))
