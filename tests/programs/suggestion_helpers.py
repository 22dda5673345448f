"""Helpers for progression suggestion tests: a plan with a bridge that has harder and easier
versions, and sessions written on chosen days (the rules read logs, whenever they were made)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from members.models import Member, SessionEntry, SessionLog, Therapist
from programs.models import Dosing, Exercise, Plan, PlanItem
from tests.members.sessions_helpers import local_today
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan


def bridge_family() -> tuple[Exercise, Exercise, Exercise]:
    easier = PlanExerciseFactory.create(
        name="Pelvic tilt", dosing=Dosing.REPS, default_sets=1, default_reps=12
    )
    harder = PlanExerciseFactory.create(
        name="Single-leg bridge", dosing=Dosing.REPS, default_sets=2, default_reps=8
    )
    bridge = PlanExerciseFactory.create(
        name="Glute bridge", dosing=Dosing.REPS, progression=harder, regression=easier
    )
    return bridge, harder, easier


def bridge_plan(
    *, pt: Therapist, member: Member, sets: int = 2, reps: int = 10
) -> tuple[Plan, PlanItem, PlanItem, Exercise, Exercise]:
    bridge, harder, easier = bridge_family()
    walk = PlanExerciseFactory.create(name="Walk", dosing=Dosing.REPS)
    start = local_today(member) - timedelta(days=40)
    result = make_plan(
        pt=pt,
        member=member,
        items=[item(bridge, sets=sets, reps=reps), item(walk, sets=1, reps=5)],
        start=start,
    )
    items = list(
        PlanItem.objects.filter(plan=result.plan, valid_to_revision__isnull=True).order_by("order")
    )
    return result.plan, items[0], items[1], harder, easier


def log_on(
    member: Member,
    day: date,
    entries: list[tuple[PlanItem, dict[str, Any]]],
    *,
    pain_after: int = 3,
) -> SessionLog:
    """A session on `day` with an entry per (item, fields): done at the item's dose unless the
    fields say otherwise."""
    session = SessionLog.objects.create(
        member=member,
        local_date=day,
        client_id=uuid.uuid4(),
        status="completed",
        pain_before=3,
        pain_after=pain_after,
    )
    SessionLog.objects.filter(pk=session.pk).update(
        created_at=datetime.combine(day, time(9), tzinfo=member.tz)
    )
    session.refresh_from_db()
    SessionEntry.objects.bulk_create(
        [
            SessionEntry(
                session=session,
                plan_item=plan_item,
                exercise_id=plan_item.exercise_id,
                **{
                    "status": "done",
                    "done": True,
                    "sets_done": plan_item.sets,
                    "reps_done": plan_item.reps,
                    "feedback": "just_right",
                    **fields,
                },
            )
            for plan_item, fields in entries
        ]
    )
    return session


def days_back(member: Member, *ago: int) -> list[date]:
    today = local_today(member)
    return [today - timedelta(days=n) for n in ago]


def too_easy_run(
    member: Member, bridge: PlanItem, walk: PlanItem, ago: tuple[int, ...] = (5, 3, 1)
) -> None:
    """Sessions `ago` days back with the bridge "too easy" and the walk "just right"."""
    for day in days_back(member, *ago):
        log_on(member, day, [(bridge, {"feedback": "too_easy"}), (walk, {})])


def too_easy_run_ending_today(member: Member, bridge: PlanItem, walk: PlanItem) -> None:
    """Two too-easy sessions written two and three days ago, and today's third logged through
    the service as the phone's POST is (writing the member's progression outbox row): the run
    "too easy" suggests the harder version for, pain known and not rising."""
    from members.services.sessions import EntryInput, log_session

    too_easy_run(member, bridge, walk, ago=(3, 2))
    log_session(
        member=member,
        local_date=local_today(member),
        status="completed",
        pain_before=3,
        pain_after=2,
        entries=[
            EntryInput(plan_item=bridge.pk, status="done", feedback="too_easy"),
            EntryInput(plan_item=walk.pk, status="done", feedback="just_right"),
        ],
    )
