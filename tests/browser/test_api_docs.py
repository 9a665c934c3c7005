"""The API docs render from the app's own files: Swagger UI comes from drf-spectacular-sidecar."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP

pytestmark = [pytest.mark.browser]


def test_api_docs_render_with_every_request_served_by_the_app(e2e_db, server, contexts):
    ctx = contexts(viewport=DESKTOP)
    page = ctx.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/api/docs/")
    # Swagger UI has fetched the schema and drawn the operations.
    page.locator(".swagger-ui .info .title", has_text="LAKSA-GIS API").wait_for()
    page.locator(".opblock").first.wait_for()
    assert any(url.endswith("/api/schema/") for url in requests)
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in requests)
    assert [url for url in requests if not url.startswith(server.origin + "/")] == []
