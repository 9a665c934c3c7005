"""Hostile input and abuse: huge bodies, EXIF bombs, SQL-looking filters, script tags, CSRF,
token revocation and the production security headers."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from fieldops.models import Complaint
from tests.conftest import CITY_HALL, make_complaint

pytestmark = pytest.mark.django_db
SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def test_a_huge_json_body_is_refused_cleanly(city, api):
    body = json.dumps({"category": "roads", "description": "x" * (13 * 1024 * 1024),
                       "location": {"type": "Point", "coordinates": list(CITY_HALL)}})
    r = api.post("/api/v1/complaints/", data=body, content_type="application/json")
    assert r.status_code in (400, 413)
    assert Complaint.objects.count() == 0


def test_an_exif_bomb_is_refused_or_stripped_never_a_500(city, api):
    # A real JPEG carrying ~50 KB of EXIF maker-note junk and a thousand bogus IFD entries.
    img = Image.new("RGB", (32, 32), (1, 2, 3))
    exif = Image.Exif()
    exif[0x927C] = b"\x00" * 30_000  # MakerNote
    for tag in range(0x9000, 0x9000 + 1000):
        exif.setdefault(tag, "A" * 10)
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes())
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("bomb.jpg", out.getvalue(), content_type="image/jpeg")
    r = api.post("/api/v1/complaints/", {"category": "roads", "description": "exif", "lat": CITY_HALL[1],
                                         "lon": CITY_HALL[0], "photo": photo}, format="multipart")
    assert r.status_code in (201, 400), r.content
    if r.status_code == 201:
        from tests.support.worker import media_jobs_run

        assert media_jobs_run() == ["ready"]  # the job that makes the public copy
        c = Complaint.objects.get(tracking_code=r.json()["tracking_code"])
        with c.photos.get().public.open("rb") as fh:
            data = fh.read()
        assert not Image.open(io.BytesIO(data)).getexif()
        assert len(data) < 20_000  # the 50 KB of EXIF junk did not travel into the public copy


@pytest.mark.parametrize("param", ["category", "kecamatan", "kelurahan", "agency", "status", "bbox", "created_after"])
def test_sql_looking_filter_values_are_plain_values(city, api, param):
    make_complaint()
    value = "roads' OR '1'='1"
    r = api.get("/api/v1/complaints/", {param: value})
    assert r.status_code in (200, 400)
    if r.status_code == 200:
        assert r.json()["features"] == []  # matched nothing: the quote was data, not SQL
    assert Complaint.objects.count() == 1


def test_script_tags_in_descriptions_are_escaped_in_every_page(city):
    c = make_complaint(description=f"Jalan rusak {SCRIPT}", address=SCRIPT).complaint
    anon = Client()
    operator = Client()
    operator.force_login(get_user_model().objects.get(username="operator"))
    pages = [(anon, f"/lacak/{c.tracking_code}/"), (anon, "/transparansi/"), (anon, "/peta/"), (anon, "/"),
             (operator, "/ops/"), (operator, f"/admin/fieldops/complaint/{c.pk}/change/")]
    for client, url in pages:
        if url.startswith("/admin/"):
            get_user_model().objects.filter(username="operator").update(is_superuser=True)
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assert "<script>alert(" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", ""), url
    # The API returns the text as data (JSON), for the page scripts to insert as text.
    assert SCRIPT in anon.get(f"/api/v1/complaints/{c.tracking_code}/").json()["description"]


def test_session_authenticated_writes_need_the_csrf_token(city):
    c = make_complaint().complaint
    client = APIClient(enforce_csrf_checks=True)
    from django.http import HttpRequest

    # django-axes counts every password check per client, so authenticate() needs a request.
    client.login(request=HttpRequest(), username="operator", password="laksa-demo")
    r = client.post(f"/api/v1/complaints/{c.tracking_code}/verify/", {}, format="json")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    client.get("/ops/")  # the page sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    r = client.post(f"/api/v1/complaints/{c.tracking_code}/verify/", {}, format="json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 200


def test_tokens_are_revocable(city, api):
    token = api.post("/api/v1/auth/token/", {"username": "operator", "password": "laksa-demo"}, format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").status_code == 200
    assert api.delete("/api/v1/auth/token/").status_code == 204
    r = api.get("/api/v1/me/")
    assert r.status_code in (401, 403) and "Invalid token" in r.json()["detail"]
    from rest_framework.authtoken.models import Token

    assert not Token.objects.filter(key=token).exists()


def test_staff_actions_are_audited_with_actor_and_time(city, api):
    c = make_complaint().complaint
    api.force_authenticate(get_user_model().objects.get(username="operator"))
    assert api.post(f"/api/v1/complaints/{c.tracking_code}/verify/", {}, format="json").status_code == 200
    event = c.events.order_by("-id").first()
    assert event.actor.username == "operator" and event.at and event.to_status == "verified"


def test_production_mode_sends_hsts_secure_cookies_and_a_csp_without_inline_scripts():
    code = (
        "import django, os; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/accounts/login/', secure=True, HTTP_HOST='laksa.example.id');"
        "print(r.status_code); print(r.headers.get('Strict-Transport-Security'));"
        "print(r.headers.get('Content-Security-Policy'));"
        "from django.conf import settings; print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)"
    )
    env = {"LAKSA_ENV": "production", "SECRET_KEY": "p" * 60, "ALLOWED_HOSTS": "laksa.example.id",
           "DJANGO_SETTINGS_MODULE": "laksa_gis.settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    status, hsts, csp, cookies = out.stdout.strip().splitlines()[-4:]
    assert status == "200"
    assert "max-age=31536000" in hsts
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert cookies == "True True"
