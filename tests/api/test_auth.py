"""The API's front door: tokens, refresh, logout, /me/, and the audit of logins."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from exercise_tracker.models import AuditAction, AuditEvent
from tests import factories
from tests.conftest import World, bearer_client

pytestmark = pytest.mark.django_db


def _login(client: APIClient, username: str, password: str = factories.PASSWORD):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_token_pair_then_me_with_bearer(world: World, api_client: APIClient) -> None:
    response = _login(api_client, "member")
    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = api_client.get("/api/v1/me/").json()
    assert me == {
        "id": world.member.user.pk,
        "username": "member",
        "display_name": world.member.user.display_name,
        "role": "member",
        "organization": {"id": world.org.pk, "name": "North Clinic"},
        "first_name": world.member.user.first_name,
        "last_name": world.member.user.last_name,
        "email": world.member.user.email,
        "phone": "",
        "timezone": "America/New_York",
        "language": "en",
        "member_id": world.member.pk,
    }


def test_me_for_staff_roles_has_no_member_id(world: World) -> None:
    me = bearer_client(world.pt.user).get("/api/v1/me/").json()
    assert me["role"] == "therapist"
    assert "member_id" not in me
    staff = bearer_client(world.staff).get("/api/v1/me/").json()
    assert staff["organization"] is None
    assert staff["timezone"] == "UTC"


def test_me_costs_one_query(world: World, django_assert_max_num_queries) -> None:
    client = bearer_client(world.member.user)
    with django_assert_max_num_queries(1):
        assert client.get("/api/v1/me/").status_code == 200


def test_refresh_gives_new_access(world: World, api_client: APIClient) -> None:
    refresh = _login(api_client, "pt").json()["refresh"]
    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert response.status_code == 200
    assert "access" in response.json()


def test_logout_blacklists_refresh(world: World, api_client: APIClient) -> None:
    refresh = _login(api_client, "pt").json()["refresh"]
    assert (
        api_client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json").status_code
        == 204
    )
    again = api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert again.status_code == 401


def test_wrong_password_is_401_and_audited(world: World, api_client: APIClient) -> None:
    response = _login(api_client, "member", "wrong")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILURE)
    assert event.username == "member"
    assert event.outcome == "failure"


def test_successful_login_is_audited_once(world: World, api_client: APIClient) -> None:
    _login(api_client, "coordinator")
    events = AuditEvent.objects.filter(action=AuditAction.LOGIN_SUCCESS)
    assert [(e.username, e.role) for e in events] == [("coordinator", "coordinator")]


def test_missing_fields_name_them(api_client: APIClient, db: None) -> None:
    response = api_client.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_refuses_even_the_right_password(world: World, api_client: APIClient) -> None:
    for _ in range(3):
        _login(api_client, "member", "wrong")
    locked = _login(api_client, "member")
    assert locked.status_code == 429
    assert "Too many failed login attempts" in locked.json()["detail"]
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED).exists()


def test_invalid_bearer_is_401(api_client: APIClient, db: None) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}
