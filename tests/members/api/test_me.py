"""PATCH /api/v1/me/: own details; a member's new time zone moves their today at once."""

from __future__ import annotations

from datetime import date

from members.models import Member
from tests import factories
from tests.conftest import World, bearer_client


def test_moving_across_the_date_line_moves_today_back_and_forth(world: World) -> None:
    # UTC+14 and UTC-11: 25 hours apart, so their dates always differ.
    member: Member = factories.MemberFactory.create(
        user__organization=world.org, timezone="Pacific/Kiritimati"
    )
    client = bearer_client(member.user)
    east = date.fromisoformat(client.get("/api/v1/today/").json()["date"])
    moved = client.patch("/api/v1/me/", {"timezone": "Pacific/Pago_Pago"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["timezone"] == "Pacific/Pago_Pago"
    west = date.fromisoformat(client.get("/api/v1/today/").json()["date"])
    assert 1 <= (east - west).days <= 2
    client.patch("/api/v1/me/", {"timezone": "Pacific/Kiritimati"}, format="json")
    assert date.fromisoformat(client.get("/api/v1/today/").json()["date"]) == east


def test_patch_ignores_read_only_keys_and_refuses_unknown_ones(world: World) -> None:
    client = bearer_client(world.member.user)
    me = client.get("/api/v1/me/").json()
    sent_back = client.patch("/api/v1/me/", me | {"first_name": "Robin"}, format="json")
    assert sent_back.status_code == 200
    assert sent_back.json()["first_name"] == "Robin"
    assert sent_back.json()["role"] == "member"
    refused = client.patch("/api/v1/me/", {"is_staff": True}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"is_staff"}


def test_an_email_in_use_is_a_409_naming_the_field(world: World) -> None:
    world.pt.user.email = "pt@example.org"
    world.pt.user.save()
    response = bearer_client(world.member.user).patch(
        "/api/v1/me/", {"email": "PT@example.org"}, format="json"
    )
    assert response.status_code == 409
    assert set(response.json()["errors"]) == {"email"}
