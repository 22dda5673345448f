"""Remote therapeutic monitoring: the period and month arithmetic, the codes, the report's reads
and the services that write episodes and review time, on hand-worked dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from members.models import Member, MonitoringEpisode, ReviewTime, SessionLog, Therapist
from members.selectors import rtm
from members.services import rtm as services
from members.services.adherence import refresh_adherence
from members.services.outcomes import record_assessment
from tests import factories
from tests.conftest import World

# Mid-afternoon in UTC: the same date (March 20) for the members in New York.
NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
TODAY = date(2026, 3, 20)
Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def _episode(member: Member, start: date, end: date | None = None) -> MonitoringEpisode:
    return MonitoringEpisode.objects.create(
        member=member,
        start_date=start,
        end_date=end,
        consent_at=datetime(start.year, start.month, start.day, 9, tzinfo=UTC),
    )


def _data_on(member: Member, days: list[date], status: str = "completed") -> None:
    """Sessions on these local dates, then the day rows rebuilt as logging would."""
    SessionLog.objects.bulk_create(
        [SessionLog(member=member, local_date=day, status=status) for day in days]
    )
    refresh_adherence(member_ids=[member.pk], since=min(days), now=NOW)


def _review(member: Member, therapist: Therapist, day: date, minutes: int, live: bool) -> None:
    ReviewTime.objects.create(
        member=member, therapist=therapist, date=day, minutes=minutes, live_interaction=live
    )


def _figures(world: World, start: date = Q1[0], end: date = Q1[1]) -> rtm.MemberRtm:
    (figures,) = rtm.rtm_report(world.pt.user, start=start, end=end, now=NOW)
    return figures


def _days(n: int, start: date) -> list[date]:
    return [start + timedelta(days=k) for k in range(n)]


# --- the arithmetic -------------------------------------------------------------------------


def test_a_period_is_thirty_days_from_the_start_and_day_31_starts_the_next() -> None:
    start = date(2026, 1, 31)
    assert rtm.period_bounds(start, 1) == (date(2026, 1, 31), date(2026, 3, 1))
    assert rtm.period_number(start, date(2026, 3, 1)) == 1  # day 30
    assert rtm.period_number(start, date(2026, 3, 2)) == 2  # day 31
    assert rtm.period_bounds(start, 2) == (date(2026, 3, 2), date(2026, 3, 31))
    assert [p[0] for p in rtm.periods_through(start, date(2026, 3, 2))] == [1, 2]
    assert rtm.periods_through(start, date(2026, 1, 30)) == []


@pytest.mark.parametrize(
    ("days", "code"),
    [(0, None), (1, None), (2, "98985"), (15, "98985"), (16, "98977"), (30, "98977")],
)
def test_supply_code_by_days_with_data(days: int, code: str | None) -> None:
    assert rtm.supply_code(days) == code


@pytest.mark.parametrize(
    ("minutes", "live", "codes"),
    [
        (9, False, ()),
        (9, True, ()),
        (10, False, ("98979",)),
        (10, True, ("98979",)),
        (19, True, ("98979",)),
        (19, False, ("98979",)),
        # 20 minutes without a live interaction stay 98979: 98980 needs one.
        (20, False, ("98979",)),
        (20, True, ("98980",)),
        (39, True, ("98980",)),
        (40, True, ("98980", "98981")),
        (59, True, ("98980", "98981")),
        (60, True, ("98980", "98981", "98981")),
        (60, False, ("98979",)),
    ],
)
def test_management_codes_by_minutes_and_live_interaction(
    minutes: int, live: bool, codes: tuple[str, ...]
) -> None:
    assert rtm.management_codes(minutes=minutes, live_interaction=live) == codes


def test_months_between_cross_a_year_and_stop_at_the_last_date() -> None:
    assert rtm.months_between(date(2025, 11, 15), date(2026, 2, 1)) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert rtm.months_between(date(9999, 12, 1), date(9999, 12, 31)) == [date(9999, 12, 1)]
    assert rtm.month_end(date(2028, 2, 1)) == date(2028, 2, 29)


# --- days with data per period --------------------------------------------------------------


@pytest.mark.django_db
def test_day_30_counts_in_period_1_and_day_31_in_period_2(world: World) -> None:
    _episode(world.member, date(2026, 1, 31))
    # The day before the start, day 1, day 30 and day 31.
    _data_on(world.member, [date(2026, 1, 30), date(2026, 1, 31), date(2026, 3, 1)])
    _data_on(world.member, [date(2026, 3, 2)])
    periods = _figures(world).periods
    assert [(p.number, p.start, p.end) for p in periods] == [
        (1, date(2026, 1, 31), date(2026, 3, 1)),
        (2, date(2026, 3, 2), date(2026, 3, 31)),
    ]
    assert [(p.days_with_data, p.supply_code) for p in periods] == [(2, "98985"), (1, None)]
    assert [p.complete for p in periods] == [True, False]  # today, March 20, is in period 2


@pytest.mark.django_db
@pytest.mark.parametrize(("n", "code"), [(1, None), (2, "98985"), (15, "98985"), (16, "98977")])
def test_days_with_data_give_the_supply_code(world: World, n: int, code: str | None) -> None:
    _episode(world.member, date(2026, 2, 1))
    # Skipped sessions are reported too: a day with data is any report.
    _data_on(world.member, _days(n, date(2026, 2, 3)), status="skipped")
    (period,) = _figures(world, date(2026, 2, 1), date(2026, 2, 28)).periods
    assert (period.days_with_data, period.supply_code) == (n, code)


@pytest.mark.django_db
def test_a_questionnaire_alone_makes_a_day_with_data(world: World) -> None:
    _episode(world.member, date(2026, 3, 1))
    _data_on(world.member, [date(2026, 3, 2)])
    record_assessment(
        member=world.member, instrument="nprs", answers=[4], local_date=date(2026, 3, 17), now=NOW
    )
    (period,) = _figures(world, date(2026, 3, 1), date(2026, 3, 31)).periods
    assert (period.days_with_data, period.supply_code) == (2, "98985")


@pytest.mark.django_db
def test_days_before_the_start_of_monitoring_do_not_count(world: World) -> None:
    _data_on(world.member, _days(16, date(2026, 2, 10)))  # February 10-25
    _episode(world.member, date(2026, 2, 25))
    periods = _figures(world).periods
    assert [(p.start, p.days_with_data, p.supply_code) for p in periods] == [
        (date(2026, 2, 25), 1, None)
    ]


@pytest.mark.django_db
def test_an_ended_episode_stops_counting_and_its_last_period_is_short(world: World) -> None:
    _episode(world.member, date(2026, 1, 1), end=date(2026, 1, 20))
    _data_on(world.member, _days(25, date(2026, 1, 1)))
    (period,) = _figures(world).periods
    assert (period.end, period.complete, period.days_with_data) == (date(2026, 1, 20), True, 20)
    # No month after the episode's end, and none before its start.
    assert [m.month for m in _figures(world).months] == [date(2026, 1, 1)]


@pytest.mark.django_db
def test_periods_are_those_overlapping_the_range_counted_in_full(world: World) -> None:
    _episode(world.member, date(2026, 1, 10))  # periods Jan 10-Feb 8, Feb 9-Mar 10, Mar 11-
    _data_on(world.member, _days(10, date(2026, 1, 25)))  # January 25 - February 3
    periods = _figures(world, date(2026, 2, 1), date(2026, 2, 5)).periods
    # The range sees a few days of period 1, but billing counts all of it.
    assert [(p.number, p.days_with_data) for p in periods] == [(1, 10)]


# --- minutes per calendar month -------------------------------------------------------------


@pytest.mark.django_db
def test_minutes_count_in_the_calendar_month_of_their_date(world: World) -> None:
    _episode(world.member, date(2026, 1, 5))
    _review(world.member, world.pt, date(2026, 1, 31), 15, True)
    _review(world.member, world.pt, date(2026, 2, 1), 15, True)
    months = _figures(world, date(2026, 1, 1), date(2026, 2, 28)).months
    assert [(m.month, m.minutes, m.live_interaction, m.codes) for m in months] == [
        (date(2026, 1, 1), 15, True, ("98979",)),
        (date(2026, 2, 1), 15, True, ("98979",)),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("entries", "codes"),
    [
        ([(9, True)], ()),
        ([(4, False), (6, False)], ("98979",)),
        ([(19, True)], ("98979",)),
        ([(12, False), (8, False)], ("98979",)),  # 20 minutes, no call
        ([(12, False), (8, True)], ("98980",)),  # the call on any day of the month counts
        ([(25, True), (15, False)], ("98980", "98981")),  # 40
        ([(30, False), (29, True)], ("98980", "98981")),  # 59
        ([(20, True), (20, False), (20, False)], ("98980", "98981", "98981")),  # 60
    ],
)
def test_a_months_minutes_give_the_management_codes(
    world: World, entries: list[tuple[int, bool]], codes: tuple[str, ...]
) -> None:
    _episode(world.member, date(2026, 1, 5))
    for day, (minutes, live) in enumerate(entries, start=10):
        _review(world.member, world.pt, date(2026, 2, day), minutes, live)
    # A live call in January does not make February's minutes 98980.
    _review(world.member, world.pt, date(2026, 1, 30), 5, True)
    (month,) = _figures(world, date(2026, 2, 1), date(2026, 2, 28)).months
    assert month.minutes == sum(m for m, _ in entries)
    assert month.codes == codes


@pytest.mark.django_db
def test_a_monitored_month_without_minutes_is_listed_with_no_code(world: World) -> None:
    _episode(world.member, date(2026, 2, 20))
    months = _figures(world).months
    # January: not monitored; April: after today.
    assert [(m.month, m.minutes, m.codes) for m in months] == [
        (date(2026, 2, 1), 0, ()),
        (date(2026, 3, 1), 0, ()),
    ]


# --- who is in the report, and what it costs ------------------------------------------------


@pytest.mark.django_db
def test_the_report_is_scoped_to_what_each_user_may_see(world: World) -> None:
    for member in (world.member, world.other_member, world.foreign_member):
        _episode(member, date(2026, 2, 1))
    factories.MemberFactory.create(user__organization=world.org)  # not monitored

    def seen(user: object) -> set[int]:
        return {f.member.pk for f in rtm.rtm_report(user, start=Q1[0], end=Q1[1], now=NOW)}

    assert seen(world.coordinator) == {world.member.pk, world.other_member.pk}
    assert seen(world.pt.user) == {world.member.pk}
    assert seen(world.foreign_coordinator) == {world.foreign_member.pk}
    assert seen(world.staff) == {world.member.pk, world.other_member.pk, world.foreign_member.pk}
    # A member's own figures are theirs to read; nobody else's are.
    assert seen(world.member.user) == {world.member.pk}
    assert seen(None) == set()


@pytest.mark.django_db
def test_the_therapist_filter_keeps_that_pts_caseload(world: World) -> None:
    for member in (world.member, world.other_member):
        _episode(member, date(2026, 2, 1))
    report = rtm.rtm_report(
        world.coordinator, start=Q1[0], end=Q1[1], therapist=world.pt_other, now=NOW
    )
    assert [(f.member.pk, f.therapist) for f in report] == [(world.other_member.pk, world.pt_other)]


@pytest.mark.django_db
def test_members_outside_the_range_are_not_in_it(world: World) -> None:
    _episode(world.member, date(2026, 1, 1), end=date(2026, 1, 31))
    assert rtm.rtm_report(world.pt.user, start=date(2026, 2, 1), end=TODAY, now=NOW) == []


def _monitored_members(world: World, n: int) -> None:
    for _ in range(n):
        member = factories.MemberFactory.create(user__organization=world.org)
        factories.CareAssignmentFactory.create(member=member, therapist=world.pt)
        # An ended episode and an open one: more episodes do not mean more queries either.
        _episode(member, date(2025, 11, 1), end=date(2026, 1, 10))
        _episode(member, date(2026, 1, 20))
        _data_on(member, _days(5, date(2026, 1, 25)))
        _review(member, world.pt, date(2026, 2, 3), 12, False)
        _review(member, world.pt, date(2026, 3, 3), 25, True)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 10])
def test_the_report_takes_the_same_few_queries_for_1_and_10_members(
    world: World, n: int, django_assert_max_num_queries: Any
) -> None:
    _monitored_members(world, n)
    with django_assert_max_num_queries(5):
        report = rtm.rtm_report(world.coordinator, start=Q1[0], end=Q1[1], now=NOW)
    assert len(report) == n
    # The ended episode's last (short) period, and periods 1 and 2 (today's) of the open one.
    assert {len(f.periods) for f in report} == {3}
    assert {tuple(m.codes) for f in report for m in f.months} == {
        ("98979",),  # February: 12 minutes
        ("98980",),  # March: 25 minutes with a call
        (),  # January: none
    }


# --- services -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_start_monitoring_records_consent_and_the_pt(world: World) -> None:
    consent = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    episode = services.start_monitoring(
        user=world.pt.user,
        member=world.member,
        start_date=date(2026, 3, 2),
        consent_at=consent,
        now=NOW,
    )
    assert (episode.start_date, episode.end_date, episode.consent_at) == (
        date(2026, 3, 2),
        None,
        consent,
    )
    assert episode.consent_recorded_by == world.pt.user


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(exc.value.message_dict)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "consent", "field"),
    [
        (date(2026, 3, 21), datetime(2026, 3, 1, tzinfo=UTC), "start_date"),  # tomorrow
        (date(2025, 3, 1), datetime(2025, 3, 1, 12, tzinfo=UTC), "start_date"),  # > a year
        (date(2026, 3, 1), datetime(2026, 3, 5, 12, tzinfo=UTC), "start_date"),  # before consent
        (date(2026, 3, 20), datetime(2026, 3, 20, 16, tzinfo=UTC), "consent_at"),  # in an hour
        (date(2026, 3, 1), datetime(2026, 3, 1, 12), "consent_at"),  # no offset
    ],
)
def test_start_monitoring_names_the_field_it_refuses(
    world: World, start: date, consent: datetime, field: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.start_monitoring(
            user=world.pt.user, member=world.member, start_date=start, consent_at=consent, now=NOW
        )
    assert _errors(exc) == {field}
    assert not MonitoringEpisode.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["pt_other", "coordinator", "member", "staff", "foreign_pt"])
def test_only_a_pt_of_the_care_team_starts_monitoring(world: World, who: str) -> None:
    user = {
        "pt_other": world.pt_other.user,
        "coordinator": world.coordinator,
        "member": world.member.user,
        "staff": world.staff,
        "foreign_pt": world.foreign_pt.user,
    }[who]
    with pytest.raises(ValidationError) as exc:
        services.start_monitoring(
            user=user,
            member=world.member,
            start_date=date(2026, 3, 2),
            consent_at=datetime(2026, 3, 2, tzinfo=UTC),
            now=NOW,
        )
    assert _errors(exc) == {"member"}


@pytest.mark.django_db
def test_one_open_episode_and_a_new_one_only_after_the_last_ended(world: World) -> None:
    def start(day: date) -> MonitoringEpisode:
        return services.start_monitoring(
            user=world.pt.user,
            member=world.member,
            start_date=day,
            consent_at=datetime(2026, 1, 2, tzinfo=UTC),
            now=NOW,
        )

    start(date(2026, 1, 5))
    with pytest.raises(services.AlreadyMonitored) as conflict:
        start(date(2026, 2, 1))
    assert set(conflict.value.message_dict) == {"member"}
    services.end_monitoring(
        user=world.pt.user, member=world.member, end_date=date(2026, 2, 10), now=NOW
    )
    with pytest.raises(ValidationError) as exc:
        start(date(2026, 2, 10))  # the day the last one ended
    assert _errors(exc) == {"start_date"}
    assert start(date(2026, 2, 11)).start_date == date(2026, 2, 11)
    assert MonitoringEpisode.objects.filter(member=world.member).count() == 2


@pytest.mark.django_db
def test_end_monitoring_checks_the_end_date(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.end_monitoring(user=world.pt.user, member=world.member, end_date=TODAY, now=NOW)
    assert _errors(exc) == {"member"}  # nothing to end
    _episode(world.member, date(2026, 3, 1))
    _review(world.member, world.pt, date(2026, 3, 10), 10, False)
    for bad in (date(2026, 2, 28), date(2026, 3, 21), date(2026, 3, 9)):
        with pytest.raises(ValidationError) as exc:
            services.end_monitoring(user=world.pt.user, member=world.member, end_date=bad, now=NOW)
        assert _errors(exc) == {"end_date"}, bad
    ended = services.end_monitoring(
        user=world.pt.user, member=world.member, end_date=date(2026, 3, 10), now=NOW
    )
    assert ended.end_date == date(2026, 3, 10)


@pytest.mark.django_db
def test_record_review_time_stores_the_pts_minutes(world: World) -> None:
    _episode(world.member, date(2026, 3, 1))
    entry = services.record_review_time(
        user=world.pt.user,
        member=world.member,
        date=TODAY,
        minutes=240,
        live_interaction=True,
        now=NOW,
    )
    assert (entry.therapist, entry.minutes, entry.live_interaction) == (world.pt, 240, True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "minutes", "field"),
    [
        (TODAY, 0, "minutes"),
        (TODAY, 241, "minutes"),
        (TODAY, True, "minutes"),
        (date(2026, 3, 21), 10, "date"),  # tomorrow at the clinic
        (date(2025, 3, 19), 10, "date"),  # more than a year back
        (date(2026, 2, 28), 10, "date"),  # before monitoring started
    ],
)
def test_record_review_time_names_the_field_it_refuses(
    world: World, day: date, minutes: int, field: str
) -> None:
    _episode(world.member, date(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.record_review_time(
            user=world.pt.user,
            member=world.member,
            date=day,
            minutes=minutes,
            live_interaction=False,
            now=NOW,
        )
    assert _errors(exc) == {field}
    assert not ReviewTime.objects.exists()


@pytest.mark.django_db
def test_another_pt_records_no_review_time(world: World) -> None:
    _episode(world.member, date(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.record_review_time(
            user=world.pt_other.user,
            member=world.member,
            date=TODAY,
            minutes=10,
            live_interaction=False,
            now=NOW,
        )
    assert _errors(exc) == {"member"}


# --- the demo seed --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_seed_monitors_two_of_three_members_once() -> None:
    from members.demo.rtm import seed_demo_rtm
    from tests.members.sessions_helpers import local_today, plan_with_items

    clinic = factories.OrganizationFactory.create(slug="demo-clinic")
    pt = factories.TherapistFactory.create(user__organization=clinic)
    members = []
    for k in range(3):
        member = factories.MemberFactory.create(
            user__organization=clinic, user__username=f"demo_rtm_{k}"
        )
        factories.CareAssignmentFactory.create(
            member=member, therapist=pt, start_date=local_today(member) - timedelta(days=70)
        )
        plan_with_items(pt=pt, member=member, n=1, start=local_today(member) - timedelta(days=50))
        members.append(member)

    assert seed_demo_rtm(say=lambda line: None) == 2
    counts = (MonitoringEpisode.objects.count(), ReviewTime.objects.count())
    assert seed_demo_rtm(say=lambda line: None) == 0
    assert (MonitoringEpisode.objects.count(), ReviewTime.objects.count()) == counts

    # One member in three (here the second by username) is not monitored.
    monitored = {e.member_id: e for e in MonitoringEpisode.objects.all()}
    assert set(monitored) == {members[0].pk, members[2].pk}
    for member_id, episode in monitored.items():
        member = Member.objects.get(pk=member_id)
        assert episode.start_date == local_today(member) - timedelta(days=50)  # the plan's start
        assert episode.consent_recorded_by == pt.user
        reviews = list(ReviewTime.objects.filter(member_id=member_id))
        # Fifty days touch two or three calendar months: a few sittings in each, up to yesterday.
        assert 2 <= len(reviews) <= 8
        assert all(5 <= r.minutes <= 20 and r.therapist == pt for r in reviews)
        assert all(episode.start_date <= r.date < local_today(member) for r in reviews)
