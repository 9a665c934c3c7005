"""Issue 19: the pages open fast on an emulated slow 3G link (Chrome DevTools' "Slow 3G": 400 ms
round trip, 400 kbit/s each way), on the server set-up that `make run` makes.

Each first visit runs with the browser cache disabled; the bytes on the wire (the sum of
`Network.loadingFinished.encodedDataLength`), the request count and the `load` time go to
artifacts/slow3g-<label>.json (label from SLOW3G_LABEL, "after" by default), the figures behind the
table in docs/BENCHMARKS.md ("Issue 19").
"""

from __future__ import annotations

import json
import os
import re
import time
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import BASE_DIR, PHONE, assigned_complaint, in_thread, login, shot
from tests.conftest import KARAWACI, make_complaint

pytestmark = [pytest.mark.browser]

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
LOAD_BUDGET_S = 3.0
# Bytes on the wire per first visit (docs/WEB.md, "Weight budget").
BUDGET_BYTES = {"/": 120 * 1024, "/lacak/": 100 * 1024, "/sigap/": 150 * 1024}
ARTIFACT = BASE_DIR / "artifacts" / f"slow3g-{os.environ.get('SLOW3G_LABEL', 'after')}.json"


class Wire:
    """Bytes and requests one page load put on the wire, read from the DevTools protocol."""

    def __init__(self, cdp, origin: str):
        self.origin = origin
        self.bytes = 0
        self.requests: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event):
        if event["request"]["url"].startswith(self.origin):  # not the (aborted) map tiles
            self.requests[event["requestId"]] = event["request"]["url"]

    def _finished(self, event):
        self.bytes += int(event["encodedDataLength"])
        url = self.requests.get(event["requestId"], event["requestId"])
        self.sizes[url] = self.sizes.get(url, 0) + int(event["encodedDataLength"])


def _local_only(ctx, origin: str) -> None:
    """Map tiles come from a tile server elsewhere: not ours to weigh (and no internet here)."""
    ctx.route(lambda url: not url.startswith(origin) and not url.startswith(("data:", "blob:")),
              lambda route: route.abort())


def first_visit(ctx, server, path: str, name: str) -> dict:
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    wire = Wire(cdp, server.origin)
    started = time.monotonic()
    page.goto(path, wait_until="load", timeout=60_000)
    wall = time.monotonic() - started
    nav = page.evaluate("""() => { const n = performance.getEntriesByType("navigation")[0];
        return {load: n.loadEventStart, dcl: n.domContentLoadedEventEnd}; }""")
    try:  # the bytes of the whole first visit: what the page fetches after `load` too (its data)
        page.wait_for_load_state("networkidle", timeout=20_000)
    except Exception:  # noqa: BLE001 - a long poll would keep it busy; count what came
        pass
    page.wait_for_timeout(200)
    figures = {
        "page": name, "path": path,
        "load_s": round(nav["load"] / 1000, 2), "dom_content_loaded_s": round(nav["dcl"] / 1000, 2),
        "wall_s": round(wall, 2), "bytes": wire.bytes, "requests": len(wire.requests),
        "by_url": {re.sub(r"^https?://[^/]+", "", u): n for u, n in sorted(wire.sizes.items(), key=lambda kv: -kv[1])},
    }
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    return page, figures


def throttle_service_worker(ctx) -> None:
    """The page's emulated link does not slow its service worker's own fetches: slow them too."""
    browser_cdp = ctx.browser.new_browser_cdp_session()
    workers = [t for t in browser_cdp.send("Target.getTargets")["targetInfos"] if t["type"] == "service_worker"]
    assert workers, "the crew page registered its service worker"
    for n, worker in enumerate(workers):
        session = browser_cdp.send("Target.attachToTarget", {"targetId": worker["targetId"], "flatten": False})["sessionId"]
        for i, (method, params) in enumerate([("Network.enable", {}), ("Network.emulateNetworkConditions", SLOW_3G)]):
            browser_cdp.send("Target.sendMessageToTarget", {"sessionId": session, "message": json.dumps(
                {"id": 1000 * (n + 1) + i, "method": method, "params": params})})


def test_first_visits_on_slow_3g_and_the_crew_page_offline(e2e_db, server, contexts):
    code = assigned_complaint("Tim Sigap PUPR 1", "Lampu jalan mati di depan sekolah").tracking_code
    results = []

    for path, name in [("/", "citizen /"), (f"/lacak/{code}/", "tracking /lacak/<code>/")]:
        ctx = contexts(viewport=PHONE)
        _local_only(ctx, server.origin)
        page, figures = first_visit(ctx, server, path, name)
        results.append(figures)
        page.close()

    # The crew member logs in on a page outside the service worker's scope, so that the first
    # visit to /sigap/ is a real first visit (nothing cached, no service worker yet).
    ctx = contexts(viewport=PHONE)
    _local_only(ctx, server.origin)
    login_page = ctx.new_page()
    login(login_page, "sigap1", "/laporan-saya/")
    login_page.close()
    page, figures = first_visit(ctx, server, "/sigap/", "crew /sigap/")
    results.append(figures)
    page.locator(f'#lk-tickets [data-code="{code}"]').wait_for()
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)") is True
    page.wait_for_timeout(500)

    # Second open on the same slow link: the page comes from the service worker (no round trip)
    # and shows the tickets it last had before the network's list arrives.
    again = ctx.new_page()
    cdp = ctx.new_cdp_session(again)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    throttle_service_worker(ctx)
    started = time.monotonic()
    response = again.goto("/sigap/", wait_until="commit")
    again.locator(f'#lk-tickets [data-code="{code}"]').wait_for()
    figures["second_open_tickets_s"] = round(time.monotonic() - started, 2)
    assert response.from_service_worker, "the page itself must not wait for the network"
    again.close()

    # Second open with no network at all: the service worker's shell and the tickets last seen.
    ctx.set_offline(True)
    again = ctx.new_page()
    again.goto("/sigap/")
    again.locator(f'#lk-tickets [data-code="{code}"]').wait_for(timeout=10_000)
    shot(again, "slow3g-sigap-second-open-offline")
    ctx.set_offline(False)

    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps({"network": SLOW_3G, "pages": results}, indent=2))
    for figures in results:
        print(f"{figures['page']}: {figures['bytes']} B, {figures['requests']} requests, load {figures['load_s']} s",
              figures.get("second_open_tickets_s", ""))
    if os.environ.get("SLOW3G_LABEL", "after") == "after":
        for figures in results:
            assert figures["load_s"] <= LOAD_BUDGET_S, figures
        for figures in results:
            budget = next(v for k, v in BUDGET_BYTES.items() if figures["path"] == k or figures["path"].startswith(k) and k != "/")
            assert figures["bytes"] <= budget, figures


HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
YEAR = 365 * 24 * 3600


def test_every_static_url_is_hashed_cached_for_good_and_compressed(e2e_db, server, contexts):
    """Every static file the pages load (module imports included) has a content hash in its
    name, a year-long immutable Cache-Control and a compressed body for a client that accepts one."""
    import httpx

    created = in_thread(make_complaint, lonlat=KARAWACI, description="Trotoar rusak dekat halte")
    static_urls: set[str] = set()
    ctx = contexts(viewport=PHONE)
    _local_only(ctx, server.origin)
    ctx.on("request", lambda r: static_urls.add(r.url) if urlparse(r.url).path.startswith("/static/") else None)
    page = ctx.new_page()
    for path in ["/", f"/lacak/{created.complaint.tracking_code}/", "/peta/", "/laporan-saya/"]:
        page.goto(path, wait_until="networkidle")
    login(page, "sigap1", "/sigap/")
    page.wait_for_load_state("networkidle")
    paths = sorted({urlparse(u).path for u in static_urls})
    assert any(p.startswith("/static/web/common.") for p in paths), "the module imports are loaded too"
    assert any(p.startswith("/static/vendor/leaflet/") for p in paths)

    unhashed = [p for p in paths if not HASHED.search(p)]
    assert not unhashed, unhashed
    compressible = (".js", ".css", ".svg", ".json")
    with httpx.Client(base_url=server.url) as client:
        for path in paths:
            for encoding in ("br", "gzip"):
                r = client.get(path, headers={"Accept-Encoding": encoding})
                assert r.status_code == 200, path
                cache = [d.strip() for d in r.headers["Cache-Control"].split(",")]
                assert "immutable" in cache and "public" in cache, (path, cache)
                max_age = int(next(d for d in cache if d.startswith("max-age=")).split("=")[1])
                assert max_age >= YEAR, (path, cache)
                if path.endswith(compressible):
                    assert r.headers.get("Content-Encoding") == encoding, (path, encoding, r.headers)
            plain = client.get(path, headers={"Accept-Encoding": "identity"})
            assert "Content-Encoding" not in plain.headers, path
