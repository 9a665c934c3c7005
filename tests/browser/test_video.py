"""Video proof end to end, in real Chromium against daphne: a crew member resolves a ticket with
a before photo and an after video taken on site (sent in pieces with tus-js-client), and the
citizen's tracking page plays the after video. A tus upload whose connection drops halfway
resumes from the server's acknowledged offset and the stored file is byte-identical."""

from __future__ import annotations

import base64
import http.client
import socket
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import PHONE, in_thread, login, shot
from tests.browser.test_flow import wait_live, wait_outbox_empty, wait_photo_sent
from tests.conftest import KARAWACI, make_complaint
from tests.fieldops.test_videos import make_clip
from tests.fieldops.wf_helpers import gps_jpeg, offset

pytestmark = [pytest.mark.browser]


def video_duration(page, selector: str) -> float:
    page.locator(selector).first.scroll_into_view_if_needed()
    page.wait_for_function(
        "(sel) => { const v = document.querySelector(sel); return v && v.readyState >= 1 && v.duration > 0; }",
        arg=selector, timeout=20000)
    return page.evaluate("(sel) => document.querySelector(sel).duration", selector)


def test_crew_resolves_with_an_after_video_and_the_citizen_sees_it(e2e_db, server, contexts, settings, tmp_path):
    from django.contrib.auth import get_user_model

    from fieldops.models import Crew, Photo
    from fieldops.workflow import complaint_assign, complaint_start

    settings.MEDIA_ROOT = server.log.parent / "media"
    created = in_thread(make_complaint, lonlat=KARAWACI, description="Saluran mampet di depan pasar")
    complaint, code = created.complaint, created.complaint.tracking_code
    users = get_user_model().objects
    in_thread(complaint_assign, complaint=complaint, actor=users.get(username="operator"),
              crew=Crew.objects.get(name="Tim Sigap PUPR 2"))
    in_thread(complaint_start, complaint=complaint, actor=users.get(username="sigap2"))
    site = offset(KARAWACI, north_m=3)
    # Noise does not compress: about 5 MB, several 1 MB pieces.
    clip = make_clip(tmp_path / "after.mp4", lonlat=offset(KARAWACI, east_m=15),
                     extra=("-vf", "noise=alls=100:allf=t", "-crf", "2")).read_bytes()
    assert len(clip) > 3 * 1024 * 1024

    ctx = contexts(viewport=PHONE, geolocation={"latitude": site[1], "longitude": site[0], "accuracy": 8},
                   permissions=["geolocation"])
    page = ctx.new_page()
    pieces = []
    page.on("request", lambda r: pieces.append(r.method) if "/api/v1/uploads/" in r.url else None)
    dropped = []

    def drop_second_piece(route):
        # The connection drops while the second piece is on its way: it never reaches the server.
        if route.request.method == "PATCH" and pieces.count("PATCH") == 2 and not dropped:
            dropped.append(True)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/uploads/**", drop_second_piece)
    login(page, "sigap2", "/sigap/")
    wait_live(page)
    ticket = page.locator(f'#lk-tickets [data-code="{code}"]')
    ticket.wait_for()
    ticket.locator('input[data-photo="before"]').set_input_files(
        {"name": "before.jpg", "mimeType": "image/jpeg", "buffer": gps_jpeg(site)})
    wait_photo_sent(page, code, "before")
    ticket.locator('input[data-photo="after"]').set_input_files(
        {"name": "VID_20301231.mp4", "mimeType": "video/mp4", "buffer": clip})
    wait_photo_sent(page, code, "after")
    assert "POST" in pieces and "PATCH" in pieces  # the video went through the resumable path
    # After the drop the client asked where the upload stood and went on from there.
    assert dropped and "HEAD" in pieces[pieces.index("PATCH"):], pieces
    after = Photo.objects.get(complaint=complaint, kind="after")
    assert after.original.open("rb").read() == clip  # byte-identical
    assert after.media_type == "video" and after.state == "ready" and after.location_source == "metadata"
    assert video_duration(page, f'#lk-tickets [data-code="{code}"] [data-proof="after"] video') > 0
    shot(page, "video-sigap-after")
    page.locator(f'#lk-tickets [data-code="{code}"] button[data-act="resolve"]:enabled').click()
    page.locator(f'#lk-tickets [data-code="{code}"][data-color="green"] [data-resolved-confirm]').wait_for()
    wait_outbox_empty(page)

    citizen = contexts(viewport=PHONE).new_page()
    citizen.goto(f"{server.origin}/lacak/{code}/")
    assert video_duration(citizen, 'video[data-kind="after"]') > 1.5
    poster = citizen.locator('video[data-kind="after"]').get_attribute("poster")
    assert poster and citizen.request.get(server.origin + poster if poster.startswith("/") else poster).ok
    html = citizen.content()
    assert after.original.name.rsplit("/", 1)[-1] not in html and "/original/" not in html
    shot(citizen, "video-track-after")
    citizen.set_viewport_size({"width": 1366, "height": 768})
    shot(citizen, "video-track-after-1366")
    wide = contexts(viewport={"width": 1366, "height": 768}).new_page()
    wide.goto(f"{server.origin}/transparansi/")
    assert video_duration(wide, "video") > 0
    shot(wide, "video-transparansi-1366")


def _meta(**values) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def test_a_dropped_tus_upload_resumes_from_the_acknowledged_offset(e2e_db, server, settings, tmp_path):
    from fieldops.models import Upload
    from fieldops.uploads import upload_path

    settings.MEDIA_ROOT = server.log.parent / "media"
    created = in_thread(make_complaint, lonlat=KARAWACI, description="Video dari warga")
    code, token = created.complaint.tracking_code, created.reporter_token
    data = make_clip(tmp_path / "warga.mp4", lonlat=KARAWACI, size="640x480").read_bytes()
    host = urlsplit(server.url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=20)
    conn.request("POST", "/api/v1/uploads/", headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
        "Upload-Metadata": _meta(filename="warga.mp4", complaint=code, reporter_token=token)})
    r = conn.getresponse()
    r.read()
    assert r.status == 201, r.status
    path = urlsplit(r.getheader("Location")).path
    piece = len(data) // 4
    at = 0
    for _ in range(2):  # two whole pieces arrive
        conn.request("PATCH", path, body=data[at:at + piece], headers={
            "Tus-Resumable": "1.0.0", "Upload-Offset": str(at), "Content-Type": "application/offset+octet-stream"})
        r = conn.getresponse()
        r.read()
        assert r.status == 204 and int(r.getheader("Upload-Offset")) == at + piece
        at += piece
    conn.close()
    # The third piece is cut off halfway: the connection drops after half of its bytes.
    raw = socket.create_connection((host.hostname, host.port), timeout=20)
    raw.sendall((f"PATCH {path} HTTP/1.1\r\nHost: {host.netloc}\r\nTus-Resumable: 1.0.0\r\n"
                 f"Upload-Offset: {at}\r\nContent-Type: application/offset+octet-stream\r\n"
                 f"Content-Length: {piece}\r\n\r\n").encode() + data[at:at + piece // 2])
    raw.close()
    # The phone comes back: where does the upload stand?
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=20)
    conn.request("HEAD", path, headers={"Tus-Resumable": "1.0.0"})
    r = conn.getresponse()
    r.read()
    acknowledged = int(r.getheader("Upload-Offset"))
    assert acknowledged == at, acknowledged  # a cut piece is not acknowledged
    conn.request("PATCH", path, body=data[acknowledged:], headers={
        "Tus-Resumable": "1.0.0", "Upload-Offset": str(acknowledged), "Content-Type": "application/offset+octet-stream"})
    r = conn.getresponse()
    r.read()
    assert r.status == 204 and int(r.getheader("Upload-Offset")) == len(data)
    upload = Upload.objects.get(pk=path.rstrip("/").rsplit("/", 1)[-1])
    assert upload_path(upload).read_bytes() == data
    conn.close()
