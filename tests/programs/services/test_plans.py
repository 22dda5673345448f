"""Plan services: creation (revision 1), revisions that keep history, validation a PT expects."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from programs.models import Dosing, MovementBias, Plan, PlanItem, PlanRevision
from programs.services import plans as services
from tests.conftest import World, bearer_client
from tests.programs.factories_plans import PlanExerciseFactory, TemplateItemFactory, item, make_plan

START = date(2025, 3, 3)


@pytest.fixture
def bridge(db: None):
    return PlanExerciseFactory.create(name="Glute bridge")


@pytest.fixture
def clam(db: None):
    return PlanExerciseFactory.create(name="Clamshell")


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict:
    return exc.value.message_dict


def test_template_without_items_copies_the_template(world: World) -> None:
    first = TemplateItemFactory.create(sets=3, reps=8, order=0, note="Slow")
    TemplateItemFactory.create(template=first.template, order=1, sets=1, reps=5, days_mask=0b101)
    result = services.create_plan(
        user=world.pt.user,
        member_id=world.member.pk,
        title="From protocol",
        start_date=START,
        template_id=first.template.pk,
        status="active",
    )
    items = list(result.plan.items.order_by("order"))
    assert [(i.exercise_id, i.sets, i.reps, i.note) for i in items[:1]] == [
        (first.exercise_id, 3, 8, "Slow")
    ]
    assert items[1].days_of_week == [0, 2]
    assert result.plan.created_from == first.template
    revision = result.plan.revisions.get()
    assert revision.number == 1 and revision.status == "active"
    assert revision.changes[0] == f"Created from template “{first.template.name}”"


def test_a_pt_outside_the_care_team_cannot_write(world: World, bridge) -> None:
    with pytest.raises(ValidationError) as exc:
        make_plan(pt=world.pt_other, member=world.member, items=[item(bridge)], start=START)
    assert "member" in _errors(exc)
    plan = make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START).plan
    with pytest.raises(PermissionDenied):
        services.revise_plan(user=world.pt_other.user, plan=plan, reason="x", title="Mine")


def test_validation_names_each_field(world: World, bridge) -> None:
    """The rules that depend on the exercise and the library, checked by the service (the
    shape of each field is the input serializer's: tests/programs/test_plan_api.py)."""
    hold = PlanExerciseFactory.create(dosing=Dosing.HOLD, default_reps=None)
    foreign = PlanExerciseFactory.create(organization=world.other_org)
    with pytest.raises(ValidationError) as exc:
        make_plan(
            pt=world.pt,
            member=world.member,
            start=START,
            items=[item(bridge), item(bridge, reps=None), item(hold), item(foreign)],
        )
    errors = _errors(exc)
    assert set(errors) == {"items[1].reps", "items[2].hold_seconds", "items[3].exercise"}
    assert "give hold_seconds" in errors["items[2].hold_seconds"][0]
    assert not Plan.objects.exists()


def test_the_shape_of_each_item_field_is_named(world: World, bridge) -> None:
    timed = PlanExerciseFactory.create(dosing=Dosing.DURATION, default_reps=None)
    items = [
        item(bridge, sets=11),
        item(timed, duration_seconds=9000),
        item(bridge, days_of_week=[7]),
        item(bridge, target_rpe=11, side="up"),
        item(bridge, reps="12"),
        item(bridge, weight=3),
    ]
    response = bearer_client(world.pt.user).post(
        "/api/v1/plans/",
        {
            "member": world.member.pk,
            "title": "Bad",
            "start_date": START.isoformat(),
            "items": items,
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {
        "items[0].sets",
        "items[1].duration_seconds",
        "items[2].days_of_week",
        "items[3].target_rpe",
        "items[3].side",
        "items[4].reps",
        "items[5]",
    }
    assert errors["items[0].sets"] == ["Give a number from 1 to 10."]
    assert errors["items[4].reps"] == ["Give a whole number."]
    assert errors["items[5]"] == ["Unknown field(s): weight."]
    assert not Plan.objects.exists()


def test_new_items_start_from_the_exercise_default_dose(world: World) -> None:
    walk = PlanExerciseFactory.create(
        dosing=Dosing.DURATION, default_reps=None, default_sets=1, default_duration_seconds=600
    )
    plan = make_plan(pt=world.pt, member=world.member, items=[item(walk)], start=START).plan
    version = plan.items.get()
    assert (version.sets, version.duration_seconds, version.days_of_week) == (
        1,
        600,
        list(range(7)),
    )


def test_warnings_for_stenosis_many_exercises_and_long_sessions(world: World) -> None:
    press_up = PlanExerciseFactory.create(
        name="Prone press-up", movement_bias=MovementBias.EXTENSION
    )
    result = make_plan(pt=world.pt, member=world.member, items=[item(press_up)], start=START)
    assert [w["code"] for w in result.warnings] == ["precaution_conflict"]
    assert result.warnings[0]["field"] == "items[0].exercise"
    assert "Prone press-up" in result.warnings[0]["message"]

    world.other_member.condition = "low_back_pain"
    world.other_member.save()
    others = PlanExerciseFactory.create_batch(7)
    # 7 items of 3 sets x 15 reps x 3 s, 60 s rests, 15 s set-up: 7 x (135 + 120 + 15) s = 31.5 min
    result = make_plan(
        pt=world.pt_other,
        member=world.other_member,
        items=[item(press_up, sets=3, reps=15, rest_seconds=60)]
        + [item(e, sets=3, reps=15, rest_seconds=60) for e in others[:6]],
        start=START,
    )
    assert result.estimated_minutes == 31.5
    assert [w["code"] for w in result.warnings] == ["many_exercises", "long_session"]


def test_revision_keeps_history_and_says_what_changed(world: World, bridge, clam) -> None:
    bird = PlanExerciseFactory.create(name="Bird dog")
    plan = make_plan(
        pt=world.pt, member=world.member, items=[item(bridge), item(clam)], start=START
    ).plan
    v1 = plan.items.get(exercise=bridge)
    services.revise_plan(
        user=world.pt.user,
        plan=plan,
        reason="Progressing",
        items=[{"id": v1.pk, "reps": 12}, item(bird)],
    )
    plan.refresh_from_db()
    assert plan.revision == 2
    v1.refresh_from_db()
    assert v1.valid_to_revision == 2 and v1.reps == 10  # the old version is closed, not changed
    v2 = plan.items.get(exercise=bridge, valid_to_revision__isnull=True)
    assert v2.key == v1.key and v2.reps == 12 and v2.valid_from_revision == 2
    revision = plan.revisions.get(number=2)
    assert revision.reason == "Progressing"
    assert revision.changes == ["Glute bridge: reps 10 → 12", "Added Bird dog", "Removed Clamshell"]
    # Items in force at revision 1 are still recoverable.
    at_one = [i.exercise.name for i in plan.items.all() if i.in_force_at(1)]
    assert sorted(at_one) == ["Clamshell", "Glute bridge"]


def test_status_change_swap_and_move_are_readable(world: World, bridge, clam) -> None:
    side = PlanExerciseFactory.create(name="Side-lying hip abduction")
    tilt = PlanExerciseFactory.create(name="Pelvic tilt")
    plan = make_plan(
        pt=world.pt, member=world.member, items=[item(bridge), item(clam), item(tilt)], start=START
    ).plan
    ids = {i.exercise.name: i.pk for i in plan.items.all()}
    services.revise_plan(
        user=world.pt.user,
        plan=plan,
        reason="Clam too easy; flare-up",
        status="paused",
        items=[
            {"id": ids["Pelvic tilt"]},
            {"id": ids["Glute bridge"]},
            {"id": ids["Clamshell"], "exercise": side.pk},
        ],
    )
    changes = plan.revisions.get(number=2).changes
    assert changes[0] == "Status: active → paused"
    assert "Pelvic tilt: moved 3 → 1" in changes
    assert "Swapped Clamshell for Side-lying hip abduction" in changes
    current = plan.items.filter(valid_to_revision__isnull=True)
    swapped = current.get(exercise=side)
    assert swapped.key != PlanItem.objects.get(pk=ids["Clamshell"]).key


def test_reason_is_required_and_a_revision_must_change_something(world: World, bridge) -> None:
    plan = make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START).plan
    with pytest.raises(ValidationError) as exc:
        services.revise_plan(user=world.pt.user, plan=plan, reason=" ", title="New")
    assert "reason" in _errors(exc)
    version = plan.items.get()
    with pytest.raises(ValidationError) as exc:
        services.revise_plan(
            user=world.pt.user, plan=plan, reason="Same", items=[{"id": version.pk, "reps": 10}]
        )
    assert "non_field_errors" in _errors(exc)
    assert PlanRevision.objects.filter(plan=plan).count() == 1
    with pytest.raises(ValidationError) as exc:
        services.revise_plan(user=world.pt.user, plan=plan, reason="Back", status="draft")
    assert "status" in _errors(exc)


def test_an_id_from_another_plan_or_an_ended_version_is_refused(world: World, bridge) -> None:
    plan = make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START).plan
    old = plan.items.get()
    services.revise_plan(
        user=world.pt.user, plan=plan, reason="More", items=[{"id": old.pk, "reps": 15}]
    )
    with pytest.raises(ValidationError) as exc:
        services.revise_plan(user=world.pt.user, plan=plan, reason="x", items=[{"id": old.pk}])
    assert _errors(exc) == {"items[0].id": ["Not an item in force in this plan."]}


def test_one_active_plan_per_member(world: World, bridge) -> None:
    first = make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START).plan
    with pytest.raises(services.PlanConflict, match="already has an active plan"):
        make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START)
    draft = make_plan(
        pt=world.pt, member=world.member, items=[item(bridge)], start=START, status="draft"
    ).plan
    with pytest.raises(services.PlanConflict):
        services.revise_plan(user=world.pt.user, plan=draft, reason="Go", status="active")
    services.revise_plan(user=world.pt.user, plan=first, reason="Done", status="completed")
    services.revise_plan(user=world.pt.user, plan=draft, reason="Go", status="active")
    # The database holds it too, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=first.pk).update(status="active")


def test_database_refuses_out_of_range_doses(world: World, bridge) -> None:
    plan = make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START).plan
    version = plan.items.get()
    for field, value in (("target_rpe", 11), ("times_per_day", 0), ("days_mask", 0), ("sets", 0)):
        with pytest.raises(IntegrityError), transaction.atomic():
            PlanItem.objects.filter(pk=version.pk).update(**{field: value})


def test_care_team_member_of_another_org_is_invisible(world: World, bridge) -> None:
    with pytest.raises(ValidationError) as exc:
        make_plan(pt=world.foreign_pt, member=world.member, items=[item(bridge)], start=START)
    assert "member" in _errors(exc)


def test_estimate_is_the_longest_day_not_the_week(world: World) -> None:
    walk = PlanExerciseFactory.create(dosing=Dosing.DURATION, default_reps=None)
    bike = PlanExerciseFactory.create(dosing=Dosing.DURATION, default_reps=None)
    result = make_plan(
        pt=world.pt,
        member=world.member,
        start=START,
        items=[
            item(walk, sets=1, duration_seconds=1200, days_of_week=[1, 3]),
            item(bike, sets=1, duration_seconds=1500, days_of_week=[0, 2, 4]),
        ],
    )
    # The bike day: 25 min + 15 s set-up; the walk never falls on the same day.
    assert result.estimated_minutes == 25.2
    assert result.warnings == []
