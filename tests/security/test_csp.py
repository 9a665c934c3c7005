"""A Content-Security-Policy in every mode (issue 13: "no Content-Security-Policy outside
production, so no test ever sees a CSP violation before production does").

The policy is enforced (not report-only) in local mode with DEBUG on, in production and in the
tests, so the browser tests run under the policy production sends; tests/browser/conftest.py
fails any browser test on a violation, and the last test here proves that check catches one.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.conf import settings

from tests.browser.conftest import browser, contexts, e2e_database, e2e_db, server  # noqa: F401 (fixtures)

PAGES = ["/", "/peta/", "/transparansi/", "/accounts/login/", "/admin/login/"]


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _test_database_url() -> str:
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    return "postgis://{u}:{p}@{h}:{port}/{n}".format(
        u=quote(db["USER"] or ""), p=quote(db["PASSWORD"] or ""), h=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432, n=db["NAME"])


def _headers_in_mode(env: dict) -> dict:
    """The headers of each page in a fresh process with the given environment (settings differ
    per mode), reading the test database (its city data is committed at session start)."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        f"pages = {PAGES!r}; c = Client();"
        "out = {p: dict(c.get(p, secure=True, HTTP_HOST='laksa.example.id').headers) for p in pages};"
        "from django.conf import settings; out['DEBUG'] = settings.DEBUG;"
        "print(json.dumps(out))"
    )
    env = {"ALLOWED_HOSTS": "laksa.example.id", "DJANGO_SETTINGS_MODULE": "laksa_gis.settings",
           "PATH": "/usr/bin:/bin", "DATABASE_URL": _test_database_url(), **env}
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("env", [
    {"LAKSA_ENV": "local", "DEBUG": "1"},
    {"LAKSA_ENV": "production", "SECRET_KEY": "p" * 60},
], ids=["local-debug", "production"])
def test_every_mode_enforces_the_same_policy(city, env):
    result = _headers_in_mode(env)
    assert result.pop("DEBUG") is (env["LAKSA_ENV"] == "local")
    for page, headers in result.items():
        assert headers.get("Content-Type", "").startswith("text/html"), page
        policy = headers.get("Content-Security-Policy")
        assert policy, f"{page} has no enforced CSP in {env['LAKSA_ENV']} mode"
        assert "Content-Security-Policy-Report-Only" not in headers, page
        d = _directives(policy)
        assert d["script-src"] == ["'self'"], "no inline scripts, no eval, no other origin"
        assert d["default-src"] == ["'self'"]
        assert d["object-src"] == ["'none'"] and d["frame-ancestors"] == ["'none'"]
        assert d["base-uri"] == ["'self'"] and d["form-action"] == ["'self'"]
        assert d["connect-src"] == ["'self'", "ws:", "wss:"]
        # Background tiles come from the configured tile server, and only images from there.
        assert "https://tile.openstreetmap.org" in d["img-src"]
        assert headers.get("Referrer-Policy") == "same-origin"


def test_pages_in_the_test_settings_carry_the_enforced_policy(city, client):
    for page in PAGES:
        r = client.get(page)
        assert r.status_code == 200, page
        assert "script-src 'self'" in r.headers["Content-Security-Policy"], page
        assert "Content-Security-Policy-Report-Only" not in r.headers


def test_csp_cannot_be_switched_off_by_the_environment(city):
    result = _headers_in_mode({"LAKSA_ENV": "local", "CSP_ENABLED": "0"})
    assert all(h.get("Content-Security-Policy") for p, h in result.items() if p != "DEBUG")


@pytest.mark.browser
def test_the_browser_check_catches_an_inline_script_on_a_served_page(e2e_db, server, contexts):
    """A page served by the app with an inline script slipped in: Chromium refuses to run it
    (the header is enforced) and the browser tests' CSP check records the violation."""
    ctx = contexts()
    page = ctx.new_page()

    def inject(route):
        response = route.fetch()
        body = response.text().replace("</body>", "<script>document.body.dataset.inline = 'ran'</script></body>")
        route.fulfill(response=response, body=body)

    page.route(f"{server.origin}/peta/", inject)
    page.goto("/peta/")
    page.wait_for_load_state("load")
    assert page.evaluate("document.body.dataset.inline") is None, "the inline script must not run"
    page.wait_for_timeout(300)
    caught = contexts.csp_violations(ctx)
    assert any("script-src" in v for v in caught), caught
    caught.clear()  # seen and expected: this test must not fail on it
