"""Factories and helpers for plan tests: exercises with a dosing kind, plans written through the
services (so every plan in a test has its revision 1 like a real one)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

import factory

from members.models import Member, Therapist
from programs.models import Dosing, Exercise, MovementBias, PlanTemplate, TemplateItem
from programs.services import plans as services


class PlanExerciseFactory(factory.django.DjangoModelFactory[Exercise]):
    class Meta:
        model = Exercise

    name = factory.Sequence(lambda n: f"Exercise {n}")
    slug = factory.Sequence(lambda n: f"exercise-{n}")
    category = "strength"
    position = "supine"
    movement_bias = MovementBias.NEUTRAL
    dosing = Dosing.REPS
    default_sets = 2
    default_reps = 10
    default_rest_seconds = 30


class PlanTemplateFactory(factory.django.DjangoModelFactory[PlanTemplate]):
    class Meta:
        model = PlanTemplate

    name = factory.Sequence(lambda n: f"Protocol {n}")
    slug = factory.Sequence(lambda n: f"protocol-{n}")
    condition = "lumbar_spinal_stenosis"
    phase = 1


class TemplateItemFactory(factory.django.DjangoModelFactory[TemplateItem]):
    class Meta:
        model = TemplateItem

    template = factory.SubFactory(PlanTemplateFactory)
    exercise = factory.SubFactory(PlanExerciseFactory)
    sets = 2
    reps = 10


def walk_and_stretch() -> tuple[Exercise, Exercise]:
    """A walk dosed in minutes (15 by default) and a stretch held (3 x 30 s by default)."""
    walk = PlanExerciseFactory.create(
        name="Walking program",
        dosing=Dosing.DURATION,
        default_sets=1,
        default_reps=None,
        default_duration_seconds=900,
    )
    stretch = PlanExerciseFactory.create(
        name="Hamstring stretch",
        dosing=Dosing.HOLD,
        default_sets=3,
        default_reps=None,
        default_hold_seconds=30,
    )
    return walk, stretch


def item(exercise: Exercise, **dose: Any) -> Any:
    """An item as a request sends it (services.ItemInput, or a bad one on purpose)."""
    return {"exercise": exercise.pk, **dose}


def make_plan(
    *,
    pt: Therapist,
    member: Member,
    items: list[Any],
    start: date,
    status: str = "active",
    at: datetime | None = None,
    **kwargs: Any,
) -> services.PlanResult:
    return services.create_plan(
        user=pt.user,
        member_id=member.pk,
        title=kwargs.pop("title", "Home program"),
        start_date=start,
        status=status,
        items=cast(list[services.ItemInput], items),  # the tests' items, shapes as sent
        at=at,
        **kwargs,
    )
