"""GET /api/v1/today/ and the /today/ page: the items in force on the member's local date with
their picture and dose, done counts, due questionnaires, the streak; the page logs without
its script too."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from members.models import SessionEntry, SessionLog
from members.selectors.sessions import current_streak
from members.services.outcomes import schedule_assessment
from programs.selectors.schedule import prescribed_sessions
from programs.services.plans import revise_plan
from tests import factories

from ..conftest import World, bearer_client
from .sessions_helpers import local_today, plan_with_items, session_body

pytestmark = pytest.mark.django_db


def _page_client(world: World) -> Client:
    client = Client()
    client.force_login(world.member.user)
    return client


def test_today_lists_the_items_in_force_with_dose_picture_and_counts(world: World) -> None:
    plan, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=2,
        doses=[{"sets": 3, "reps": 12, "times_per_day": 2}, {"sets": 1, "reps": 10}],
    )
    factories.ExerciseImageFactory.create(
        exercise=items[0].exercise,
        thumbnail_small=ContentFile(b"x", name="bridge-160.webp"),
        alt_text="Lying on the back, hips lifted",
        is_main=True,
    )
    body = session_body(world.member, items[:1])
    assert (
        bearer_client(world.member.user).post("/api/v1/sessions/", body, format="json").status_code
        == 201
    )
    data = bearer_client(world.member.user).get("/api/v1/today/").json()
    assert data["date"] == local_today(world.member).isoformat()
    assert data["timezone"] == world.member.timezone
    assert data["plan"]["id"] == plan.pk
    first, second = data["items"]
    assert first["plan_item"] == items[0].pk
    assert first["exercise"]["name"] == items[0].exercise.name
    assert first["exercise"]["thumbnail"].startswith("http://testserver/")
    assert first["exercise"]["thumbnail"].endswith(".webp")
    assert first["exercise"]["thumbnail_alt_text"] == "Lying on the back, hips lifted"
    assert first["dose"]["sets"] == 3 and first["dose"]["reps"] == 12
    assert first["dose_text"] == "3 sets of 12 reps, twice a day"
    assert (first["times_due"], first["times_done"]) == (2, 1)
    assert (second["times_due"], second["times_done"]) == (1, 0)
    assert second["exercise"]["thumbnail"] is None
    assert data["sessions_today"] == 1
    assert data["streak"] == 1


def test_today_follows_a_revision_made_today(world: World) -> None:
    today = local_today(world.member)
    plan, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=1,
        start=today - timedelta(days=5),
        at=datetime.combine(today - timedelta(days=5), time(12), tzinfo=world.member.tz),
    )
    client = bearer_client(world.member.user)
    assert (
        client.post(
            "/api/v1/sessions/", session_body(world.member, items), format="json"
        ).status_code
        == 201
    )
    revise_plan(
        user=world.pt.user, plan=plan, reason="More", items=[{"id": items[0].pk, "reps": 12}]
    )
    data = client.get("/api/v1/today/").json()
    (item,) = data["items"]
    assert item["plan_item"] != items[0].pk
    assert item["dose"]["reps"] == 12
    # Done counts follow the item, not one version of it.
    assert item["times_done"] == 1


def test_due_questionnaires_show_on_today(world: World) -> None:
    plan_with_items(pt=world.pt, member=world.member, n=1)
    schedule_assessment(member=world.member, instrument="odi", every_n_days=14, therapist=world.pt)
    data = bearer_client(world.member.user).get("/api/v1/today/").json()
    assert [d["instrument"] for d in data["due_questionnaires"]] == ["odi"]
    page = _page_client(world).get("/today/").content.decode()
    assert 'data-testid="due-questionnaires"' in page


def test_today_is_for_members_only(world: World) -> None:
    for user in (world.pt.user, world.coordinator, world.staff):
        assert bearer_client(user).get("/api/v1/today/").status_code == 404
    assert bearer_client(None).get("/api/v1/today/").status_code == 401


def test_without_a_plan_today_says_so(world: World) -> None:
    data = bearer_client(world.member.user).get("/api/v1/today/").json()
    assert data["items"] == [] and data["plan"] is None and data["streak"] == 0
    page = _page_client(world).get("/today/").content.decode()
    assert "has not given you a plan yet" in page


def test_today_costs_the_same_queries_for_2_or_10_items(world: World) -> None:
    plan_with_items(pt=world.pt, member=world.member, n=10)
    plan_with_items(pt=world.pt_other, member=world.other_member, n=2)
    counts = []
    for member, n in ((world.member, 10), (world.other_member, 2)):
        client = bearer_client(member.user)
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get("/api/v1/today/").json()["items"]) == n
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


# --- the streak -----------------------------------------------------------------------------


def test_the_streak_skips_rest_days_and_does_not_break_on_an_unfinished_today(
    world: World,
) -> None:
    today = local_today(world.member)
    # Every other weekday: rest days neither count nor break the run.
    weekdays = sorted({(today - timedelta(days=d)).weekday() for d in (0, 2, 4, 6)})
    _, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=1,
        start=today - timedelta(days=20),
        doses=[{"sets": 2, "reps": 10, "days_of_week": weekdays}],
    )
    schedule = prescribed_sessions(member=world.member, start=today - timedelta(days=20), end=today)
    done = {today - timedelta(days=2), today - timedelta(days=4), today - timedelta(days=6)}
    assert current_streak(today=today, prescribed=schedule, done_days=done) == 3
    assert current_streak(today=today, prescribed=schedule, done_days=done | {today}) == 4
    assert (
        current_streak(
            today=today, prescribed=schedule, done_days=done - {today - timedelta(days=4)}
        )
        == 1
    )
    assert items


# --- the page --------------------------------------------------------------------------------


def test_the_page_has_a_card_per_exercise_prefilled_with_the_dose(world: World) -> None:
    _, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=2,
        doses=[{"sets": 3, "reps": 12}, {"sets": 2, "reps": 8, "hold_seconds": 5}],
    )
    page = _page_client(world).get("/today/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="exercise-card"') == 2
    assert f'name="sets-{items[0].pk}" value="3"' in html
    assert f'name="reps-{items[0].pk}" value="12"' in html
    assert f'name="hold-{items[1].pk}" value="5"' in html
    assert 'max="24"' in html  # twice the 12 reps
    assert 'data-testid="red-flag"' in html
    assert "bladder or bowels" in html
    assert re.search(r'<input type="range" id="pain_before"[^>]*min="0" max="10"', html)
    assert 'data-api="/api/v1/sessions/"' in html


def test_the_page_logs_without_its_script_and_a_resent_form_stores_one(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    client = _page_client(world)
    page = client.get("/today/")
    client_id = page.context["client_id"]
    form = {
        "client_id": str(client_id),
        "date": local_today(world.member).isoformat(),
        f"done-{items[0].pk}": "1",
        f"sets-{items[0].pk}": "2",
        f"reps-{items[0].pk}": "9",
        f"feedback-{items[0].pk}": "too_hard",
        "pain_before": "5",
        "pain_after": "4",
        "rpe": "6",
        "notes": "Knees fine.",
    }
    response = client.post("/today/", form)
    assert response.status_code == 302
    again = client.post("/today/", form)
    assert again.status_code == 302
    session = SessionLog.objects.get(member=world.member)
    assert session.status == "partial"  # one of two done
    assert (session.pain_before, session.pain_after, session.rpe) == (5, 4, 6)
    (logged,) = SessionEntry.objects.filter(session=session)
    assert (logged.plan_item_id, logged.reps_done, logged.feedback) == (
        items[0].pk,
        9,
        "too_hard",
    )
    follow = client.get("/today/").content.decode()
    assert "You logged 1 session today." in follow
    assert "Session logged. Well done!" in follow


def test_the_page_shows_what_the_service_refused(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=1)
    response = _page_client(world).post(
        "/today/",
        {
            "client_id": str(uuid.uuid4()),
            f"done-{items[0].pk}": "1",
            f"reps-{items[0].pk}": "99",
            "pain_before": "3",
            "pain_after": "3",
        },
    )
    assert response.status_code == 400
    assert "entries[0].reps_done" in response.content.decode()
    assert not SessionLog.objects.exists()


def test_skipping_from_the_page(world: World) -> None:
    plan_with_items(pt=world.pt, member=world.member, n=1)
    response = _page_client(world).post(
        "/today/", {"client_id": str(uuid.uuid4()), "status": "skipped", "pain_before": "2"}
    )
    assert response.status_code == 302
    session = SessionLog.objects.get()
    assert session.status == "skipped" and session.pain_before is None


def test_the_page_is_for_members(world: World) -> None:
    client = Client()
    client.force_login(world.pt.user)
    assert client.get("/today/").status_code == 404
    assert Client().get("/today/").status_code == 302
