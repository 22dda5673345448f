"""A client may send back what it read (shared/DESIGN.md): every writable resource, read with
GET, one field changed, PATCHed back whole, answers 200 with the change made. Read-only fields
in the body are ignored; a field no serializer knows is still refused, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from members.models import AssessmentSchedule
from members.services.reminders import create_reminder, update_preferences
from programs.models import Exercise

from .conftest import World, bearer_client
from .members.sessions_helpers import local_today, plan_with_items, session_body

pytestmark = pytest.mark.django_db


@dataclass
class Resource:
    name: str
    who: Callable[[World], Any]
    make: Callable[[World], str]  # the resource's URL
    change: Callable[[dict[str, Any]], None]  # one field changed, in place
    check: Callable[[dict[str, Any]], bool]  # the change as the answer shows it


def _plan(world: World) -> str:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=2)
    return f"/api/v1/plans/{plan.pk}/"


def _plan_change(body: dict[str, Any]) -> None:
    body["items"][0]["reps"] = 12
    body["reason"] = "Progress"


def _session(world: World) -> str:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    response = bearer_client(world.member.user).post(
        "/api/v1/sessions/", session_body(world.member, items), format="json"
    )
    assert response.status_code == 201, response.content
    return f"/api/v1/sessions/{response.json()['id']}/"


def _reminder(world: World) -> str:
    return f"/api/v1/reminders/{create_reminder(member=world.member, local_time=time(8)).pk}/"


def _preferences(world: World) -> str:
    update_preferences(member=world.member, quiet_hours_start=time(22), quiet_hours_end=time(7))
    return "/api/v1/reminders/preferences/"


def _schedule(world: World) -> str:
    schedule = AssessmentSchedule.objects.create(
        member=world.member,
        instrument="odi",
        every_n_days=14,
        start_date=local_today(world.member) - timedelta(days=3),
    )
    return f"/api/v1/assessment-schedules/{schedule.pk}/"


def _exercise(world: World) -> str:
    easier = bearer_client(world.pt.user).post(
        "/api/v1/exercises/",
        {
            "name": "Heel raise, seated",
            "category": "strength",
            "position": "seated",
            "regions": ["ankles"],
            "instructions": ["Sit.", "Raise the heels."],
            "dose": {"dosing": "reps", "sets": 2, "reps": 10},
        },
        format="json",
    )
    assert easier.status_code == 201, easier.content
    response = bearer_client(world.pt.user).post(
        "/api/v1/exercises/",
        {
            "name": "Towel scrunch",
            "category": "strength",
            "position": "seated",
            "regions": ["ankles"],
            "instructions": ["Sit with a towel under one foot.", "Scrunch it towards you."],
            "cues": ["Keep the heel down."],
            "dose": {"dosing": "reps", "sets": 2, "reps": 15},
            "equipment": [],
            "regression": easier.json()["id"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Exercise.objects.get(pk=response.json()["id"]).organization_id == world.org.pk
    return f"/api/v1/exercises/{response.json()['id']}/"


RESOURCES = [
    Resource(
        "plan",
        lambda world: world.pt.user,
        _plan,
        _plan_change,
        lambda answer: answer["items"][0]["reps"] == 12 and answer["revision"] == 2,
    ),
    Resource(
        "session",
        lambda world: world.member.user,
        _session,
        lambda body: body.update(pain_after=1) or body["entries"][0].update(reps_done=8),
        lambda answer: answer["pain_after"] == 1 and answer["entries"][0]["reps_done"] == 8,
    ),
    Resource(
        "reminder",
        lambda world: world.member.user,
        _reminder,
        lambda body: body.update(local_time="09:30"),
        lambda answer: answer["local_time"] == "09:30",
    ),
    Resource(
        "reminder preferences",
        lambda world: world.member.user,
        _preferences,
        lambda body: body.update(quiet_hours_start="23:00"),
        lambda answer: answer["quiet_hours_start"] == "23:00",
    ),
    Resource(
        "assessment schedule",
        lambda world: world.pt.user,
        _schedule,
        lambda body: body.update(every_n_days=28),
        lambda answer: answer["every_n_days"] == 28,
    ),
    Resource(
        "exercise of the PT's organization",
        lambda world: world.pt.user,
        _exercise,
        lambda body: body.update(summary="A foot strengthener."),
        lambda answer: answer["summary"] == "A foot strengthener.",
    ),
]


@pytest.mark.parametrize("resource", RESOURCES, ids=[r.name for r in RESOURCES])
def test_what_was_read_can_be_sent_back_with_one_change(world: World, resource: Resource) -> None:
    url = resource.make(world)
    client = bearer_client(resource.who(world))
    read = client.get(url)
    assert read.status_code == 200, read.content
    body = read.json()
    resource.change(body)

    answer = client.patch(url, body, format="json")

    assert answer.status_code == 200, answer.content
    assert resource.check(answer.json()), answer.json()


@pytest.mark.parametrize("resource", RESOURCES, ids=[r.name for r in RESOURCES])
def test_a_field_no_one_declared_is_refused_by_name(world: World, resource: Resource) -> None:
    url = resource.make(world)
    client = bearer_client(resource.who(world))
    body = client.get(url).json()
    resource.change(body)
    body["colour"] = "blue"

    answer = client.patch(url, body, format="json")

    assert answer.status_code == 400, answer.content
    (messages,) = answer.json()["errors"].values()
    assert "Unknown field(s): colour." in messages


def test_a_plan_item_sent_back_keeps_its_key_and_history(world: World) -> None:
    """The issue's case: items exactly as GET returned them, one dose changed."""
    url = _plan(world)
    client = bearer_client(world.pt.user)
    before = client.get(url).json()
    body = dict(before, reason="Progress")
    body["items"] = [dict(item) for item in before["items"]]
    body["items"][1]["sets"] = 3
    after = client.patch(url, body, format="json").json()
    assert [i["key"] for i in after["items"]] == [i["key"] for i in before["items"]]
    assert after["items"][0]["id"] == before["items"][0]["id"]  # unchanged: the same version
    assert after["items"][1]["id"] != before["items"][1]["id"]  # changed: a new version
    assert after["items"][1]["valid_from_revision"] == 2
    revisions = client.get(f"{url}revisions/").json()["results"]
    assert revisions[0]["changes"] == [f"{before['items'][1]['exercise']['name']}: sets 2 → 3"]


def test_a_session_sent_back_on_another_date_is_refused(world: World) -> None:
    url = _session(world)
    client = bearer_client(world.member.user)
    body = client.get(url).json()
    body["date"] = (timezone.localdate() - timedelta(days=3)).isoformat()
    answer = client.patch(url, body, format="json")
    assert answer.status_code == 400
    assert "date" in answer.json()["errors"]
