"""End-to-end fixtures: the real ASGI app under daphne on a loopback port, against the pytest
test database, driven by real Chromium through Playwright.

pytest-django's `live_server` speaks WSGI only (no WebSocket), so the server is daphne in a
subprocess. The tests talk to the test database outside any test transaction (`e2e_db`), so
what they write is committed and visible to the server process and the other way round; they
delete what they created afterwards instead of flushing the whole database (faster: the city
data stays loaded).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
SCREENSHOTS = BASE_DIR / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _compile_messages() -> None:
    """The Indonesian catalog must be compiled (make does it; a bare pytest run may not have)."""
    po = BASE_DIR / "locale" / "id" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)


@pytest.fixture(scope="session")
def e2e_database(django_db_setup, django_db_blocker):
    """The test database, also when only browser tests run.

    pytest-django creates the test database only when a collected test is marked `django_db`
    (or asks for `db`); these tests deliberately do neither (no test transaction), so when
    they run alone they set the database up themselves.
    """
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import setup_databases, teardown_databases

    from tests.conftest import FAST_HASHERS, load_city

    def on_test_database() -> bool:
        # After set-up NAME is the test database's name: TEST.NAME when set (LAKSA_TEST_DB),
        # else Django's "test_" + the configured name.
        name = connection.settings_dict["NAME"]
        test_name = (connection.settings_dict.get("TEST") or {}).get("NAME")
        return name == test_name if test_name else name.startswith("test_")

    created = None
    with django_db_blocker.unblock():
        if not on_test_database():
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"})
            with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
                load_city()
    assert on_test_database()
    yield connection.settings_dict["NAME"]
    if created is not None:
        with django_db_blocker.unblock():
            teardown_databases(created, verbosity=0)


@pytest.fixture
def e2e_db(e2e_database, django_db_blocker):
    """Autocommit access to the test database; complaints created during the test are removed after."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from fieldops.models import Complaint, IdempotencyKey
    from tests.conftest import load_city

    with django_db_blocker.unblock():
        load_city()
        last = Complaint.objects.order_by("-id").values_list("id", flat=True).first() or 0
        last_key = IdempotencyKey.objects.order_by("-id").values_list("id", flat=True).first() or 0
        passwords = dict(get_user_model().objects.values_list("username", "password"))
        try:
            yield
        finally:
            Complaint.objects.filter(id__gt=last).delete()
            IdempotencyKey.objects.filter(id__gt=last_key).delete()
            for user in get_user_model().objects.filter(username__in=list(passwords)):
                if user.password != passwords[user.username]:
                    user.password = passwords[user.username]
                    user.save(update_fields=["password"])
            # While Playwright's event loop runs in this thread, asgiref keeps this test's
            # connection apart from the thread's; close it here or it outlives the test database.
            connections.close_all()


class Server:
    def __init__(self, url: str, proc: subprocess.Popen, log: Path, worker: subprocess.Popen | None = None):
        self.url = url
        self.proc = proc
        self.log = log
        self.worker = worker
        self.origin = url.rstrip("/")


@pytest.fixture(scope="session")
def server(e2e_database, tmp_path_factory):
    """daphne serving laksa_gis.asgi on 127.0.0.1:<free port> against the test database."""
    from django.db import connection

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (make test installs it)")
    _compile_messages()
    db = connection.settings_dict
    port = _free_port()
    tmp = tmp_path_factory.mktemp("e2e")
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CACHE_REDIS_URL", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({
        "DATABASE_URL": "postgis://{u}:{p}@{h}:{port}/{n}".format(
            u=quote(db["USER"] or ""), p=quote(db["PASSWORD"] or ""), h=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432, n=db["NAME"]),
        "LAKSA_ENV": "local",
        # As `make run` serves: DEBUG off, the collected static files (hashed, compressed, cached
        # for good; tests/conftest.py's collect_static keeps them up to date).
        "DEBUG": "0",
        "CONN_MAX_AGE": "0",  # no idle connections left behind when the test flushes the database
        "MEDIA_ROOT": str(tmp / "media"),
        "COMPLAINT_THROTTLE_RATE": "100000/min",
        "LOGIN_FAILURE_LIMIT": "100000",  # every test logs in from 127.0.0.1
        "PYTHONUNBUFFERED": "1",
    })
    log = tmp / "daphne.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "laksa_gis.asgi:application"],
            cwd=BASE_DIR, env=env, stdout=fh, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 40
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/categories/", timeout=2) as r:
                if r.status == 200:
                    break
        except Exception:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"daphne did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    # Beside daphne, as `make run` starts one: a job worker, for the media queue only (the public
    # copies of uploaded photos and videos; the other queues' jobs stay untouched by page tests).
    with open(tmp / "worker.log", "wb") as wh:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "jobs_worker", "--skip-checks", "--queues", "media", "--poll", "0.5"],
            cwd=BASE_DIR, env=env, stdout=wh, stderr=subprocess.STDOUT,
        )
    try:
        yield Server(url, proc, log, worker)
    finally:
        for p in (worker, proc):
            p.terminate()
        for p in (worker, proc):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the test's own ORM calls
    # are still plain synchronous code, so tell Django (only while the browser is up).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield b
            finally:
                b.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class RequestLog:
    """Every request a browser context made, to prove nothing left the machine."""

    def __init__(self, origin: str):
        self.origin = origin
        self.urls: list[str] = []
        tile = urlparse(settings.MAP_TILE_URL.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
        self.tile_host = tile.hostname or ""

    def __call__(self, request):
        self.urls.append(request.url)

    def foreign(self) -> list[str]:
        out = []
        for url in self.urls:
            if url.startswith(("data:", "blob:")) or url.startswith(self.origin + "/"):
                continue
            ws_origin = self.origin.replace("http://", "ws://")
            if url.startswith(ws_origin + "/"):
                continue
            host = urlparse(url).hostname or ""
            if self.tile_host and (host == self.tile_host or host.endswith("." + self.tile_host.split(".", 1)[-1])):
                continue  # background map tiles: allowed to fail without internet
            out.append(url)
        return out


# Every page of every context reports what the content security policy blocked: the
# `securitypolicyviolation` event (added before any page script runs; DevTools-injected, so the
# policy does not block the reporter itself) and Chromium's own console error about it.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class CspLog:
    """The CSP violations seen in one browser context."""

    def __init__(self):
        self.violations: list[str] = []

    def __call__(self, message):
        text = message.text
        if message.type == "error" and ("CSP violation:" in text or "Content Security Policy" in text):
            self.violations.append(f"{message.location.get('url', '')}: {text}")


class Contexts:
    """Makes browser contexts that log their requests and CSP violations."""

    def __init__(self, browser, server):
        self.browser, self.server = browser, server
        self.made: list[tuple] = []

    def __call__(self, *, viewport=PHONE, **kwargs):
        ctx = self.browser.new_context(viewport=viewport, base_url=self.server.url, **kwargs)
        log, csp = RequestLog(self.server.origin), CspLog()
        ctx.on("request", log)
        ctx.add_init_script(CSP_REPORTER)
        ctx.on("console", csp)
        ctx.set_default_timeout(20000)
        self.made.append((ctx, log, csp))
        return ctx

    def csp_violations(self, ctx) -> list[str]:
        """The violations recorded so far in `ctx` (a test that expects one clears the list)."""
        return next(csp.violations for c, _log, csp in self.made if c is ctx)


@pytest.fixture
def contexts(browser, server):
    """Make browser contexts; assert none sent a request off the machine or met a CSP violation.

    The server enforces the same content security policy as production, so an inline script,
    inline event handler or foreign resource added to a page fails the test that loads it.
    """
    made = Contexts(browser, server)
    yield made
    leaks, violations = [], []
    for ctx, log, csp in made.made:
        leaks += log.foreign()
        violations += csp.violations
        ctx.close()
    assert not leaks, f"requests left the machine: {leaks[:10]}"
    assert not violations, f"content security policy violations: {violations[:10]}"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def set_demo_password(username: str, password: str = "laksa-demo") -> None:
    """The test data hashes passwords with MD5 for speed; the server only knows the real hashers."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    user = get_user_model().objects.get(username=username)
    user.password = make_password(password, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])


def login(page, username: str, next_path: str) -> None:
    """Log in through the styled login form, as a person would."""
    set_demo_password(username)
    page.goto(f"/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", "laksa-demo")
    page.click(".lk-login button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def assigned_complaint(crew_name: str, description: str, lonlat=None):
    """A complaint made through the intake service and assigned by the operator to `crew_name`."""
    from django.contrib.auth import get_user_model

    from fieldops.models import Crew
    from fieldops.workflow import complaint_assign
    from tests.conftest import KARAWACI, make_complaint

    complaint = in_thread(make_complaint, lonlat=lonlat or KARAWACI, description=description).complaint
    operator = get_user_model().objects.get(username="operator")
    in_thread(complaint_assign, complaint=complaint, actor=operator, crew=Crew.objects.get(name=crew_name))
    return complaint


def jpeg(color=(90, 120, 160), size=(640, 480)) -> dict:
    from tests.conftest import jpeg_bytes

    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(size=size, color=color)}


def in_thread(fn, /, *args, **kwargs):
    """Run service code (which publishes events with async_to_sync) outside Playwright's loop."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
