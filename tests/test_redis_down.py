"""Redis down while members log and PTs read: no request fails. The API's rate limits are not
applied while the cache is unreachable (logged), pages and the API answer from the database,
and /healthz answers 200 naming Redis as the broker and the cache that do not answer."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings

from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import plan_with_items, session_body


def _dead_redis_url() -> str:
    """A port nothing listens on: connections are refused, as when Redis has stopped."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def redis_down() -> Iterator[str]:
    url = _dead_redis_url()
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "et",
        }
    }
    with override_settings(REDIS_URL=url, CACHES=caches):
        yield url


@pytest.mark.django_db
def test_members_log_and_pts_read_while_redis_is_down(
    world: World, redis_down: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    member_api = bearer_client(world.member.user)
    created = member_api.post("/api/v1/sessions/", session_body(world.member, items), format="json")
    assert created.status_code == 201, created.content
    assert member_api.get("/api/v1/sessions/").status_code == 200

    pt_api = bearer_client(world.pt.user)
    listed = pt_api.get(f"/api/v1/sessions/?member={world.member.pk}")
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["results"]] == [created.json()["id"]]

    pt_pages = Client()
    pt_pages.force_login(world.pt.user)
    assert pt_pages.get("/caseload/").status_code == 200
    member_pages = Client()
    member_pages.force_login(world.member.user)
    assert member_pages.get("/today/").status_code == 200

    health = Client().get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["checks"]["database"] == "ok"
    assert body["status"] == "degraded"
    assert {"broker (redis)", "cache (redis)"} <= set(body["unavailable"])
    # The API's rate limit met the dead cache and let the requests through.
    assert "rate limit not applied: cache unavailable" in caplog.text
