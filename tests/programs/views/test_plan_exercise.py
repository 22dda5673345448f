"""What a member reads of their exercises: `/plan/exercises/<id>/` (steps, tips, precautions,
pictures and animation, their dose), scoped to the exercises of their own plans; My plan with
each exercise's precautions and steps; access.plan_exercises."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from exercise_tracker import access
from members.models import User
from programs.models import Exercise
from tests.conftest import World
from tests.factories import ExerciseFactory, ExerciseImageFactory
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan

pytestmark = pytest.mark.django_db
START = date(2025, 3, 3)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bridge(world: World) -> Exercise:
    bridge = PlanExerciseFactory.create(
        name="Glute bridge",
        instructions=["Lie on your back, knees bent.", "Squeeze and lift the hips."],
        cues=["Breathe out as you lift."],
        precautions=["Lift only as high as the back stays flat."],
    )
    ExerciseImageFactory.create(exercise=bridge, alt_text="Lifting the hips")
    ExerciseImageFactory.create(
        exercise=bridge, is_main=False, order=1, kind="animation", alt_text="The lift, moving"
    )
    make_plan(
        pt=world.pt,
        member=world.member,
        start=date(2025, 3, 3),
        items=[item(bridge, sets=3, reps=12, note="Slowly down.")],
    )
    return bridge


def test_the_member_reads_an_exercise_of_their_plan(world: World, bridge: Exercise) -> None:
    response = signed_in(world.member.user).get(f"/plan/exercises/{bridge.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "Glute bridge" in html
    care = html[html.index('data-testid="precautions"') :]
    assert "<li>Lift only as high as the back stays flat.</li>" in care
    assert "<li>Lie on your back, knees bent.</li>" in html
    assert "<li>Breathe out as you lift.</li>" in html
    assert 'alt="Lifting the hips"' in html and 'alt="The lift, moving"' in html
    assert "3 sets of 12" in html and "Slowly down." in html
    assert "Get emergency care now" in html and "makes your symptoms worse" in html
    # Precautions come before the steps.
    assert html.index("Lift only as high") < html.index("Lie on your back")


def test_an_exercise_outside_the_members_plans_is_404(world: World, bridge: Exercise) -> None:
    elsewhere = ExerciseFactory.create(name="Prone press-up")
    other = PlanExerciseFactory.create(name="Clamshell")
    make_plan(pt=world.pt_other, member=world.other_member, items=[item(other)], start=START)
    client = signed_in(world.member.user)
    assert client.get(f"/plan/exercises/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/plan/exercises/{other.pk}/").status_code == 404  # another's plan
    # The library page of an exercise sends a member to their own page of it (404 if not theirs).
    response = client.get(f"/library/{bridge.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/plan/exercises/{bridge.pk}/"
    assert client.get(f"/library/{elsewhere.pk}/", follow=True).status_code == 404
    # The member page is for members; staff roles keep the library's.
    assert signed_in(world.pt.user).get(f"/plan/exercises/{bridge.pk}/").status_code == 404
    assert signed_in(world.pt.user).get(f"/library/{bridge.pk}/").status_code == 200


def test_a_draft_plan_does_not_open_its_exercises(world: World) -> None:
    hidden = PlanExerciseFactory.create(name="Bird dog")
    make_plan(pt=world.pt, member=world.member, items=[item(hidden)], status="draft", start=START)
    assert signed_in(world.member.user).get(f"/plan/exercises/{hidden.pk}/").status_code == 404


def test_plan_exercises_scopes_to_the_members_own_plans(world: World, bridge: Exercise) -> None:
    other = PlanExerciseFactory.create(name="Clamshell")
    make_plan(pt=world.pt_other, member=world.other_member, items=[item(other)], start=START)
    assert list(access.plan_exercises(world.member.user)) == [bridge]
    assert list(access.plan_exercises(world.other_member.user)) == [other]
    for user in (world.pt.user, world.coordinator, world.staff, None):
        assert not access.plan_exercises(user).exists()


def test_my_plan_shows_precautions_steps_behind_a_tap_and_the_exercise_link(
    world: World, bridge: Exercise
) -> None:
    html = signed_in(world.member.user).get("/plan/").content.decode()
    assert 'data-testid="precautions"' in html
    assert "<li>Lift only as high as the back stays flat.</li>" in html
    steps = html[html.index('<details class="steps"') : html.index("</details>")]
    assert "<li>Squeeze and lift the hips.</li>" in steps
    assert f'href="/plan/exercises/{bridge.pk}/"' in html
    assert "Get emergency care now" in html and "clinician" not in html
    assert "<style>" not in html and "<script>" not in html
