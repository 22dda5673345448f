"""The schedule (the denominator of adherence) against hand-worked cases.

Week used throughout: Monday 3 March 2025 to Sunday 9 March 2025 (weekday 0 = Monday).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from members.models import Member
from programs.models import PlanItem
from programs.selectors.schedule import prescribed_sessions, prescribed_sessions_for_members
from programs.services import plans as services
from tests import factories
from tests.conftest import World
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan

MON = date(2025, 3, 3)
MWF = [0, 2, 4]


def d(offset: int) -> date:
    return MON + timedelta(days=offset)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def names(schedule, day: date) -> list[str]:
    return [p.item.exercise.name for p in schedule[day].items]


@pytest.fixture
def bridge(db: None):
    return PlanExerciseFactory.create(name="Glute bridge")


@pytest.fixture
def tilt(db: None):
    return PlanExerciseFactory.create(name="Pelvic tilt")


def _current(plan_id: int, name: str) -> PlanItem:
    return PlanItem.objects.get(
        plan_id=plan_id, exercise__name=name, valid_to_revision__isnull=True
    )


def test_days_before_start_and_weekdays_and_times_per_day(world: World, bridge, tilt) -> None:
    make_plan(
        pt=world.pt,
        member=world.member,
        items=[item(bridge, days_of_week=MWF), item(tilt, times_per_day=2)],
        start=MON,
        at=utc(MON, 15),
    )
    schedule = prescribed_sessions(member=world.member, start=d(-2), end=d(6))
    assert list(schedule) == [d(n) for n in range(-2, 7)]
    assert names(schedule, d(-2)) == [] and names(schedule, d(-1)) == []
    assert names(schedule, d(0)) == ["Glute bridge", "Pelvic tilt"]
    assert names(schedule, d(1)) == ["Pelvic tilt"]
    assert names(schedule, d(2)) == ["Glute bridge", "Pelvic tilt"]
    assert names(schedule, d(6)) == ["Pelvic tilt"]
    assert [schedule[d(n)].sessions for n in range(-2, 7)] == [0, 0, 2, 2, 2, 2, 2, 2, 2]


def test_revision_mid_week_changing_days_of_week(world: World, bridge, tilt) -> None:
    result = make_plan(
        pt=world.pt,
        member=world.member,
        items=[item(bridge, days_of_week=MWF), item(tilt, days_of_week=[6])],
        start=MON,
        at=utc(MON, 15),
    )
    plan = result.plan
    first = _current(plan.pk, "Glute bridge")
    tilt_item = _current(plan.pk, "Pelvic tilt")
    # Wednesday 13:00 in New York: Wednesday is governed by the new days (Tue/Thu).
    services.revise_plan(
        user=world.pt.user,
        plan=plan,
        reason="Spread the load",
        items=[{"id": first.pk, "days_of_week": [1, 3]}, {"id": tilt_item.pk}],
        at=utc(d(2), 18),
    )
    second = _current(plan.pk, "Glute bridge")
    assert second.key == first.key and second.pk != first.pk
    schedule = prescribed_sessions(member=world.member, start=MON, end=d(6))
    bridge_days = {day for day, p in schedule.items() if "Glute bridge" in names(schedule, day)}
    assert bridge_days == {d(0), d(3)}  # Monday (old days), Thursday (new days)
    assert schedule[d(0)].items[0].item.pk == first.pk
    assert schedule[d(3)].items[0].item.pk == second.pk
    # The unchanged item keeps its version across the revision.
    assert schedule[d(6)].items[0].item.pk == tilt_item.pk
    assert schedule[d(6)].items[0].revision == 2


def test_paused_then_resumed_prescribes_nothing_while_paused(world: World, bridge) -> None:
    plan = make_plan(
        pt=world.pt, member=world.member, items=[item(bridge)], start=MON, at=utc(MON, 15)
    ).plan
    services.revise_plan(
        user=world.pt.user, plan=plan, reason="Flare-up", status="paused", at=utc(d(2), 15)
    )
    services.revise_plan(
        user=world.pt.user, plan=plan, reason="Settled", status="active", at=utc(d(5), 15)
    )
    schedule = prescribed_sessions(member=world.member, start=MON, end=d(6))
    assert [schedule[d(n)].sessions for n in range(7)] == [1, 1, 0, 0, 0, 1, 1]


def test_end_date_is_the_last_day_prescribed(world: World, bridge) -> None:
    make_plan(
        pt=world.pt,
        member=world.member,
        items=[item(bridge)],
        start=MON,
        end_date=d(4),
        at=utc(MON, 15),
    )
    schedule = prescribed_sessions(member=world.member, start=MON, end=d(6))
    assert [schedule[d(n)].sessions for n in range(7)] == [1, 1, 1, 1, 1, 0, 0]


def test_completed_plan_stops_and_history_before_stays(world: World, bridge) -> None:
    plan = make_plan(
        pt=world.pt, member=world.member, items=[item(bridge)], start=MON, at=utc(MON, 15)
    ).plan
    services.revise_plan(
        user=world.pt.user, plan=plan, reason="Discharged", status="completed", at=utc(d(3), 15)
    )
    schedule = prescribed_sessions(member=world.member, start=MON, end=d(6))
    assert [schedule[d(n)].sessions for n in range(7)] == [1, 1, 1, 0, 0, 0, 0]


def test_item_removed_mid_range(world: World, bridge, tilt) -> None:
    plan = make_plan(
        pt=world.pt,
        member=world.member,
        items=[item(bridge), item(tilt)],
        start=MON,
        at=utc(MON, 15),
    ).plan
    keep = _current(plan.pk, "Glute bridge")
    services.revise_plan(
        user=world.pt.user,
        plan=plan,
        reason="Tilt mastered",
        items=[{"id": keep.pk}],
        at=utc(d(2), 15),
    )
    schedule = prescribed_sessions(member=world.member, start=MON, end=d(6))
    assert names(schedule, d(1)) == ["Glute bridge", "Pelvic tilt"]
    assert names(schedule, d(2)) == ["Glute bridge"]
    assert names(schedule, d(6)) == ["Glute bridge"]
    # A removal writes no new version of what stays.
    assert {
        p.item.pk for day in schedule.values() for p in day.items if p.item.exercise == bridge
    } == {keep.pk}


def test_draft_plan_prescribes_nothing_until_activated(world: World, bridge) -> None:
    plan = make_plan(
        pt=world.pt,
        member=world.member,
        items=[item(bridge)],
        start=MON,
        status="draft",
        at=utc(MON, 15),
    ).plan
    assert (
        sum(
            p.sessions
            for p in prescribed_sessions(member=world.member, start=MON, end=d(6)).values()
        )
        == 0
    )
    services.revise_plan(
        user=world.pt.user, plan=plan, reason="Go", status="active", at=utc(d(3), 15)
    )
    schedule = prescribed_sessions(member=world.member, start=MON, end=d(6))
    assert [schedule[d(n)].sessions for n in range(7)] == [0, 0, 0, 1, 1, 1, 1]


def test_plan_entered_after_it_began_counts_from_its_start(world: World, bridge) -> None:
    make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=MON, at=utc(d(4), 15))
    schedule = prescribed_sessions(member=world.member, start=MON, end=d(6))
    assert [schedule[d(n)].sessions for n in range(7)] == [1] * 7


def test_last_revision_of_a_day_governs_that_day(world: World, bridge) -> None:
    plan = make_plan(
        pt=world.pt, member=world.member, items=[item(bridge)], start=MON, at=utc(MON, 15)
    ).plan
    services.revise_plan(
        user=world.pt.user, plan=plan, reason="Pause", status="paused", at=utc(d(2), 14)
    )
    services.revise_plan(
        user=world.pt.user, plan=plan, reason="Oops", status="active", at=utc(d(2), 16)
    )
    schedule = prescribed_sessions(member=world.member, start=MON, end=d(6))
    assert [schedule[d(n)].sessions for n in range(7)] == [1] * 7


@pytest.mark.parametrize(
    ("zone", "first_new_day"),
    [
        # 23:30 UTC on Wednesday is 15:30 Wednesday in Los Angeles (UTC-8 until 9 March)...
        ("America/Los_Angeles", d(2)),
        # ...and 12:30 on Thursday in Auckland (UTC+13, daylight time until April).
        ("Pacific/Auckland", d(3)),
    ],
)
def test_member_local_date_decides_when_a_revision_takes_effect(
    world: World, bridge, zone: str, first_new_day: date
) -> None:
    member: Member = factories.MemberFactory.create(user__organization=world.org, timezone=zone)
    factories.CareAssignmentFactory.create(member=member, therapist=world.pt)
    plan = make_plan(
        pt=world.pt, member=member, items=[item(bridge, reps=10)], start=MON, at=utc(MON, 15)
    ).plan
    old = _current(plan.pk, "Glute bridge")
    services.revise_plan(
        user=world.pt.user,
        plan=plan,
        reason="Progress",
        items=[{"id": old.pk, "reps": 12}],
        at=utc(d(2), 23, 30),
    )
    schedule = prescribed_sessions(member=member, start=MON, end=d(6))
    reps = {day: schedule[day].items[0].item.reps for day in schedule}
    assert reps == {day: (12 if day >= first_new_day else 10) for day in schedule}


def test_many_members_in_a_few_queries_whatever_the_range(
    world: World, bridge, tilt, django_assert_max_num_queries
) -> None:
    members = [world.member]
    for _ in range(4):
        member = factories.MemberFactory.create(user__organization=world.org)
        factories.CareAssignmentFactory.create(member=member, therapist=world.pt)
        members.append(member)
    for index, member in enumerate(members):
        plan = make_plan(
            pt=world.pt,
            member=member,
            items=[item(bridge, days_of_week=MWF), item(tilt)],
            start=MON,
            at=utc(MON, 15),
        ).plan
        if index % 2:
            services.revise_plan(
                user=world.pt.user, plan=plan, reason="Pause", status="paused", at=utc(d(7), 15)
            )
    with django_assert_max_num_queries(3):
        everyone = prescribed_sessions_for_members(members=members, start=MON, end=d(90))
    for member in members:
        alone = prescribed_sessions(member=member, start=MON, end=d(90))
        assert {day: p.sessions for day, p in alone.items()} == {
            day: p.sessions for day, p in everyone[member.pk].items()
        }
    weekly = [sum(everyone[m.pk][d(n)].sessions for n in range(7, 14)) for m in members]
    assert weekly == [7, 0, 7, 0, 7]
