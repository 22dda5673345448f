"""Content-Security-Policy on every page, Swagger UI from this server, no-store on health data,
and passwords of 12 characters or more that are not common ones."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from ..conftest import World, bearer_client

pytestmark = pytest.mark.django_db


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


@pytest.mark.parametrize("path", ["/login/", "/api/docs/", "/healthz", "/no-such-page/"])
def test_every_page_has_a_content_security_policy(path: str) -> None:
    policy = _csp(Client().get(path))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no other origin
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy.get("style-src", [])


def test_inline_styles_carry_the_requests_nonce(world: World) -> None:
    client = Client()
    client.force_login(world.pt.user)
    response = client.get("/caseload/")
    assert response.status_code == 200
    html = response.content.decode()
    nonces = set(re.findall(r'<style nonce="([^"]+)">', html))
    assert len(nonces) == 1 and "<style>" not in html
    assert f"'nonce-{nonces.pop()}'" in _csp(response)["style-src"]
    assert "<script>" not in html


def test_swagger_ui_is_served_from_this_server() -> None:
    html = Client().get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "cdn" not in html.lower()
    script = next(s for s in sources if "script" in s)
    response = Client().get(script)
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()


def test_api_answers_with_health_data_are_not_stored(world: World) -> None:
    client = bearer_client(world.pt.user)
    for path in ("/api/v1/sessions/", "/api/v1/me/", f"/api/v1/members/{world.member.pk}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
    assert "no-store" in client.get("/api/v1/sessions/?member=x")["Cache-Control"]  # errors too
    assert "no-store" not in client.get("/api/v1/exercises/").get("Cache-Control", "")


def test_pages_seen_signed_in_are_not_stored(world: World) -> None:
    client = Client()
    client.force_login(world.pt.user)
    assert "no-store" in client.get("/caseload/")["Cache-Control"]


@pytest.mark.parametrize("password", ["Tr0ub4dor&3", "short-pw", "password1234", "123456789012"])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted() -> None:
    validate_password("violet-kettle-harbor-42")
