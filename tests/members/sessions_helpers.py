"""Helpers for session tests: a member's plan written through the plan services, and bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from members.models import Member, Therapist
from programs.models import Exercise, Plan, PlanItem
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan


def local_today(member: Member, now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), member.tz).date()


def exercises(n: int) -> list[Exercise]:
    return [PlanExerciseFactory.create(name=f"Exercise {k + 1}") for k in range(n)]


def plan_with_items(
    *,
    pt: Therapist,
    member: Member,
    n: int = 3,
    start: date | None = None,
    at: datetime | None = None,
    doses: list[dict[str, Any]] | None = None,
) -> tuple[Plan, list[PlanItem]]:
    """An active plan of `n` exercises (2 x 10 by default) started 30 days before today."""
    start = start or local_today(member) - timedelta(days=30)
    chosen = exercises(n)
    doses = doses or [{"sets": 2, "reps": 10}] * n
    result = make_plan(
        pt=pt,
        member=member,
        items=[item(e, **dose) for e, dose in zip(chosen, doses, strict=True)],
        start=start,
        at=at,
    )
    items = list(
        PlanItem.objects.filter(plan=result.plan, valid_to_revision__isnull=True)
        .select_related("exercise")
        .order_by("order", "id")
    )
    return result.plan, items


def entry(plan_item: PlanItem, **fields: Any) -> dict[str, Any]:
    return {
        "plan_item": plan_item.pk,
        "status": "done",
        "sets_done": plan_item.sets,
        "reps_done": plan_item.reps,
        "feedback": "just_right",
        **fields,
    }


def session_body(
    member: Member, items: list[PlanItem], *, day: date | None = None, **fields: Any
) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "date": (day or local_today(member)).isoformat(),
        "status": "completed",
        "pain_before": 4,
        "pain_after": 3,
        "rpe": 4,
        "notes": "Felt fine.",
        "entries": [entry(i) for i in items],
        **fields,
    }
