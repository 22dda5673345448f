"""Remote therapeutic monitoring (RTM) figures: days with data per 30-day period, PT minutes per
calendar month, and the billing codes each qualifies for (shared/domain/CLINICAL.md).

The arithmetic at the top is pure (dates and numbers in, codes out). The reads below it build
the figures of many members at once in a fixed number of queries, whatever the number of
members, periods or months. Who is read starts from `access.visible_members`: coordinators see
their organization, PTs their caseload, staff everyone, and a member only themselves. A member
reading their own figures is harmless (their own days, their PT's minutes on them), so the
selector allows it; the report endpoint and page are for clinic roles and answer 404 to members.

Days with data come from what members report (sessions of any status, questionnaires): the
figures are self-reported, and everything that shows them says so (`SOURCE`).
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from exercise_tracker import access, clock
from members.models import (
    AdherenceDay,
    CareAssignment,
    Member,
    MonitoringEpisode,
    ReviewTime,
    Therapist,
)

SOURCE = "self-reported"
SOURCE_NOTE = (
    "Figures are self-reported: members report their own sessions and questionnaires, and PTs "
    "record their own review minutes."
)

PERIOD_DAYS = 30
# Supply codes: days with data in one 30-day period from the start of monitoring.
SUPPLY_FULL = "98977"  # 16 or more days
SUPPLY_SHORT = "98985"  # 2-15 days (new in 2026)
FULL_SUPPLY_DAYS = 16
SHORT_SUPPLY_DAYS = 2
# Management codes: a PT's minutes in one calendar month.
MANAGEMENT_FIRST_10 = "98979"  # 10-19 minutes, or more without a live interaction
MANAGEMENT_FIRST_20 = "98980"  # the first 20 minutes, with at least one live interaction
MANAGEMENT_EACH_20 = "98981"  # each further full 20 minutes, add-on to 98980
FIRST_10_MINUTES = 10
FIRST_20_MINUTES = 20
ADD_ON_MINUTES = 20


# --- the arithmetic ----------------------------------------------------------------------------


def period_bounds(start: date, number: int) -> tuple[date, date]:
    """The first and last day of period `number` (1-based) of monitoring that began on `start`."""
    first = start + timedelta(days=PERIOD_DAYS * (number - 1))
    return first, first + timedelta(days=PERIOD_DAYS - 1)


def period_number(start: date, day: date) -> int:
    """Which period (1-based) of monitoring that began on `start` holds `day` (>= start)."""
    return (day - start).days // PERIOD_DAYS + 1


def periods_through(start: date, last_day: date) -> list[tuple[int, date, date]]:
    """(number, first, last) of every period from `start` up to the one holding `last_day`."""
    if last_day < start:
        return []
    return [
        (number, *period_bounds(start, number))
        for number in range(1, period_number(start, last_day) + 1)
    ]


def supply_code(days_with_data: int) -> str | None:
    """The supply code a 30-day period qualifies for, or None below two days."""
    if days_with_data >= FULL_SUPPLY_DAYS:
        return SUPPLY_FULL
    if days_with_data >= SHORT_SUPPLY_DAYS:
        return SUPPLY_SHORT
    return None


def management_codes(*, minutes: int, live_interaction: bool) -> tuple[str, ...]:
    """The management codes of one calendar month, each unit listed (98981 may repeat).

    98980 needs a live, two-way interaction; without one, 20 minutes or more still make only
    98979, which is never reported beside 98980."""
    if minutes < FIRST_10_MINUTES:
        return ()
    if minutes < FIRST_20_MINUTES or not live_interaction:
        return (MANAGEMENT_FIRST_10,)
    add_ons = (minutes - FIRST_20_MINUTES) // ADD_ON_MINUTES
    return (MANAGEMENT_FIRST_20, *([MANAGEMENT_EACH_20] * add_ons))


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def months_between(start: date, end: date) -> list[date]:
    """The first day of every calendar month overlapping [start, end]."""
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        if month.month == 12:
            if month.year == date.max.year:
                break
            month = month.replace(year=month.year + 1, month=1)
        else:
            month = month.replace(month=month.month + 1)
    return months


# --- the figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodFigures:
    """One 30-day period of one episode. `end` is cut short when the episode ended inside it;
    an incomplete period (today is in it) may still reach a better code."""

    episode_id: int
    number: int
    start: date
    end: date
    complete: bool
    days_with_data: int
    supply_code: str | None


@dataclass(frozen=True)
class MonthFigures:
    """A PT's review minutes on one member in one calendar month (all PTs of the member)."""

    month: date  # its first day
    minutes: int
    reviews: int
    live_interaction: bool
    codes: tuple[str, ...]


@dataclass(frozen=True)
class MemberRtm:
    member: Member
    therapist: Therapist | None  # the primary PT now
    today: date  # the member's local date the figures are as of
    periods: list[PeriodFigures]
    months: list[MonthFigures]


def _overlapping(start: date, end: date) -> Q:
    """Episodes (on MonitoringEpisode) that overlap [start, end]."""
    return Q(start_date__lte=end) & (Q(end_date__isnull=True) | Q(end_date__gte=start))


def monitored_members(
    user: Any, *, start: date, end: date, therapist: Therapist | None = None
) -> QuerySet[Member]:
    """The members this user may see who were monitored at some point in [start, end], by
    name; with `therapist`, only those in that PT's caseload now."""
    members = access.visible_members(user).filter(
        pk__in=MonitoringEpisode.objects.filter(_overlapping(start, end)).values("member_id")
    )
    if therapist is not None:
        members = members.filter(
            pk__in=CareAssignment.objects.filter(
                access.open_assignments(), therapist=therapist
            ).values("member_id")
        )
    return members.order_by("user__last_name", "user__first_name", "pk")


Span = tuple[MonitoringEpisode, int, date, date]  # (episode, period number, first, last)


def rtm_for_members(
    members: Sequence[Member], *, start: date, end: date, now: datetime | None = None
) -> list[MemberRtm]:
    """The figures of these members (already scoped by the caller, see `monitored_members`):
    the periods of their episodes that overlap [start, end], each counted in full, and the
    calendar months overlapping [start, end] while they were monitored or had minutes
    recorded. Four queries, whatever the number of members."""
    if not members:
        return []
    now = now or timezone.now()
    ids = [m.pk for m in members]
    todays = {m.pk: clock.local_today(m, now) for m in members}
    episodes = _episodes(ids, start, end)
    primary = access.primary_therapists(ids)
    spans = {m: _periods_in_range(eps, start, end, todays[m]) for m, eps in episodes.items()}
    data_days = _data_days(ids, [span for of_member in spans.values() for span in of_member])
    months = months_between(start, end)
    minutes = _review_minutes(ids, months)
    return [
        MemberRtm(
            member=member,
            therapist=primary.get(member.pk),
            today=todays[member.pk],
            periods=_period_figures(
                spans.get(member.pk, []), data_days.get(member.pk, []), todays[member.pk]
            ),
            months=_month_figures(
                months,
                {month: minutes.get((member.pk, month)) for month in months},
                episodes.get(member.pk, []),
                todays[member.pk],
            ),
        )
        for member in members
    ]


def _episodes(ids: list[int], start: date, end: date) -> dict[int, list[MonitoringEpisode]]:
    """member id → their episodes overlapping [start, end], oldest first (one query)."""
    episodes: dict[int, list[MonitoringEpisode]] = defaultdict(list)
    for episode in MonitoringEpisode.objects.filter(
        _overlapping(start, end), member_id__in=ids
    ).order_by("member_id", "start_date"):
        episodes[episode.member_id].append(episode)
    return episodes


def _data_days(ids: list[int], spans: list[Span]) -> dict[int, list[date]]:
    """member id → their days with data over the spans' dates, in order (one query)."""
    data_days: dict[int, list[date]] = defaultdict(list)
    if not spans:
        return data_days
    first = min(span[2] for span in spans)
    last = max(span[3] for span in spans)
    for member_id, day in (
        AdherenceDay.objects.filter(
            member_id__in=ids, has_data=True, date__gte=first, date__lte=last
        )
        .order_by("member_id", "date")
        .values_list("member_id", "date")
    ):
        data_days[member_id].append(day)
    return data_days


def _review_minutes(ids: list[int], months: list[date]) -> dict[tuple[int, date], dict[str, Any]]:
    """(member id, month) → minutes, reviews and live interactions recorded (one query)."""
    minutes: dict[tuple[int, date], dict[str, Any]] = {}
    if not months:
        return minutes
    for row in (
        ReviewTime.objects.filter(
            member_id__in=ids, date__gte=months[0], date__lte=month_end(months[-1])
        )
        .annotate(month=TruncMonth("date"))
        .order_by()
        .values("member_id", "month")
        .annotate(
            minutes=Sum("minutes"),
            reviews=Count("id"),
            live=Count("id", filter=Q(live_interaction=True)),
        )
    ):
        month = row["month"]
        if isinstance(month, datetime):  # some backends truncate a date to a datetime
            month = month.date()
        minutes[(row["member_id"], month)] = dict(row)
    return minutes


def _period_figures(spans: list[Span], days: list[date], today: date) -> list[PeriodFigures]:
    periods = []
    for episode, number, first, last in spans:
        counted = (bisect_right(days, last) - bisect_left(days, first)) if days else 0
        periods.append(
            PeriodFigures(
                episode_id=episode.pk,
                number=number,
                start=first,
                end=last,
                complete=last < today or last == episode.end_date,
                days_with_data=counted,
                supply_code=supply_code(counted),
            )
        )
    return periods


def _month_figures(
    months: list[date],
    recorded: dict[date, dict[str, Any] | None],
    episodes: list[MonitoringEpisode],
    today: date,
) -> list[MonthFigures]:
    """A member's months: those with minutes recorded or in which they were monitored."""
    figures = []
    for month in months:
        minutes = recorded[month]
        if minutes is None and not _monitored_in(episodes, month, today):
            continue
        total = minutes["minutes"] if minutes else 0
        live = bool(minutes and minutes["live"])
        figures.append(
            MonthFigures(
                month=month,
                minutes=total,
                reviews=minutes["reviews"] if minutes else 0,
                live_interaction=live,
                codes=management_codes(minutes=total, live_interaction=live),
            )
        )
    return figures


def _periods_in_range(
    episodes: list[MonitoringEpisode], start: date, end: date, today: date
) -> list[Span]:
    """(episode, number, first, last) of the periods overlapping [start, end], up to the one
    holding today or the episode's end; `last` is cut at the episode's end."""
    found = []
    for episode in episodes:
        stop = min(today, episode.end_date) if episode.end_date is not None else today
        for number, first, last in periods_through(episode.start_date, stop):
            if episode.end_date is not None:
                last = min(last, episode.end_date)
            if first <= end and last >= start:
                found.append((episode, number, first, last))
    return found


def _monitored_in(episodes: list[MonitoringEpisode], month: date, today: date) -> bool:
    if month > today:
        return False
    last = month_end(month)
    return any(
        e.start_date <= last and (e.end_date is None or e.end_date >= month) for e in episodes
    )


def rtm_report(
    user: Any,
    *,
    start: date,
    end: date,
    therapist: Therapist | None = None,
    now: datetime | None = None,
) -> list[MemberRtm]:
    """Every monitored member this user may see, with their figures for [start, end]: five
    queries, whatever the number of members."""
    members = list(monitored_members(user, start=start, end=end, therapist=therapist))
    return rtm_for_members(members, start=start, end=end, now=now)


# --- a member's records ----------------------------------------------------------------------


def episodes_of(member: Member) -> QuerySet[MonitoringEpisode]:
    """A member's episodes, newest first (the caller has resolved the member in scope)."""
    return MonitoringEpisode.objects.filter(member=member).order_by("-start_date", "-id")


def review_times_of(member: Member) -> QuerySet[ReviewTime]:
    """A member's review time entries, newest first, with the PT who recorded each."""
    return (
        ReviewTime.objects.filter(member=member)
        .select_related("therapist__user")
        .order_by("-date", "-id")
    )
