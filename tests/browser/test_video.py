"""Video proof end to end, in real Chromium against daphne and a job worker (the media queue, as
`make run` starts it): a crew member resolves a ticket with a before photo and an after video taken
on site (sent in pieces with tus-js-client; the worker makes the public copy), and the citizen's
tracking page plays the after video. While a copy is being made the tracking page and the ops
panel say so, and show the video once it is ready. A citizen sends a video with a report through
the same resumable path. A tus upload whose connection drops halfway resumes from the server's
acknowledged offset and the stored file is byte-identical."""

from __future__ import annotations

import base64
import http.client
import socket
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, in_thread, login, shot
from tests.browser.test_flow import click_map_at, wait_live, wait_outbox_empty, wait_photo_sent
from tests.conftest import KARAWACI, make_complaint
from tests.fieldops.test_videos import make_clip
from tests.fieldops.wf_helpers import gps_jpeg, offset
from tests.support.worker import wait_for

pytestmark = [pytest.mark.browser]


def video_duration(page, selector: str) -> float:
    page.locator(selector).first.scroll_into_view_if_needed()
    page.wait_for_function(
        "(sel) => { const v = document.querySelector(sel); return v && v.readyState >= 1 && v.duration > 0; }",
        arg=selector, timeout=20000)
    return page.evaluate("(sel) => document.querySelector(sel).duration", selector)


def drop_second_piece(page) -> tuple[list, list]:
    """The page's upload requests are recorded (their methods, in order); the connection drops
    while the second piece is on its way, once: it never reaches the server."""
    methods, dropped = [], []
    page.on("request", lambda r: methods.append(r.method) if "/api/v1/uploads/" in r.url else None)

    def route(r):
        if r.request.method == "PATCH" and methods.count("PATCH") == 2 and not dropped:
            dropped.append(True)
            r.abort("connectionreset")
        else:
            r.continue_()

    page.route("**/api/v1/uploads/**", route)
    return methods, dropped


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
    pieces, dropped = drop_second_piece(page)
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
    # The worker made the public copy (the ticket showed the video accepted only then).
    after = wait_for(lambda: Photo.objects.filter(pk=after.pk, state="ready").first(), timeout=30, proc=server.worker)
    assert after.media_type == "video" and after.location_source == "metadata"
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

    # While a copy is being made (the row as a fresh upload leaves it), the tracking page and the
    # ops panel say so; they look again by themselves and show the video once it is ready.
    waiting = ("Video sedang diproses…", "Video is being processed…")
    Photo.objects.filter(pk=after.pk).update(state="processing")
    citizen.goto(f"{server.origin}/lacak/{code}/")
    placeholder = citizen.locator('[data-media-state="processing"][data-kind="after"]')
    assert placeholder.locator(".lk-media-wait").inner_text().strip() in waiting
    assert citizen.locator('video[data-kind="after"]').count() == 0
    shot(citizen, "video-track-processing")
    ops = contexts(viewport={"width": 1366, "height": 768}).new_page()
    login(ops, "operator", f"/ops/?t={code}")
    panel = ops.locator(f'#lk-detail[data-code="{code}"]')
    panel.locator('[data-media-state="processing"] .lk-media-processing').first.wait_for()
    assert panel.locator(".lk-media-processing").first.inner_text().strip() in waiting
    shot(ops, "video-ops-processing-1366")
    Photo.objects.filter(pk=after.pk).update(state="ready")
    assert video_duration(citizen, 'video[data-kind="after"]') > 1.5
    assert video_duration(ops, f'#lk-detail[data-code="{code}"] video') > 1.5
    shot(ops, "video-ops-ready-1366")


def test_a_citizen_sends_a_video_with_the_report_in_resumable_pieces(e2e_db, server, contexts, settings, tmp_path):
    """The report form's file field takes a video: the report goes first, then the video in tus
    pieces with the reporter's token (a dropped piece resumes from the acknowledged offset), and
    it is attached as the report's evidence; the tracking page plays it once the worker made its
    public copy."""
    from fieldops.models import Complaint, Photo

    settings.MEDIA_ROOT = server.log.parent / "media"
    clip = make_clip(tmp_path / "warga.mp4", lonlat=offset(KARAWACI, east_m=5),
                     extra=("-vf", "noise=alls=100:allf=t", "-crf", "2")).read_bytes()
    assert len(clip) > 2 * 1024 * 1024  # several pieces
    page = contexts(viewport=PHONE).new_page()
    calls, dropped = drop_second_piece(page)
    page.goto(f"{server.origin}/")
    page.select_option("#f-category", "drainage")
    click_map_at(page, *KARAWACI)
    page.locator('#lk-where[data-state="inside"]').wait_for()
    page.fill("#f-description", "Saluran meluap, lihat videonya")
    page.locator("#f-photo").set_input_files({"name": "VID_20301231.mp4", "mimeType": "video/mp4", "buffer": clip})
    page.locator("#lk-video-preview:not([hidden])").wait_for()
    page.click("#lk-send")
    page.locator("#lk-done").wait_for()
    code = page.locator('[data-done="code"]').inner_text().strip()
    status = page.locator("#lk-done-video")
    page.wait_for_selector('#lk-done-video[data-video-state="sent"]', timeout=60000)
    shot(page, "citizen-video-sent-360")
    assert "POST" in calls and calls.count("PATCH") >= 3 and dropped
    assert "HEAD" in calls[calls.index("PATCH"):], calls  # asked where the upload stood, went on from there
    assert status.inner_text().strip()
    complaint = Complaint.objects.get(tracking_code=code)
    video = Photo.objects.get(complaint=complaint)
    assert (video.kind, video.media_type) == ("report", "video")
    assert video.original.open("rb").read() == clip  # byte-identical
    wait_for(lambda: Photo.objects.filter(pk=video.pk, state="ready").exists(), timeout=30, proc=server.worker)
    page.goto(f"{server.origin}/lacak/{code}/")
    assert video_duration(page, 'video[data-kind="report"]') > 1.5
    shot(page, "citizen-video-track-360")


def test_a_video_refusal_says_video_in_the_citizens_language(e2e_db, server, contexts):
    """A file that starts like a WebM video but is none: the report is received, the video is
    refused with the reason in the page's language, naming a video (not a photo)."""
    from fieldops.models import Complaint, Photo

    page = contexts(viewport=PHONE).new_page()
    page.goto(f"{server.origin}/?lang=id")
    page.select_option("#f-category", "drainage")
    click_map_at(page, *KARAWACI)
    page.locator('#lk-where[data-state="inside"]').wait_for()
    page.fill("#f-description", "Video terlalu panjang")
    page.locator("#f-photo").set_input_files({"name": "panjang.webm", "mimeType": "video/webm",
                                              "buffer": b"\x1a\x45\xdf\xa3" + b"bukan video" * 100})
    page.click("#lk-send")
    page.wait_for_selector('#lk-done-video[data-video-state="refused"]', timeout=30000)
    text = page.locator("#lk-done-video").inner_text()
    assert "Video tidak diterima" in text and "video" in text.split(":", 1)[1].lower(), text
    assert "foto" not in text.split(":", 1)[1].lower(), text
    code = page.locator('[data-done="code"]').inner_text().strip()
    assert not Photo.objects.filter(complaint__tracking_code=code).exists()
    assert Complaint.objects.filter(tracking_code=code).exists()
    shot(page, "citizen-video-refused-360")


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


def _stored_videos(page) -> int:
    """How many videos the citizen page keeps on the device (IndexedDB laksa-warga, store files)."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const req = indexedDB.open("laksa-warga", 1);
        req.onsuccess = () => { const t = req.result.transaction("files", "readonly").objectStore("files").count();
                                t.onsuccess = () => resolve(t.result); t.onerror = () => reject(t.error); };
        req.onerror = () => reject(req.error); })""")


def _cut_after_two_pieces(page) -> tuple[list, dict]:
    """The page's upload requests as (method, Upload-Offset); while `cut["on"]`, every piece after
    the second is cut off (the connection resets): only two pieces ever reach the server."""
    calls, cut = [], {"on": True, "passed": 0}
    page.on("request", lambda r: calls.append((r.method, r.headers.get("upload-offset")))
            if "/api/v1/uploads/" in r.url else None)

    def route(r):
        if r.request.method == "PATCH" and cut["on"]:
            if cut["passed"] >= 2:
                r.abort("connectionreset")
                return
            cut["passed"] += 1
        r.continue_()

    page.route("**/api/v1/uploads/**", route)
    return calls, cut


@pytest.mark.parametrize("expired", [False, True], ids=["resumes", "expired-starts-over"])
def test_a_citizens_video_survives_a_page_reload(e2e_db, server, contexts, settings, tmp_path, expired):
    """The citizen's video is cut off after two pieces; the device keeps it (IndexedDB). The
    reloaded page shows it waiting with what the server has, then goes on from the server's
    acknowledged offset (a HEAD, no new upload, fewer bytes than the file) and attaches it; the
    tracking page plays it and the device forgets the file. An upload the server purged in the
    meantime starts over from the first byte and the page says so."""
    from django.core.management import call_command
    from django.utils import timezone

    from fieldops.models import Photo, Upload

    settings.MEDIA_ROOT = server.log.parent / "media"
    clip = make_clip(tmp_path / "warga.mp4", lonlat=offset(KARAWACI, east_m=5),
                     extra=("-vf", "noise=alls=100:allf=t", "-crf", "2")).read_bytes()
    assert len(clip) > 3 * 1024 * 1024
    page = contexts(viewport=PHONE).new_page()
    calls, cut = _cut_after_two_pieces(page)
    page.goto(f"{server.origin}/?lang=id")
    page.select_option("#f-category", "drainage")
    click_map_at(page, *KARAWACI)
    page.locator('#lk-where[data-state="inside"]').wait_for()
    page.fill("#f-description", "Saluran meluap, videonya terputus")
    page.locator("#f-photo").set_input_files({"name": "VID_20301231.mp4", "mimeType": "video/mp4", "buffer": clip})
    page.click("#lk-send")
    page.locator("#lk-done").wait_for()
    code = page.locator('[data-done="code"]').inner_text().strip()
    page.wait_for_selector('#lk-done-video[data-video-state="failed"]', timeout=30000)
    upload = Upload.objects.get(complaint__tracking_code=code)
    acknowledged = upload.offset
    assert acknowledged == 2 * 1024 * 1024, acknowledged  # two 1 MB pieces arrived, no more
    assert _stored_videos(page) == 1

    # Reopened while the connection still breaks: the video waits, with what the server has.
    page.reload()
    box = page.locator(f'.lk-pending-video[data-code="{code}"]')
    box.wait_for()
    page.wait_for_selector(f'.lk-pending-video[data-code="{code}"][data-video-state="failed"]', timeout=30000)
    text = box.inner_text()
    assert "Ada video yang belum terkirim" in text and "2 dari" in text and "Kirim ulang video" in text, text
    assert box.locator("progress").evaluate("p => p.value") == acknowledged
    box.scroll_into_view_if_needed()
    if not expired:
        shot(page, "citizen-video-pending-360")
    assert not page.locator("#lk-report").is_hidden()  # the form is there for another report

    before = len(calls)
    if expired:
        # Left past UPLOAD_EXPIRY_HOURS: the scheduled cleanup deleted it. The reopened page starts
        # a new upload from the first byte and says why (cut again after two pieces: the words
        # stay on screen), then "Send the video again" finishes it.
        Upload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timezone.timedelta(minutes=1))
        call_command("purge_uploads")
        cut["passed"] = 0
        page.reload()
        page.wait_for_selector(f'.lk-pending-video[data-code="{code}"][data-video-state="failed"]', timeout=30000)
        text = box.inner_text()
        assert "dikirim ulang dari awal" in text and "2 dari" in text, text  # two new pieces arrived
        after = calls[before:]
        assert after[0][0] == "HEAD" and after[1] == ("POST", None), after  # gone (404): a new upload
        assert [int(o) for m, o in after if m == "PATCH"][0] == 0, after  # from the first byte
        shot(page, "citizen-video-restarted-360")
        cut["on"] = False
        box.locator("[data-video-retry]").click()
    else:
        cut["on"] = False
        page.reload()
    page.wait_for_selector(f'.lk-pending-video[data-code="{code}"][data-video-state="sent"]', timeout=60000)
    after = calls[before:]
    assert after[0][0] == "HEAD", after  # asked the server where the upload stood
    if not expired:
        patches = [int(o) for m, o in after if m == "PATCH"]
        assert "POST" not in [m for m, _ in after], after  # the same upload, not a new one
        assert patches[0] == acknowledged, after  # from the acknowledged offset
        sent_after_reload = len(clip) - patches[0]
        assert sent_after_reload < len(clip)
        print(f"bytes sent after the reload: {sent_after_reload} of {len(clip)}")
    assert not box.locator("h2").is_visible()  # no longer "waiting to be sent"
    shot(page, "citizen-video-pending-sent-360" + ("-expired" if expired else ""))
    video = Photo.objects.get(complaint__tracking_code=code)
    assert (video.kind, video.media_type) == ("report", "video")
    assert video.original.open("rb").read() == clip  # byte-identical
    assert _stored_videos(page) == 0  # attached: the device no longer keeps the file
    assert not Upload.objects.filter(complaint__tracking_code=code).exists()
    wait_for(lambda: Photo.objects.filter(pk=video.pk, state="ready").exists(), timeout=30, proc=server.worker)
    page.goto(f"{server.origin}/lacak/{code}/")
    assert video_duration(page, 'video[data-kind="report"]') > 1.5


def _report_with_a_cut_video(page, server, clip: bytes, description: str) -> str:
    """A report sent from the form with a video whose pieces never arrive; its tracking code."""
    page.goto(f"{server.origin}/?lang=id")
    page.select_option("#f-category", "drainage")
    click_map_at(page, *KARAWACI)
    page.locator('#lk-where[data-state="inside"]').wait_for()
    page.fill("#f-description", description)
    page.locator("#f-photo").set_input_files({"name": "VID_1.mp4", "mimeType": "video/mp4", "buffer": clip})
    page.click("#lk-send")
    page.wait_for_selector('#lk-done-video[data-video-state="failed"]', timeout=30000)
    return page.locator('[data-done="code"]').inner_text().strip()


def test_the_device_forgets_a_pending_video_with_its_report_or_after_seven_days(e2e_db, server, contexts, tmp_path):
    """The file kept for a video not yet sent goes when the citizen forgets the report on
    "Laporan saya" (no token left to attach it) and, in any case, 7 days after it was kept."""
    clip = make_clip(tmp_path / "warga.mp4", lonlat=KARAWACI).read_bytes()
    page = contexts(viewport=PHONE).new_page()
    page.route("**/api/v1/uploads/**", lambda r: r.abort("connectionreset") if r.request.method == "PATCH" else r.continue_())
    old = _report_with_a_cut_video(page, server, clip, "Video lama yang tak terkirim")
    forgotten = _report_with_a_cut_video(page, server, clip, "Laporan yang dilupakan")
    assert _stored_videos(page) == 2
    page.goto(f"{server.origin}/?lang=id")
    for code in (old, forgotten):
        page.locator(f'.lk-pending-video[data-code="{code}"]').wait_for()

    page.evaluate("""(code) => new Promise((resolve, reject) => {
        const req = indexedDB.open("laksa-warga", 1);
        req.onsuccess = () => {
          const store = req.result.transaction("files", "readwrite").objectStore("files");
          const get = store.get(code);
          get.onsuccess = () => { get.result.created = new Date(Date.now() - 8 * 86400000).toISOString();
                                  const put = store.put(get.result); put.onsuccess = resolve; put.onerror = reject; };
        };
        req.onerror = reject; })""", old)
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{server.origin}/laporan-saya/")
    page.locator(f'li[data-code="{forgotten}"] button[data-action="forget"]').click()
    page.locator(f'li[data-code="{forgotten}"]').wait_for(state="detached")
    page.goto(f"{server.origin}/?lang=id")
    page.locator("#lk-report").wait_for()
    # The page drops both when it looks for videos to resume (the old one only then).
    wait_for(lambda: _stored_videos(page) == 0, timeout=10)
    assert page.locator(".lk-pending-video").count() == 0


def test_a_citizens_video_survives_the_browser_being_closed(e2e_db, server, browser, settings, tmp_path):
    """The browser is closed with the video cut off after two pieces. Reopened (the same profile),
    the report page shows the video waiting while uploads still fail; when the connection comes
    back (the `online` event) it goes on by itself from the acknowledged offset."""
    from fieldops.models import Photo, Upload

    settings.MEDIA_ROOT = server.log.parent / "media"
    clip = make_clip(tmp_path / "warga.mp4", lonlat=offset(KARAWACI, east_m=5),
                     extra=("-vf", "noise=alls=100:allf=t", "-crf", "2")).read_bytes()
    profile = tmp_path / "profile"

    def open_browser():
        return browser.browser_type.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=PHONE)

    first = open_browser()
    try:
        page = first.new_page()
        _cut_after_two_pieces(page)
        code = _report_with_a_cut_video(page, server, clip, "Video terputus, browser ditutup")
    finally:
        first.close()
    acknowledged = Upload.objects.get(complaint__tracking_code=code).offset
    assert acknowledged == 2 * 1024 * 1024, acknowledged

    again = open_browser()
    try:
        page = again.new_page()
        calls = []
        page.on("request", lambda r: calls.append((r.method, r.headers.get("upload-offset")))
                if "/api/v1/uploads/" in r.url else None)
        page.route("**/api/v1/uploads/**", lambda r: r.abort("internetdisconnected"))
        page.goto(f"{server.origin}/?lang=id")
        page.wait_for_selector(f'.lk-pending-video[data-code="{code}"][data-video-state="failed"]', timeout=30000)
        assert "2 dari" in page.locator(f'.lk-pending-video[data-code="{code}"]').inner_text()
        page.unroute("**/api/v1/uploads/**")
        again.set_offline(True)
        before = len(calls)
        again.set_offline(False)  # the connection is back: no button pressed
        page.wait_for_selector(f'.lk-pending-video[data-code="{code}"][data-video-state="sent"]', timeout=60000)
        after = calls[before:]
        assert after[0][0] == "HEAD" and "POST" not in [m for m, _ in after], after
        assert int([o for m, o in after if m == "PATCH"][0]) == acknowledged, after
        assert _stored_videos(page) == 0
    finally:
        again.close()
    assert Photo.objects.get(complaint__tracking_code=code).original.open("rb").read() == clip
