"""The walk form and the leg symptoms check-in as pages (no script): nothing pre-filled, the
fields named when refused, the emergency guidance after worse weakness, and who may open them;
the walking figure on the PT's pages and the dashboard API for PTs, never for coordinators."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from members.models import Alert, AlertKind, SymptomCheck, User, Walk
from members.rules import safety
from members.services.walks import log_walk
from programs.models import Exercise
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import local_today, plan_with_items

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_walk_form_records_a_walk_and_names_what_is_missing(world: World) -> None:
    client = signed_in(world.member.user)
    page = client.get("/walks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "checked" not in html.split('data-testid="walk-form"')[1].split("</form>")[0]
    refused = client.post("/walks/", {"client_id": str(uuid.uuid4()), "total_minutes": "20"})
    assert refused.status_code == 400
    assert b"Leg symptoms: say whether" in refused.content
    assert b"Rests taken: give a number" in refused.content
    bad = client.post(
        "/walks/",
        {"symptoms": "yes", "minutes_to_symptoms": "30", "total_minutes": "20", "rests": "1"},
    )
    assert bad.status_code == 400
    assert b"Minutes before leg symptoms started: Symptoms cannot start" in bad.content
    body = {"client_id": str(uuid.uuid4()), "symptoms": "no", "total_minutes": "25", "rests": "0"}
    assert client.post("/walks/", body).status_code == 302
    assert client.post("/walks/", body).status_code == 302  # a second tap stores nothing
    walk = Walk.objects.get(member=world.member)
    assert (walk.minutes_to_symptoms, walk.total_minutes, walk.rests) == (None, 25, 0)


def test_today_shows_the_walk_form_for_a_walking_item_and_the_due_check_in(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=1)
    client = signed_in(world.member.user)
    page = client.get("/today/")
    assert b'data-testid="symptom-check-due"' in page.content
    assert b'data-testid="today-walk"' not in page.content
    Exercise.objects.filter(pk=items[0].exercise_id).update(slug="walking-program-clinic")
    page = client.get("/today/")
    assert b'data-testid="today-walk"' in page.content
    assert f'name="plan_item" value="{items[0].pk}"'.encode() in page.content


def test_worse_weakness_shows_the_emergency_guidance(world: World) -> None:
    client = signed_in(world.member.user)
    incomplete = client.post("/symptoms/", {"numbness": "left", "tingling": "none"})
    assert incomplete.status_code == 400
    assert b"Numbness: Felt in a leg" in incomplete.content
    assert b"Weakness: choose None" in incomplete.content
    answers = {
        "client_id": str(uuid.uuid4()),
        "numbness": "none",
        "tingling": "none",
        "weakness": "both",
        "weakness_change": "worse",
    }
    response = client.post("/symptoms/", answers, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="emergency-guidance"' in html
    assert safety.WEAKNESS_GUIDANCE.title in html
    assert SymptomCheck.objects.filter(member=world.member).count() == 1
    assert Alert.objects.filter(member=world.member, kind=AlertKind.LEG_WEAKNESS).exists()
    # The guidance shows once, after the check-in; the page then asks for the next one.
    assert b'data-testid="emergency-guidance"' not in client.get("/symptoms/").content


@pytest.mark.parametrize("actor", ["pt", "coordinator"])
def test_member_pages_are_for_members_only(world: World, actor: str) -> None:
    user = world.pt.user if actor == "pt" else world.coordinator
    for path in ("/walks/", "/symptoms/"):
        assert signed_in(user).get(path).status_code == 404


def test_walking_figure_for_pts_never_for_coordinators(world: World) -> None:
    now = timezone.now()
    for back, minutes in ((15, 6), (13, 7), (8, 8), (6, 9), (1, 11)):
        log_walk(
            member=world.member,
            local_date=local_today(world.member, now - timedelta(days=back)),
            total_minutes=20,
            rests=1,
            minutes_to_symptoms=minutes,
            now=now - timedelta(days=back),
        )
    pt_page = signed_in(world.pt.user).get(f"/members/{world.member.pk}/adherence/")
    assert b'data-testid="fig-walking"' in pt_page.content
    coordinator_page = signed_in(world.coordinator).get(f"/members/{world.member.pk}/adherence/")
    assert coordinator_page.status_code == 200
    assert b'data-testid="fig-walking"' not in coordinator_page.content
    assert b'data-testid="caseload-walking"' in signed_in(world.pt.user).get("/caseload/").content
    pt_rows = bearer_client(world.pt.user).get("/api/v1/dashboard/adherence/").json()["results"]
    figure = next(r for r in pt_rows if r["member_id"] == world.member.pk)["walk_tolerance"]
    assert figure["trend"] == "up" and figure["median_minutes"] is not None
    rows = bearer_client(world.coordinator).get("/api/v1/dashboard/adherence/").json()["results"]
    assert rows and all("walk_tolerance" not in r for r in rows)
    assert b"dashboard-walking" not in signed_in(world.coordinator).get("/dashboard/").content
