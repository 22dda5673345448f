"""/api/v1/invitations/: listing by scope and status, inviting staff, resend and revoke, and
accepting (400 for an unknown token, 410 for a used, expired or revoked one, throttled)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from members.models import Invitation
from members.services.enrolment import enroll_member
from members.services.invitations import invite_staff

from ...conftest import World, bearer_client

PASSWORD = "a long walk by the river"
ACCEPT = "/api/v1/invitations/accept/"


def _enrolled(world: World, by=None, email="rosa@example.org"):
    return enroll_member(
        by=by or world.pt.user, first_name="Rosa", last_name="Diaz", email=email
    ).issued


def _accept(token: str, **overrides):
    body = {"token": token, "password": PASSWORD, "consents": {"terms": True, "monitoring": True}}
    body.update(overrides)
    return APIClient().post(ACCEPT, body, format="json")


@pytest.mark.django_db
def test_a_pt_lists_only_their_caseloads_invitations_a_coordinator_all(world: World) -> None:
    mine = _enrolled(world)
    theirs = _enrolled(world, by=world.pt_other.user, email="b@example.org")
    staff = invite_staff(
        by=world.coordinator, role="therapist", email="n@example.org", first_name="N", last_name="H"
    )
    _enrolled(world, by=world.foreign_pt.user, email="f@example.org")

    def ids(user) -> set[int]:
        rows = bearer_client(user).get("/api/v1/invitations/").json()["results"]
        return {row["id"] for row in rows}

    assert ids(world.pt.user) == {mine.invitation.pk}
    assert ids(world.pt_other.user) == {theirs.invitation.pk}
    assert ids(world.coordinator) == {mine.invitation.pk, theirs.invitation.pk, staff.invitation.pk}
    rows = bearer_client(world.coordinator).get("/api/v1/invitations/").json()["results"]
    for row in rows:
        assert "accept_url" not in row and "token_hash" not in row


@pytest.mark.django_db
def test_the_list_filters_by_status_and_kind(world: World) -> None:
    pending = _enrolled(world)
    expired = _enrolled(world, email="old@example.org")
    Invitation.objects.filter(pk=expired.invitation.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    client = bearer_client(world.coordinator)

    def statuses(query: str) -> list[tuple[int, str]]:
        rows = client.get(f"/api/v1/invitations/{query}").json()["results"]
        return [(row["id"], row["status"]) for row in rows]

    assert statuses("?status=pending") == [(pending.invitation.pk, "pending")]
    assert statuses("?status=expired") == [(expired.invitation.pk, "expired")]
    assert statuses("?status=accepted") == []
    assert statuses("?kind=staff") == []
    assert client.get("/api/v1/invitations/?status=lost").status_code == 400


@pytest.mark.django_db
def test_a_coordinator_invites_a_pt_who_accepts_and_signs_in(world: World) -> None:
    client = bearer_client(world.coordinator)
    response = client.post(
        "/api/v1/invitations/",
        {"role": "therapist", "email": "noor@example.org", "first_name": "Noor", "last_name": "H"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "staff" and body["role"] == "therapist" and body["member"] is None
    token = body["accept_url"].rstrip("/").rsplit("/", 1)[1]
    accepted = _accept(token, consents={"terms": True})
    assert accepted.status_code == 200, accepted.content
    username = accepted.json()["username"]
    login = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200
    again = client.post(
        "/api/v1/invitations/",
        {"role": "therapist", "email": "NOOR@example.org", "first_name": "N", "last_name": "H"},
        format="json",
    )
    assert again.status_code == 409
    assert list(again.json()["errors"]) == ["email"]


@pytest.mark.django_db
def test_staff_invitations_refuse_member_roles_and_unknown_fields(world: World) -> None:
    client = bearer_client(world.coordinator)
    body: dict[str, Any] = {
        "role": "member",
        "email": "x@example.org",
        "first_name": "X",
        "last_name": "Y",
    }
    response = client.post("/api/v1/invitations/", body, format="json")
    assert response.status_code == 400 and "role" in response.json()["errors"]
    body = {**body, "role": "coordinator", "organization": world.other_org.pk}
    response = client.post("/api/v1/invitations/", body, format="json")
    assert response.status_code == 400  # not a field of an invitation


@pytest.mark.django_db
def test_a_member_accepts_then_signs_in_with_their_email(world: World) -> None:
    issued = _enrolled(world)
    response = _accept(issued.token, consents={"terms": True, "monitoring": False})
    assert response.status_code == 200, response.content
    assert response.json() == {"username": "rosa.diaz"}
    login = APIClient().post(
        "/api/v1/auth/token/", {"username": "rosa@example.org", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200, login.content
    assert {"access", "refresh"} <= set(login.json())


@pytest.mark.django_db
def test_used_expired_and_revoked_links_answer_410_and_unknown_400(world: World) -> None:
    used = _enrolled(world)
    assert _accept(used.token).status_code == 200
    second = _accept(used.token)
    assert second.status_code == 410
    assert "already used" in second.json()["detail"]
    assert "Rosa" not in second.content.decode()

    expired = _enrolled(world, email="e@example.org")
    Invitation.objects.filter(pk=expired.invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = _accept(expired.token)
    assert response.status_code == 410 and "expired" in response.json()["detail"]

    revoked = _enrolled(world, email="r@example.org")
    assert (
        bearer_client(world.pt.user)
        .post(f"/api/v1/invitations/{revoked.invitation.pk}/revoke/")
        .json()["status"]
        == "revoked"
    )
    response = _accept(revoked.token)
    assert response.status_code == 410 and set(response.json()) == {"detail", "errors"}

    unknown = _accept("x" * 43)
    assert unknown.status_code == 400 and "token" in unknown.json()["errors"]


@pytest.mark.django_db
def test_a_weak_password_or_missing_consent_is_a_400_and_the_link_still_works(
    world: World,
) -> None:
    issued = _enrolled(world)
    weak = _accept(issued.token, password="rosadiaz")
    assert weak.status_code == 400 and "password" in weak.json()["errors"]
    no_terms = _accept(issued.token, consents={"terms": False, "monitoring": True})
    assert no_terms.status_code == 400 and "consents" in no_terms.json()["errors"]
    assert _accept(issued.token).status_code == 200


@pytest.mark.django_db
def test_resend_answers_a_new_link_and_the_old_one_stops_working(world: World) -> None:
    issued = _enrolled(world)
    response = bearer_client(world.pt.user).post(
        f"/api/v1/invitations/{issued.invitation.pk}/resend/"
    )
    assert response.status_code == 200
    new_url = response.json()["accept_url"]
    assert issued.token not in new_url
    assert _accept(issued.token).status_code == 400
    assert _accept(new_url.rstrip("/").rsplit("/", 1)[1]).status_code == 200
    closed = bearer_client(world.pt.user).post(
        f"/api/v1/invitations/{issued.invitation.pk}/resend/"
    )
    assert closed.status_code == 409


@pytest.mark.django_db
def test_accepting_is_throttled_per_token_and_per_address(world: World, settings) -> None:
    cache.clear()
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **rates,
            "invitation_accept": "6/min",
            "invitation_accept_token": "3/min",
        },
    }
    issued = _enrolled(world)
    answers = [_accept(issued.token, password="short").status_code for _ in range(4)]
    assert answers == [400, 400, 400, 429]
    # The right password is refused too while the token is throttled.
    assert _accept(issued.token).status_code == 429
    # Another token from the same address: the address has one try left in the minute.
    other = _enrolled(world, email="o@example.org")
    assert _accept(other.token, password="short").status_code == 400
    assert _accept(other.token, password="short").status_code == 429
    cache.clear()


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_few_or_many(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = bearer_client(world.coordinator)
    client.get("/api/v1/me/")  # the sign-in cached (no user query after), as on every request

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/invitations/").status_code == 200
        return len(queries)

    _enrolled(world, email="a0@example.org")
    few = count()
    for n in range(1, 8):
        _enrolled(world, email=f"a{n}@example.org")
    assert count() == few
