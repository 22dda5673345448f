"""Integers from a query or a body: ASCII digits of bounded length, else a 400 naming them."""

from __future__ import annotations

import pytest

from ..conftest import World, bearer_client

pytestmark = pytest.mark.django_db

BAD = ["²", "١٢", "\uff11\uff12", "1" * 5000, " 1", "1\n", "+1", "-1", "1.0", "0x10", "1_000", ""]


@pytest.mark.parametrize("raw", BAD)
def test_session_list_member_is_a_400_naming_it(world: World, raw: str) -> None:
    response = bearer_client(world.pt.user).get("/api/v1/sessions/", {"member": raw})
    assert response.status_code == 400, response.content
    assert "member" in response.json()["errors"]


@pytest.mark.parametrize("raw", ["²", "1" * 5000, "٣"])
def test_plan_list_member_and_page_size(world: World, raw: str) -> None:
    client = bearer_client(world.pt.user)
    for name in ("member", "page_size"):
        response = client.get("/api/v1/plans/", {name: raw})
        assert response.status_code == 400, (name, response.content)
        assert name in response.json()["errors"]


def test_parse_int() -> None:
    from exercise_tracker.integers import parse_int

    assert parse_int("42") == 42
    assert parse_int(42) == 42
    assert parse_int("٤٢") is None
    assert parse_int("²") is None
    assert parse_int(True) is None
    assert parse_int("9" * 20) is None
    assert parse_int("-3", low=-10) == -3
    assert parse_int("-3") is None
    assert parse_int(2**63) is None


@pytest.mark.parametrize("raw", ["²", "٣", "1" * 5000])
def test_plan_item_exercise_ids_are_400_naming_the_item(world: World, raw: str) -> None:
    body = {
        "member": world.member.pk,
        "title": "Program",
        "start_date": "2025-03-03",
        "status": "active",
        "items": [{"exercise": raw, "sets": 2}],
    }
    response = bearer_client(world.pt.user).post("/api/v1/plans/", body, format="json")
    assert response.status_code == 400, response.content
    assert any("items" in key for key in response.json()["errors"]), response.json()


@pytest.mark.parametrize("raw", ["²", "٣", "1" * 5000, True, 1.5])
def test_body_member_ids_are_strict(world: World, raw: object) -> None:
    body = {"member": raw, "title": "Program", "start_date": "2025-03-03", "items": []}
    response = bearer_client(world.pt.user).post("/api/v1/plans/", body, format="json")
    assert response.status_code == 400, response.content
    assert "member" in response.json()["errors"]
