"""POST, GET and PATCH /api/v1/sessions/: validation that names fields, the item version in
force, retries that never double, corrections on the day, scoping, and query counts."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exercise_tracker.idempotency import REPLAYED_HEADER
from exercise_tracker.models import AuditEvent
from members.models import SessionEntry, SessionLog
from programs.models import PlanItem
from programs.services.plans import revise_plan
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import entry, local_today, plan_with_items, session_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(world: World) -> list[PlanItem]:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=3)
    return items


def post(world: World, body: dict, **headers: Any):
    client = bearer_client(world.member.user)
    return client.post("/api/v1/sessions/", body, format="json", **headers)


# --- logging ---------------------------------------------------------------------------------


def test_member_logs_a_session_with_entries(world: World, items: list[PlanItem]) -> None:
    body = session_body(world.member, items)
    body["entries"][1] |= {"side": "left", "pain": 2, "hold_seconds_done": 5}
    response = post(world, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["date"] == body["date"]
    assert data["client_id"] == body["client_id"]
    assert data["member"] == world.member.pk
    assert (data["status"], data["pain_before"], data["pain_after"], data["rpe"]) == (
        "completed",
        4,
        3,
        4,
    )
    assert [e["plan_item"] for e in data["entries"]] == [i.pk for i in items]
    second = data["entries"][1]
    assert second["exercise"] == {"id": items[1].exercise_id, "name": items[1].exercise.name}
    assert (second["side"], second["pain"], second["hold_seconds_done"]) == ("left", 2, 5)
    assert second["prescribed"] == {
        "sets": 2,
        "reps": 10,
        "hold_seconds": None,
        "duration_seconds": None,
        "side": "both",
    }
    session = SessionLog.objects.get(pk=data["id"])
    assert session.local_date == local_today(world.member)
    assert SessionEntry.objects.filter(session=session).count() == 3


def test_a_skipped_session_needs_no_entries(world: World, items: list[PlanItem]) -> None:
    body = session_body(world.member, items, status="skipped", entries=[], pain_before=None)
    body |= {"pain_after": None, "rpe": None}
    response = post(world, body)
    assert response.status_code == 201, response.content
    assert response.json()["entries"] == []


def test_a_skipped_session_with_exercises_done_is_refused(
    world: World, items: list[PlanItem]
) -> None:
    response = post(world, session_body(world.member, items, status="skipped"))
    assert response.status_code == 400
    assert "entries" in response.json()["errors"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pain_before": 11}, "pain_before"),
        ({"pain_after": -1}, "pain_after"),
        ({"rpe": 12}, "rpe"),
        ({"rpe": "hard"}, "rpe"),
        ({"status": "done"}, "status"),
        ({"notes": "x" * 2001}, "notes"),
        ({"date": "yesterday"}, "date"),
        ({"date": None}, "date"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"entries": "all of them"}, "entries"),
    ],
)
def test_bad_session_fields_are_named(
    world: World, items: list[PlanItem], change: dict, field: str
) -> None:
    response = post(world, session_body(world.member, items) | change)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert field in body["errors"], body
    assert not SessionLog.objects.exists()


@pytest.mark.parametrize(
    ("fields", "name", "words"),
    [
        ({"reps_done": 21}, "reps_done", "twice"),  # prescribed 10
        ({"sets_done": 5}, "sets_done", "twice"),  # prescribed 2
        ({"reps_done": -1}, "reps_done", "0 or more"),
        ({"reps_done": "12"}, "reps_done", "whole number"),
        ({"reps_done": True}, "reps_done", "whole number"),
        ({"pain": 11}, "pain", "0 to 10"),
        ({"feedback": "meh"}, "feedback", "too_hard"),
        ({"side": "up"}, "side", "alternating"),
        ({"done": "yes"}, "done", "true or false"),
        ({"hold_seconds_done": 601}, "hold_seconds_done", "0 to 600"),
        ({"weight": 3}, "", "Unknown field"),
    ],
)
def test_bad_entry_fields_are_named_with_their_index(
    world: World, items: list[PlanItem], fields: dict, name: str, words: str
) -> None:
    body = session_body(world.member, items)
    body["entries"][2] |= fields
    response = post(world, body)
    assert response.status_code == 400, response.content
    key = f"entries[2].{name}" if name else "entries[2]"
    errors = response.json()["errors"]
    assert key in errors, errors
    assert words in " ".join(errors[key])
    assert not SessionLog.objects.exists()


def test_exactly_twice_the_prescription_is_accepted(world: World, items: list[PlanItem]) -> None:
    body = session_body(world.member, items)
    body["entries"][0] |= {"sets_done": 4, "reps_done": 20}
    assert post(world, body).status_code == 201


def test_another_members_plan_item_is_a_400_on_that_field(world: World, items) -> None:
    _, theirs = plan_with_items(pt=world.pt_other, member=world.other_member, n=1)
    _, foreign = plan_with_items(pt=world.foreign_pt, member=world.foreign_member, n=1)
    body = session_body(world.member, items)
    body["entries"][1] = entry(theirs[0])
    body["entries"].append(entry(foreign[0]))
    body["entries"].append(entry(items[0]) | {"plan_item": 2**62})
    response = post(world, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["entries[1].plan_item"] == ["No item of your plan has this id."]
    assert errors["entries[3].plan_item"] == ["No item of your plan has this id."]
    assert errors["entries[4].plan_item"] == ["No item of your plan has this id."]
    assert "entries[0].plan_item" not in errors
    assert not SessionLog.objects.exists()


def test_the_same_item_twice_in_a_session_is_refused(world: World, items) -> None:
    body = session_body(world.member, items)
    body["entries"].append(entry(items[0]))
    response = post(world, body)
    assert response.status_code == 400
    assert "already in this session" in response.json()["errors"]["entries[3].plan_item"][0]


# --- dates in the member's time zone ---------------------------------------------------------


def test_dates_in_the_future_or_more_than_a_week_back_are_refused(world: World, items) -> None:
    today = local_today(world.member)
    future = post(world, session_body(world.member, items, day=today + timedelta(days=1)))
    assert future.status_code == 400
    assert "future" in future.json()["errors"]["date"][0]
    old = post(world, session_body(world.member, items, day=today - timedelta(days=8)))
    assert old.status_code == 400
    assert "7 days" in old.json()["errors"]["date"][0]
    week = post(world, session_body(world.member, items, day=today - timedelta(days=7)))
    assert week.status_code == 201, week.content


# --- the item version in force on the session's date -----------------------------------------


def test_entries_point_at_the_version_in_force_on_the_sessions_date(world: World) -> None:
    today = local_today(world.member)
    plan, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=2,
        start=today - timedelta(days=20),
        at=datetime.combine(today - timedelta(days=20), time(12), tzinfo=world.member.tz),
    )
    # Three days ago the PT progressed the first item's reps: a new version from then on.
    revise_plan(
        user=world.pt.user,
        plan=plan,
        reason="Progress",
        items=[{"id": items[0].pk, "reps": 12}, {"id": items[1].pk}],
        at=datetime.combine(today - timedelta(days=3), time(12), tzinfo=world.member.tz),
    )
    current = PlanItem.objects.get(plan=plan, key=items[0].key, valid_to_revision__isnull=True)
    assert current.pk != items[0].pk and current.reps == 12

    # Logging five days back with today's id stores the old version (10 reps then).
    old_day = post(
        world,
        session_body(world.member, [current], day=today - timedelta(days=5)),
    )
    assert old_day.status_code == 201, old_day.content
    assert old_day.json()["entries"][0]["plan_item"] == items[0].pk
    assert old_day.json()["entries"][0]["prescribed"]["reps"] == 10
    # Today with the old id stores today's version, and its limit (twice 12) applies.
    body = session_body(world.member, [items[0]])
    body["entries"][0]["reps_done"] = 24
    now = post(world, body)
    assert now.status_code == 201, now.content
    assert now.json()["entries"][0]["plan_item"] == current.pk


def test_an_item_removed_from_the_plan_is_refused_after_its_removal(world: World) -> None:
    today = local_today(world.member)
    plan, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=2,
        start=today - timedelta(days=20),
        at=datetime.combine(today - timedelta(days=20), time(12), tzinfo=world.member.tz),
    )
    revise_plan(
        user=world.pt.user,
        plan=plan,
        reason="Drop the second",
        items=[{"id": items[0].pk}],
        at=datetime.combine(today - timedelta(days=2), time(12), tzinfo=world.member.tz),
    )
    response = post(world, session_body(world.member, items))
    assert response.status_code == 400
    assert "not in your plan" in response.json()["errors"]["entries[1].plan_item"][0]
    earlier = post(world, session_body(world.member, items, day=today - timedelta(days=4)))
    assert earlier.status_code == 201, earlier.content


# --- never doubled ---------------------------------------------------------------------------


def test_a_retry_with_the_same_client_id_returns_the_first_session(world, items) -> None:
    body = session_body(world.member, items)
    first = post(world, body)
    again = post(world, body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["entries"] == first.json()["entries"]
    assert SessionLog.objects.count() == 1
    assert SessionEntry.objects.count() == 3


def test_the_same_client_id_with_other_content_is_a_409(world, items) -> None:
    body = session_body(world.member, items)
    assert post(world, body).status_code == 201
    other = post(world, body | {"pain_after": 2})
    assert other.status_code == 409
    assert "client_id" in other.json()["detail"]
    assert SessionLog.objects.count() == 1


def test_client_ids_are_per_member(world: World, items) -> None:
    _, theirs = plan_with_items(pt=world.pt_other, member=world.other_member, n=1)
    body = session_body(world.member, items)
    assert post(world, body).status_code == 201
    other = bearer_client(world.other_member.user).post(
        "/api/v1/sessions/",
        session_body(world.other_member, theirs, client_id=body["client_id"]),
        format="json",
    )
    assert other.status_code == 201
    assert SessionLog.objects.count() == 2


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(world, items) -> None:
    key = str(uuid.uuid4())
    body = session_body(world.member, items)
    first = post(world, body, HTTP_IDEMPOTENCY_KEY=key)
    again = post(world, body, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again[REPLAYED_HEADER] == "true"
    # A new client_id under the same key is another request: 409, nothing stored.
    other = post(world, body | {"client_id": str(uuid.uuid4())}, HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 409
    assert SessionLog.objects.count() == 1


def test_a_refused_body_does_not_burn_the_key(world: World, items) -> None:
    key = str(uuid.uuid4())
    body = session_body(world.member, items)
    assert post(world, body | {"rpe": 40}, HTTP_IDEMPOTENCY_KEY=key).status_code == 400
    assert post(world, body, HTTP_IDEMPOTENCY_KEY=key).status_code == 201


def test_a_retry_after_the_week_still_finds_its_session(world: World, items) -> None:
    body = session_body(world.member, items)
    first = post(world, body)
    SessionLog.objects.filter(pk=first.json()["id"]).update(
        local_date=local_today(world.member) - timedelta(days=9)
    )
    late = post(world, body | {"date": (local_today(world.member) - timedelta(days=9)).isoformat()})
    assert late.status_code == 200
    assert late.json()["id"] == first.json()["id"]


# --- reading --------------------------------------------------------------------------------


def _log(world: World, member, items, day, **fields) -> int:
    client = bearer_client(member.user)
    response = client.post(
        "/api/v1/sessions/", session_body(member, items, day=day, **fields), format="json"
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_member_lists_own_sessions_filtered_by_dates(world: World, items) -> None:
    today = local_today(world.member)
    ids = [_log(world, world.member, items, today - timedelta(days=d)) for d in (0, 2, 4)]
    _, theirs = plan_with_items(pt=world.pt_other, member=world.other_member, n=1)
    _log(world, world.other_member, theirs, local_today(world.other_member))
    client = bearer_client(world.member.user)
    listed = client.get("/api/v1/sessions/").json()
    assert [r["id"] for r in listed["results"]] == ids
    window = client.get(
        "/api/v1/sessions/",
        {"from": (today - timedelta(days=3)).isoformat(), "to": today.isoformat()},
    ).json()
    assert [r["id"] for r in window["results"]] == ids[:2]
    assert client.get("/api/v1/sessions/", {"from": "soon"}).status_code == 400


def test_pt_reads_the_caseload_and_filters_by_member_audited(world: World, items) -> None:
    mine = _log(world, world.member, items, local_today(world.member))
    _, theirs = plan_with_items(pt=world.pt_other, member=world.other_member, n=1)
    _log(world, world.other_member, theirs, local_today(world.other_member))
    client = bearer_client(world.pt.user)
    before = AuditEvent.objects.count()
    listed = client.get("/api/v1/sessions/", {"member": world.member.pk}).json()
    assert [r["id"] for r in listed["results"]] == [mine]
    assert AuditEvent.objects.count() == before + 1
    assert client.get("/api/v1/sessions/", {"member": world.other_member.pk}).status_code == 400
    assert client.get(f"/api/v1/sessions/{mine}/").status_code == 200
    coordinator = bearer_client(world.coordinator)
    assert coordinator.get("/api/v1/sessions/").status_code == 404
    assert coordinator.get(f"/api/v1/sessions/{mine}/").status_code == 404
    assert bearer_client(world.pt_other.user).get(f"/api/v1/sessions/{mine}/").status_code == 404


# --- corrections on the day ------------------------------------------------------------------


def test_member_corrects_todays_session(world: World, items) -> None:
    session_id = _log(world, world.member, items, local_today(world.member))
    client = bearer_client(world.member.user)
    response = client.patch(
        f"/api/v1/sessions/{session_id}/",
        {"pain_after": 2, "status": "partial", "entries": [entry(items[0], reps_done=8)]},
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["pain_after"], data["status"], data["pain_before"]) == (2, "partial", 4)
    assert [(e["plan_item"], e["reps_done"]) for e in data["entries"]] == [(items[0].pk, 8)]
    assert SessionEntry.objects.filter(session_id=session_id).count() == 1
    bad = client.patch(f"/api/v1/sessions/{session_id}/", {"rpe": 11}, format="json")
    assert bad.status_code == 400 and "rpe" in bad.json()["errors"]
    moved = client.patch(f"/api/v1/sessions/{session_id}/", {"date": "2020-01-01"}, format="json")
    assert moved.status_code == 400 and "date" in moved.json()["errors"]


def test_yesterdays_session_cannot_be_corrected(world: World, items) -> None:
    session_id = _log(world, world.member, items, local_today(world.member) - timedelta(days=1))
    response = bearer_client(world.member.user).patch(
        f"/api/v1/sessions/{session_id}/", {"pain_after": 1}, format="json"
    )
    assert response.status_code == 400
    assert "on the day" in response.json()["detail"]
    assert SessionLog.objects.get(pk=session_id).pain_after == 3


def test_only_the_member_corrects_and_others_get_403_or_404(world: World, items) -> None:
    session_id = _log(world, world.member, items, local_today(world.member))
    path = f"/api/v1/sessions/{session_id}/"
    assert bearer_client(world.pt.user).patch(path, {"rpe": 1}, format="json").status_code == 403
    for user in (world.other_member.user, world.coordinator, world.foreign_pt.user):
        assert bearer_client(user).patch(path, {"rpe": 1}, format="json").status_code == 404
    assert SessionLog.objects.get(pk=session_id).rpe == 4


def test_a_member_cannot_move_a_session_to_another_member(world: World, items) -> None:
    session_id = _log(world, world.member, items, local_today(world.member))
    bearer_client(world.member.user).patch(
        f"/api/v1/sessions/{session_id}/",
        {"member": world.other_member.pk, "client_id": str(uuid.uuid4()), "notes": "ok"},
        format="json",
    )
    session = SessionLog.objects.get(pk=session_id)
    assert session.member_id == world.member.pk
    assert session.notes == "ok"


# --- a fixed number of queries whatever the number of entries --------------------------------


@pytest.mark.parametrize("with_key", [False, True])
def test_post_costs_the_same_queries_for_1_or_12_entries(world: World, with_key: bool) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=12)
    client = bearer_client(world.member.user)
    client.get("/api/v1/me/")  # the sign-in cached (no user query after), as on every request
    counts = []
    for n in (1, 12):
        headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())} if with_key else {}
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/sessions/",
                session_body(world.member, items[:n]),
                format="json",
                **headers,
            )
        assert response.status_code == 201, response.content
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    # 16 (22 with an Idempotency-Key's record, written in the work's transaction: that
    # transaction's savepoint and release count here, inside the test's), 4 of them keeping the
    # adherence roll-ups current and 1 the audit row.
    assert counts[0] <= (22 if with_key else 16), counts


def test_list_costs_the_same_queries_for_1_or_8_sessions(world: World, items) -> None:
    client = bearer_client(world.pt.user)
    today = local_today(world.member)
    _log(world, world.member, items, today)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/sessions/").status_code == 200
    for d in range(1, 8):
        _log(world, world.member, items, today - timedelta(days=d))
    with CaptureQueriesContext(connection) as eight:
        assert len(client.get("/api/v1/sessions/").json()["results"]) == 8
    assert len(one) == len(eight)


def test_patch_costs_the_same_queries_for_1_or_12_entries(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=12)
    session_id = _log(world, world.member, items[:1], local_today(world.member))
    client = bearer_client(world.member.user)
    client.get("/api/v1/me/")  # the sign-in cached (no user query after), as on every request
    counts = []
    for n in (1, 12):
        with CaptureQueriesContext(connection) as queries:
            response = client.patch(
                f"/api/v1/sessions/{session_id}/",
                {"entries": [entry(i) for i in items[:n]]},
                format="json",
            )
        assert response.status_code == 200, response.content
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
