"""Issue 19: text answers are gzipped where that is safe from BREACH (docs/SERVING.md): for
requests without a logged-in session; never for a session's pages and API answers."""

from __future__ import annotations

import gzip
import re

from django.test import Client

from tests.conftest import KARAWACI, login, make_complaint

GZ = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        content = gzip.decompress(content)
    return content.decode()


def test_anonymous_pages_and_public_json_are_compressed(city, client):
    code = make_complaint(lonlat=KARAWACI).complaint.tracking_code
    for path in ["/", f"/lacak/{code}/", "/peta/", "/api/v1/categories/", "/accounts/login/"]:
        r = client.get(path, **GZ)
        assert r.status_code == 200, path
        assert r["Content-Encoding"] == "gzip", path
        assert "Accept-Encoding" in r["Vary"], path
        plain = client.get(path)
        assert not plain.has_header("Content-Encoding"), path
        assert len(r.content) < len(plain.content), path


def test_the_csrf_token_in_a_compressed_page_is_masked_afresh_in_every_response(city, client):
    """What makes compressing a page with a form safe: Django's per-response masking."""
    tokens = set()
    for _ in range(3):
        body = _body(client.get("/", **GZ))
        tokens |= set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body))
    assert len(tokens) == 3


def test_a_logged_in_session_is_never_answered_compressed(city):
    client = Client()
    login(client, "sigap1")
    for path in ["/sigap/", "/api/v1/ops/complaints/", "/", "/sw.js"]:
        r = client.get(path, **GZ)
        assert r.status_code == 200, path
        assert not r.has_header("Content-Encoding"), path
    login(client, "operator")
    r = client.get("/ops/?q=<attacker text>", **GZ)
    assert r.status_code == 200 and not r.has_header("Content-Encoding")


def test_binary_answers_are_left_alone(city, rf):
    from django.http import HttpResponse

    from common.middleware import BreachSafeGZipMiddleware

    photo = HttpResponse(b"\xff\xd8" + b"\x00" * 4000, content_type="image/jpeg")
    middleware = BreachSafeGZipMiddleware(lambda request: photo)
    r = middleware(rf.get("/media/public/x.jpg", **GZ))
    assert not r.has_header("Content-Encoding")
    text = HttpResponse("a" * 4000, content_type="text/html")
    assert BreachSafeGZipMiddleware(lambda request: text)(rf.get("/", **GZ))["Content-Encoding"] == "gzip"
