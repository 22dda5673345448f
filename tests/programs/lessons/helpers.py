"""Lesson test helpers: the shipped lessons loaded (without pictures unless asked), and a
member with a plan that carries some of them."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings

from programs.models import Lesson, Plan
from programs.services.lessons import load_lessons
from tests.conftest import World
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan

LESSONS_FILE = Path(settings.BASE_DIR) / "fixtures" / "lessons" / "lessons.json"
START = date(2025, 3, 3)


def shipped() -> dict[str, Any]:
    return json.loads(LESSONS_FILE.read_text(encoding="utf-8"))


def load_shipped(data: dict[str, Any] | None = None) -> list[Lesson]:
    load_lessons(data=copy.deepcopy(data or shipped()))
    return list(Lesson.objects.order_by("order", "id"))


def plan_with_lessons(world: World, lessons: list[Lesson], *, member=None, pt=None) -> Plan:
    exercise = PlanExerciseFactory.create()
    return make_plan(
        pt=pt or world.pt,
        member=member or world.member,
        items=[item(exercise)],
        start=START,
        lessons=[lesson.pk for lesson in lessons],
    ).plan
