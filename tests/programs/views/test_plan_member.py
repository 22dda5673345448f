"""The member's read-only plan page."""

from __future__ import annotations

from datetime import date

from django.test import Client

from programs.models import Dosing
from tests.conftest import World
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan


def _login(client: Client, user) -> None:
    client.force_login(user)


def test_member_sees_their_plan_in_order_with_dose_and_notes(world: World, client: Client) -> None:
    bridge = PlanExerciseFactory.create(name="Glute bridge")
    walk = PlanExerciseFactory.create(name="Walking program", dosing=Dosing.DURATION)
    make_plan(
        pt=world.pt,
        member=world.member,
        start=date(2025, 3, 3),
        items=[
            item(
                walk,
                sets=1,
                duration_seconds=900,
                days_of_week=[0, 2, 4],
                note="Sit when legs tingle",
            ),
            item(bridge, sets=3, reps=12, hold_seconds=3, rest_seconds=30, times_per_day=2),
        ],
        goals="Walk to the <b>shop</b>",
        note_to_member="Go gently.",
    )
    _login(client, world.member.user)
    response = client.get("/plan/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Walking program") < html.index("Glute bridge")
    assert "15 min · Mon, Wed, Fri" in html
    assert (
        "3 sets of 12 reps, hold 3 s each · rest 30 s between sets · every day · twice a day"
        in html
    )
    assert "Sit when legs tingle" in html and "Go gently." in html
    # What a PT typed is text, never markup.
    assert "&lt;b&gt;shop&lt;/b&gt;" in html
    # The print button opens the handout, which the member's session may download.
    plan_id = world.member.plans.get().pk
    assert f'href="/api/v1/plans/{plan_id}/handout.pdf"' in html
    assert f'href="/api/v1/plans/{plan_id}/handout.pdf" download' in html
    handout = client.get(f"/api/v1/plans/{plan_id}/handout.pdf")
    assert handout.status_code == 200 and handout.content.startswith(b"%PDF")


def test_member_without_a_published_plan_and_other_roles(world: World, client: Client) -> None:
    bridge = PlanExerciseFactory.create(name="Glute bridge")
    make_plan(
        pt=world.pt,
        member=world.member,
        start=date(2025, 3, 3),
        items=[item(bridge)],
        status="draft",
    )
    _login(client, world.member.user)
    response = client.get("/plan/")
    assert "You have no plan yet" in response.content.decode()
    assert "Glute bridge" not in response.content.decode()
    _login(client, world.pt.user)
    assert client.get("/plan/").status_code == 404
