"""Swagger UI at /api/docs/ works under the Content-Security-Policy, from this server's files."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_the_schema_from_local_files(page: Any, live_server: Any) -> None:
    origins: set[str] = set()
    page.on("request", lambda request: origins.add(request.url.split("/")[2]))
    page.goto("/api/docs/")
    expect(page.get_by_text("Home exercise program tracker API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert origins == {live_server.url.split("/")[2]}
