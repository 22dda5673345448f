"""Honest logging through the API: every entry of a session states done, partial or skipped;
nothing is taken as done by default, and the session's status must agree with its entries
(adherence counts the session's status)."""

from __future__ import annotations

from typing import Any

import pytest

from members.models import SessionEntry, SessionLog
from members.services import sessions as services
from programs.models import PlanItem
from tests.members.sessions_helpers import entry, local_today, plan_with_items, session_body

from ...conftest import World, bearer_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(world: World) -> list[PlanItem]:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=3)
    return items


def post(world: World, body: dict[str, Any]) -> Any:
    return bearer_client(world.member.user).post("/api/v1/sessions/", body, format="json")


def test_an_entry_without_a_status_is_refused_and_named(world: World, items) -> None:
    body = session_body(world.member, items)
    del body["entries"][1]["status"]
    response = post(world, body)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert list(errors) == ["entries[1].status"], errors
    assert "done, partial, skipped" in " ".join(errors["entries[1].status"])
    assert not SessionLog.objects.exists()


@pytest.mark.parametrize("bad", [None, "", "yes", "completed", True])
def test_an_entry_status_outside_the_three_is_refused(world: World, items, bad: Any) -> None:
    body = session_body(world.member, items)
    body["entries"][0]["status"] = bad
    response = post(world, body)
    assert response.status_code == 400
    assert "entries[0].status" in response.json()["errors"]


def test_the_service_refuses_an_entry_without_a_status_too(world: World, items) -> None:
    with pytest.raises(services.ValidationError) as caught:
        services.log_session(
            member=world.member,
            local_date=local_today(world.member),
            status="completed",
            entries=[services.EntryInput(plan_item=items[0].pk, status="", sets_done=2)],
        )
    assert "entries[0].status" in caught.value.message_dict


def test_each_stated_status_is_stored_and_done_follows_it(world: World, items) -> None:
    body = session_body(
        world.member,
        items,
        status="partial",
        entries=[
            entry(items[0], status="done"),
            entry(items[1], status="partial", reps_done=6),
            {"plan_item": items[2].pk, "status": "skipped"},
        ],
    )
    response = post(world, body)
    assert response.status_code == 201, response.content
    assert [(e["status"], e["done"]) for e in response.json()["entries"]] == [
        ("done", True),
        ("partial", True),
        ("skipped", False),
    ]
    stored = SessionEntry.objects.order_by("id").values_list("status", "done")
    assert list(stored) == [("done", True), ("partial", True), ("skipped", False)]


def test_done_contradicting_the_status_is_refused(world: World, items) -> None:
    body = session_body(world.member, items[:1])
    body["entries"][0] |= {"status": "skipped", "done": True}
    body["status"] = "skipped"
    response = post(world, body)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("session_status", "entry_statuses"),
    [
        ("completed", ["done", "partial"]),  # not everything was done in full
        ("completed", ["done", "skipped"]),
        ("partial", ["skipped", "skipped"]),  # nothing was done at all
    ],
)
def test_the_session_status_must_say_what_the_entries_say(
    world: World, items, session_status: str, entry_statuses: list[str]
) -> None:
    body = session_body(
        world.member,
        items[:2],
        status=session_status,
        entries=[entry(i, status=s) for i, s in zip(items, entry_statuses, strict=False)],
    )
    response = post(world, body)
    assert response.status_code == 400, response.content
    assert "status" in response.json()["errors"]
    assert not SessionLog.objects.exists()


def test_a_skipped_session_may_list_its_exercises_as_skipped(world: World, items) -> None:
    body = session_body(
        world.member,
        items,
        status="skipped",
        pain_before=None,
        pain_after=None,
        entries=[{"plan_item": i.pk, "status": "skipped"} for i in items],
    )
    assert post(world, body).status_code == 201
    body = session_body(
        world.member, items[:1], status="skipped", entries=[entry(items[0], status="partial")]
    )
    response = post(world, body)
    assert response.status_code == 400
    assert "entries" in response.json()["errors"]


def test_adherence_counts_only_what_was_stated_done(world: World, items) -> None:
    """A day on which every exercise was stated skipped is logged as skipped and credits
    nothing; a day with one partly done credits the session."""
    from members.models import AdherenceDay

    today = local_today(world.member)
    skipped = session_body(
        world.member,
        items,
        status="skipped",
        entries=[{"plan_item": i.pk, "status": "skipped"} for i in items],
    )
    assert post(world, skipped).status_code == 201
    assert AdherenceDay.objects.get(member=world.member, date=today).done == 0
    partly = session_body(
        world.member,
        items,
        status="partial",
        entries=[
            entry(items[0], status="partial", reps_done=5),
            *({"plan_item": i.pk, "status": "skipped"} for i in items[1:]),
        ],
    )
    assert post(world, partly).status_code == 201
    assert AdherenceDay.objects.get(member=world.member, date=today).done == 1


def test_a_correction_cannot_call_a_skipped_exercise_completed(world: World, items) -> None:
    body = session_body(
        world.member,
        items[:2],
        status="partial",
        entries=[entry(items[0]), {"plan_item": items[1].pk, "status": "skipped"}],
    )
    created = post(world, body).json()
    response = bearer_client(world.member.user).patch(
        f"/api/v1/sessions/{created['id']}/", {"status": "completed"}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()["errors"]
