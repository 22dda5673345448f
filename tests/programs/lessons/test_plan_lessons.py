"""A PT assigns lessons with a plan: a template's suggestions come pre-selected, the API takes
`lessons` ids, and a change of lessons is a revision like any other."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from programs.models import PlanLesson
from programs.services import plans as services
from tests.conftest import World, bearer_client
from tests.programs.factories_plans import (
    PlanExerciseFactory,
    PlanTemplateFactory,
    TemplateItemFactory,
    item,
)
from tests.programs.lessons.helpers import START, load_shipped, plan_with_lessons, shipped


def _lessons_of(plan) -> list[str]:
    return [pl.lesson.slug for pl in PlanLesson.objects.filter(plan=plan).select_related("lesson")]


def test_a_plan_from_a_template_starts_with_its_suggested_lessons(world: World) -> None:
    template = PlanTemplateFactory.create(slug="lbp-core-stability", condition="low_back_pain")
    TemplateItemFactory.create(template=template)
    load_shipped()
    result = services.create_plan(
        user=world.pt.user,
        member_id=world.member.pk,
        title="Core",
        start_date=START,
        status="active",
        template_id=template.pk,
    )
    assert _lessons_of(result.plan) == [
        "why-strength-stretching-balance",
        "sleeping-and-sitting",
        "when-to-get-help-now",
    ]
    assert "Added lesson “Sleeping and sitting”" in result.revision.changes  # type: ignore[union-attr]
    # The PT may start from a template and choose none.
    none = services.create_plan(
        user=world.pt.user,
        member_id=world.member.pk,
        title="Core, no lessons",
        start_date=START,
        template_id=template.pk,
        lessons=[],
    )
    assert _lessons_of(none.plan) == []


def test_the_api_takes_lessons_and_a_patch_makes_a_revision(world: World) -> None:
    lessons = load_shipped()
    exercise = PlanExerciseFactory.create()
    client = bearer_client(world.pt.user)
    body = {
        "member": world.member.pk,
        "title": "Walks",
        "start_date": "2025-03-03",
        "status": "active",
        "items": [item(exercise)],
        "lessons": [lessons[2].pk, lessons[0].pk],
    }
    created = client.post("/api/v1/plans/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["lessons"] == [lessons[2].pk, lessons[0].pk]
    plan_id = created.json()["id"]
    patched = client.patch(
        f"/api/v1/plans/{plan_id}/",
        {"reason": "Add sleep advice", "lessons": [lessons[2].pk, lessons[4].pk]},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["lessons"] == [lessons[2].pk, lessons[4].pk]
    revisions = client.get(f"/api/v1/plans/{plan_id}/revisions/").json()["results"]
    assert revisions[0]["changes"] == [
        "Removed lesson “What spinal stenosis is”",
        "Added lesson “Sleeping and sitting”",
    ]
    same = client.patch(
        f"/api/v1/plans/{plan_id}/",
        {"reason": "again", "lessons": [lessons[2].pk, lessons[4].pk]},
        format="json",
    )
    assert same.status_code == 400  # nothing changed: no revision


@pytest.mark.parametrize(
    "lessons",
    [[999_999], ["one"], [1, 1], "1", [0]],
    ids=["unknown", "text", "twice", "str", "zero"],
)
def test_bad_lesson_ids_are_a_400_on_lessons(world: World, lessons) -> None:
    load_shipped()
    if lessons == [1, 1]:
        from programs.models import Lesson

        first = Lesson.objects.order_by("pk").first().pk  # type: ignore[union-attr]
        lessons = [first, first]
    exercise = PlanExerciseFactory.create()
    response = bearer_client(world.pt.user).post(
        "/api/v1/plans/",
        {
            "member": world.member.pk,
            "title": "x",
            "start_date": "2025-03-03",
            "items": [item(exercise)],
            "lessons": lessons,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "lessons" in str(response.json()["errors"])


def test_templates_show_their_suggested_lessons(world: World) -> None:
    template = PlanTemplateFactory.create(slug="lss-phase-1-flexion-mobility")
    TemplateItemFactory.create(template=template)
    lessons = load_shipped()
    body = bearer_client(world.pt.user).get(f"/api/v1/templates/{template.pk}/").json()
    assert body["lessons"] == [lesson.pk for lesson in lessons]


def test_a_member_never_writes_lessons_with_the_service(world: World) -> None:
    lessons = load_shipped()
    plan = plan_with_lessons(world, lessons[:1])
    with pytest.raises(ValidationError):
        services.revise_plan(
            user=world.pt.user, plan=plan, reason="x", lessons=[lessons[0].pk, 10**9]
        )
    assert len(shipped()["lessons"]) == 6
