"""Adherence figures worked by hand: what comes due, what counts as done, streaks, risk labels;
revisions and pauses mid-window, time zones, the roll-over when a day ends, and the session fast
path giving what a full rebuild gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from members.models import AdherenceDay, AdherenceWeek, Member, MemberAdherence, Risk, SessionLog
from members.rules import adherence as rules
from members.services import adherence as service
from members.services.sessions import EntryInput, log_session
from programs.services.plans import revise_plan
from tests import factories
from tests.conftest import World
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan


def today() -> date:
    """Today when the test runs, not when the module was imported (a run may cross midnight)."""
    return timezone.now().date()


def noon() -> datetime:
    return datetime.combine(today(), time(12, 0), tzinfo=UTC)


def day(n: int) -> date:
    """T - n."""
    return today() - timedelta(days=n)


def at_noon(n: int) -> datetime:
    return noon() - timedelta(days=n)


def utc_member(world: World) -> Member:
    member = world.member
    member.timezone = "UTC"
    member.save(update_fields=["timezone"])
    return member


def daily_plan(world: World, member: Member, *, start: int, times_per_day: int = 1):
    exercise = PlanExerciseFactory.create()
    return make_plan(
        pt=world.pt,
        member=member,
        items=[item(exercise, times_per_day=times_per_day)],
        start=day(start),
        at=at_noon(start),
    ).plan


def log(member: Member, n: int, status: str = "completed", **values) -> SessionLog:
    return factories.SessionLogFactory.create(
        member=member, local_date=day(n), status=status, **values
    )


def figures(member: Member, now: datetime | None = None) -> MemberAdherence:
    """The figures after a rebuild of the last 40 days (the tests write logs with the ORM,
    which, unlike the services, refreshes nothing)."""
    service.refresh_adherence(member_ids=[member.pk], since=day(40), now=now or noon())
    return MemberAdherence.objects.get(member=member)


# --- the rules, on their own ---------------------------------------------------------------------


def test_streaks_skip_rest_days_and_today_does_not_break_the_run() -> None:
    today = date(2026, 3, 12)
    prescribed = [today - timedelta(days=n) for n in (0, 1, 2, 4, 5, 6, 8, 9)]  # 3 and 7 rest
    done = {today - timedelta(days=n) for n in (1, 2, 4, 5, 8, 9)}
    # 6 missed (a prescribed day) ends the older run of 2; today not done yet breaks nothing.
    assert rules.streaks(prescribed_days=prescribed, done_days=done, today=today) == (4, 4)
    assert rules.streaks(prescribed_days=prescribed, done_days=done | {today}, today=today) == (
        5,
        5,
    )


def test_a_day_credits_at_most_what_it_prescribed_and_today_is_due_only_once_done() -> None:
    today = date(2026, 3, 12)
    past = rules.day_counts(day=today - timedelta(days=1), today=today, prescribed=2, done=3,
                            logged=3)  # fmt: skip
    assert (past.due, past.credited, past.done) == (2, 2, 3)
    now = rules.day_counts(day=today, today=today, prescribed=2, done=1, logged=1)
    assert (now.due, now.credited) == (1, 1)
    rest = rules.day_counts(day=today, today=today, prescribed=0, done=1, logged=1)
    assert (rest.due, rest.credited, rest.has_data) == (0, 0, True)
    assert rules.percent(0, 0) is None
    assert rules.percent(7, 9) == 77.8
    assert rules.percent(5, 4) == 100.0


@pytest.mark.parametrize(
    ("first", "last", "trend"),
    [(6.0, 4.0, "better"), (6.0, 4.5, "steady"), (3.0, 5.0, "worse"), (None, 4.0, None)],
)
def test_pain_trend_against_the_nprs_mcid(first, last, trend) -> None:
    assert rules.pain_trend(first, last) == trend


# --- hand-worked members -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_daily_plan_with_a_gap(world: World) -> None:
    member = utc_member(world)
    daily_plan(world, member, start=9)
    for n in (9, 8, 7, 6, 5):
        log(member, n, pain_before=6, pain_after=5)
    log(member, 3, "partial", pain_before=4)
    log(member, 2, "skipped")
    s = figures(member)
    # Due: the 9 days before today (today is not over and nothing is done yet).
    assert (s.prescribed, s.completed, s.adherence) == (9, 6, 66.7)
    assert s.active_days_30 == 6
    assert (s.current_streak, s.best_streak) == (0, 5)  # yesterday was missed
    assert (s.first_active, s.last_active) == (day(9), day(3))
    assert (s.this_week, s.last_week) == (3, 3)  # T-6..T: T-6, T-5, T-3; T-13..T-7: three
    assert s.risk == Risk.ON_TRACK  # last active 3 days ago: not inactive yet
    # Pain: the window's first week (T-29..T-23) has none; its last week T-6..T: 6, 6, 4.
    assert (s.pain_first_week, s.pain_last_week) == (None, 5.3)
    # The skipped session on T-2 has no pain: it counts for days with data only.
    skipped = AdherenceDay.objects.get(member=member, date=day(2))
    assert (skipped.prescribed, skipped.done, skipped.has_data) == (1, 0, True)
    assert not AdherenceDay.objects.filter(member=member, date__lt=day(9)).exists()


@pytest.mark.django_db
def test_more_sessions_a_day_from_a_revision_mid_window(world: World) -> None:
    member = utc_member(world)
    plan = daily_plan(world, member, start=9)
    current = plan.items.get()
    revise_plan(
        user=world.pt.user,
        plan=plan,
        reason="Twice a day now",
        items=[{"id": current.pk, "exercise": current.exercise_id, "times_per_day": 2}],
        at=at_noon(4),
    )
    for n in range(1, 10):
        log(member, n)  # one session a day, every day before today
    s = figures(member)
    # T-9..T-5 ask once (5), T-4..T-1 twice (8): 13 due, one done each day: 9.
    assert (s.prescribed, s.completed, s.adherence) == (13, 9, 69.2)
    assert AdherenceDay.objects.get(member=member, date=day(4)).prescribed == 2
    assert AdherenceDay.objects.get(member=member, date=day(5)).prescribed == 1


@pytest.mark.django_db
def test_a_paused_plan_asks_nothing_while_paused(world: World) -> None:
    member = utc_member(world)
    plan = daily_plan(world, member, start=9)
    revise_plan(user=world.pt.user, plan=plan, reason="Flare-up", status="paused", at=at_noon(6))
    revise_plan(user=world.pt.user, plan=plan, reason="Settled", status="active", at=at_noon(2))
    for n in (9, 8, 7, 2, 1):
        log(member, n)
    s = figures(member)
    assert (s.prescribed, s.completed, s.adherence) == (5, 5, 100.0)
    assert (s.current_streak, s.best_streak) == (5, 5)  # the pause does not break the run
    assert not AdherenceDay.objects.filter(member=member, date__range=(day(6), day(3))).exists()
    assert s.risk == Risk.ON_TRACK


@pytest.mark.django_db
def test_each_member_is_counted_by_their_own_local_date(world: World) -> None:
    """At 20:00 UTC it is already tomorrow morning in Tokyo and still this morning in
    Honolulu: Tokyo's day T is over (due), Honolulu's is not."""
    evening = datetime.combine(today(), time(20, 0), tzinfo=UTC)
    tokyo, honolulu = world.member, world.other_member
    tokyo.timezone, honolulu.timezone = "Asia/Tokyo", "Pacific/Honolulu"
    tokyo.save(update_fields=["timezone"])
    honolulu.save(update_fields=["timezone"])
    exercise = PlanExerciseFactory.create()
    for member, pt in ((tokyo, world.pt), (honolulu, world.pt_other)):
        make_plan(pt=pt, member=member, items=[item(exercise)], start=day(5), at=at_noon(5))
    a, b = figures(tokyo, evening), figures(honolulu, evening)
    assert (a.as_of, a.prescribed) == (today() + timedelta(days=1), 6)  # T-5..T
    assert (b.as_of, b.prescribed) == (today(), 5)  # T-5..T-1
    assert a.risk == b.risk == Risk.NEVER_STARTED


@pytest.mark.django_db
def test_labels_never_started_inactive_fading_no_plan(world: World) -> None:
    member = utc_member(world)
    assert figures(member).risk == Risk.NO_PLAN
    daily_plan(world, member, start=20)
    assert figures(member).risk == Risk.NEVER_STARTED
    log(member, 4)  # the last session 4 days ago: 3 whole days and today without one
    assert figures(member).risk == Risk.INACTIVE
    for n in (13, 12, 11, 10, 9, 8, 7, 1):
        log(member, n)  # 7 (T-13..T-7 with T-4 in the next week): then T-4 and T-1 this week
    s = figures(member)
    assert (s.this_week, s.last_week) == (2, 7)
    assert s.risk == Risk.FADING


@pytest.mark.django_db
def test_a_plan_starting_today_is_not_late(world: World) -> None:
    member = utc_member(world)
    daily_plan(world, member, start=0)
    s = figures(member)
    assert (s.prescribed, s.adherence, s.risk) == (0, None, Risk.ON_TRACK)


# --- keeping them current ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_day_rolls_over_and_yesterday_comes_due(world: World) -> None:
    member = utc_member(world)
    daily_plan(world, member, start=5)
    yesterday_noon = at_noon(1)
    s = figures(member, yesterday_noon)
    assert (s.as_of, s.prescribed) == (day(1), 4)
    assert service.members_to_roll_over(now=noon()) == [member.pk]
    assert service.roll_over(now=noon()) == 1
    s = MemberAdherence.objects.get(member=member)
    assert (s.as_of, s.prescribed) == (today(), 5)
    assert AdherenceDay.objects.get(member=member, date=day(1)).due == 1
    assert service.members_to_roll_over(now=noon()) == []


@pytest.mark.django_db
def test_logging_through_the_service_gives_what_a_full_rebuild_gives(world: World) -> None:
    member = utc_member(world)
    plan = daily_plan(world, member, start=12, times_per_day=2)
    for n in (12, 11, 10, 8, 3):
        log(member, n, pain_before=5)
    figures(member, timezone.now())
    item_id = plan.items.get().pk
    logged = log_session(
        member=member,
        local_date=today(),
        status="completed",
        pain_before=3,
        entries=[EntryInput(plan_item=item_id, status="done")],
    )
    fast = MemberAdherence.objects.get(member=member)
    fast_days = list(AdherenceDay.objects.filter(member=member).order_by("date").values())
    fast_weeks = list(AdherenceWeek.objects.filter(member=member).order_by("week_start").values())
    assert AdherenceDay.objects.get(member=member, date=today()).done == 1
    assert fast.last_active == today()
    # Rebuild everything from the plan's start: the same rows and figures.
    AdherenceDay.objects.filter(member=member).delete()
    AdherenceWeek.objects.filter(member=member).delete()
    MemberAdherence.objects.filter(member=member).delete()
    service.refresh_adherence(member_ids=[member.pk])
    full = MemberAdherence.objects.get(member=member)
    fields = [f for f in service.SUMMARY_FIELDS if f != "updated_at"]
    assert {f: getattr(fast, f) for f in fields} == {f: getattr(full, f) for f in fields}
    strip = [{k: v for k, v in row.items() if k != "id"} for row in fast_days]
    assert strip == [
        {k: v for k, v in row.items() if k != "id"}
        for row in AdherenceDay.objects.filter(member=member).order_by("date").values()
    ]
    assert [{k: v for k, v in w.items() if k != "id"} for w in fast_weeks] == [
        {k: v for k, v in w.items() if k != "id"}
        for w in AdherenceWeek.objects.filter(member=member).order_by("week_start").values()
    ]
    assert logged.created


def _counted(queries: list[dict[str, str]]) -> int:
    """The queries a refresh costs. On PostgreSQL, every one. On SQLite, Django splits a bulk
    insert into statements of at most 999 variables, so the number of INSERTs grows with the
    rows written (one more per ~90 day rows): there every other query is counted, and it must
    not grow with the members or the days any more than on PostgreSQL."""
    from django.db import connection

    statements = [q["sql"].lstrip().upper() for q in queries]
    if connection.vendor == "sqlite":
        statements = [sql for sql in statements if not sql.startswith("INSERT")]
    return len(statements)


@pytest.mark.django_db
def test_refreshing_many_members_costs_the_same_queries(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories

    exercise = PlanExerciseFactory.create()

    def members(n: int) -> list[int]:
        ids = []
        for _ in range(n):
            member = factories.MemberFactory.create(user__organization=world.org)
            factories.CareAssignmentFactory.create(member=member, therapist=world.pt)
            make_plan(pt=world.pt, member=member, items=[item(exercise)], start=day(20))
            factories.SessionLogFactory.create(member=member, local_date=day(3), status="completed")
            ids.append(member.pk)
        return ids

    few, many = members(2), members(12)
    counts = []
    for ids in (few, many):
        MemberAdherence.objects.filter(member_id__in=ids).delete()
        with CaptureQueriesContext(connection) as queries:
            service.refresh_adherence(member_ids=ids)
        counts.append(_counted(queries.captured_queries))
    assert counts[0] == counts[1], counts
    with CaptureQueriesContext(connection) as queries:
        service.refresh_adherence(member_ids=many)
    assert _counted(queries.captured_queries) <= 20
