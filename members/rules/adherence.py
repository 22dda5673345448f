"""The rules of adherence, as pure functions over a member's days (no queries): what counts as
prescribed and completed, streaks, the pain trend and the risk label. The roll-up service and
the dashboard's selectors both call these, so every figure has one definition.

- A day's prescribed sessions come from the plan schedule (programs.selectors.schedule). They
  come *due* once the day is over in the member's zone; on the member's today only the sessions
  already done are due, so nobody is behind at breakfast.
- A session counts as completed when it was at least partly done; a day credits at most the
  sessions it prescribed (a third session on a day that asked for two adds nothing). "Done" is
  only what the member stated: each entry says done, partial or skipped (no default), and the
  sessions service holds the session's status to its entries (every exercise skipped is a
  skipped session; "completed" needs every exercise done).
- Adherence = completed / due in the window, as a percent capped at 100; none when nothing was
  due. Figures are self-reported (shared/domain/CLINICAL.md: diaries over-count).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta

from members.models.adherence import Risk

WINDOW_DAYS = 30
WEEK_DAYS = 7
# No session on the last 3 whole days nor today (the inactivity alert's rule, services.alerts).
INACTIVE_DAYS = 3
# "Fading": the last 7 days below half of the 7 before.
FADING_RATIO = 0.5
# NPRS minimal clinically important difference (shared/domain/CLINICAL.md): 2 points.
PAIN_MCID = 2.0
ADHERENT_PERCENT = 80  # the common cut-off for "adherent"


@dataclass(frozen=True)
class Day:
    """One member's local date as the roll-up keeps it (members.models.AdherenceDay)."""

    date: date
    prescribed: int = 0
    due: int = 0
    done: int = 0
    credited: int = 0
    has_data: bool = False
    pain_total: int = 0
    pain_count: int = 0


# The roll-up's columns in Day's order: `AdherenceDay.objects.values_list(*DAY_FIELDS)` rows
# are Day(*row).
DAY_FIELDS = tuple(f.name for f in fields(Day))


def day_counts(
    *, day: date, today: date, prescribed: int, done: int, logged: int, **extra: int
) -> Day:
    """A day from its prescription and logs, with the rules above applied."""
    credited = min(done, prescribed)
    return Day(
        date=day,
        prescribed=prescribed,
        due=prescribed if day < today else credited,
        done=done,
        credited=credited,
        has_data=logged > 0 or bool(extra.get("assessments", 0)),
        pain_total=extra.get("pain_total", 0),
        pain_count=extra.get("pain_count", 0),
    )


def percent_tenths(completed: int, due: int) -> int | None:
    """Adherence in tenths of a percent, capped at 1000, rounded half up from the exact ratio:
    whole numbers only, so the database computes the very same figure (members.selectors.adherence
    sorts and rolls up by it in SQL)."""
    if due <= 0:
        return None
    return min(1000, (2000 * completed + due) // (2 * due))


def percent(completed: int, due: int) -> float | None:
    tenths = percent_tenths(completed, due)
    return None if tenths is None else tenths / 10


def mean_percent(tenths_total: int, members: int) -> float | None:
    """The mean of members' percents (given as a sum of tenths), to one decimal, half up."""
    if members <= 0:
        return None
    return ((2 * tenths_total + members) // (2 * members)) / 10


def mean_pain(days: Iterable[Day]) -> float | None:
    total = count = 0
    for day in days:
        total += day.pain_total
        count += day.pain_count
    return round(total / count, 1) if count else None


def pain_trend(first: float | None, last: float | None) -> str | None:
    """better, worse or steady (within the NPRS MCID), or None without both weeks."""
    if first is None or last is None:
        return None
    change = last - first
    if change <= -PAIN_MCID:
        return "better"
    if change >= PAIN_MCID:
        return "worse"
    return "steady"


@dataclass(frozen=True)
class Window:
    """A member's figures over [start, end] (local dates, both included)."""

    start: date
    end: date
    prescribed: int  # sessions due
    completed: int
    active_days_30: int  # days with a session done in the 30 days ending on `end`
    has_plan: bool  # anything prescribed in the window
    pain_first_week: float | None
    pain_last_week: float | None

    @property
    def adherence(self) -> float | None:
        return percent(self.completed, self.prescribed)

    @property
    def pain_trend(self) -> str | None:
        return pain_trend(self.pain_first_week, self.pain_last_week)


def window(days: Sequence[Day], *, start: date, end: date) -> Window:
    inside = [d for d in days if start <= d.date <= end]
    last_30 = end - timedelta(days=WINDOW_DAYS - 1)
    first_week_end = start + timedelta(days=WEEK_DAYS - 1)
    last_week_start = end - timedelta(days=WEEK_DAYS - 1)
    return Window(
        start=start,
        end=end,
        prescribed=sum(d.due for d in inside),
        completed=sum(d.credited for d in inside),
        active_days_30=sum(1 for d in inside if d.done > 0 and d.date >= last_30),
        has_plan=any(d.prescribed > 0 for d in inside),
        pain_first_week=mean_pain(d for d in inside if d.date <= first_week_end),
        pain_last_week=mean_pain(d for d in inside if d.date >= last_week_start),
    )


def streaks(
    *, prescribed_days: Iterable[date], done_days: set[date], today: date
) -> tuple[int, int]:
    """(current, best): prescribed days done in a row. Rest days neither count nor break a run;
    today not done yet does not break it either (the day is not over)."""
    best = run = 0
    for day in sorted(set(prescribed_days)):
        if day > today:
            break
        if day in done_days:
            run += 1
        elif day != today:
            run = 0
        best = max(best, run)
    return run, best


def risk(
    *,
    today: date,
    days: Sequence[Day],
    window_figures: Window,
    first_active: date | None,
    last_active: date | None,
) -> str:
    """The label, worst first: never started, inactive 3+ days, fading, on track; no plan when
    nothing was prescribed in the window. `days` holds at least the last 14 days."""
    if not window_figures.has_plan:
        return Risk.NO_PLAN
    if first_active is None:
        # Something came due and nothing was ever done (a plan starting today is not late yet).
        return Risk.NEVER_STARTED if window_figures.prescribed > 0 else Risk.ON_TRACK
    quiet_from = today - timedelta(days=INACTIVE_DAYS)
    plan_running = any(d.prescribed > 0 for d in days if d.date >= quiet_from)
    if plan_running and (last_active is None or last_active < quiet_from):
        return Risk.INACTIVE
    this_week, last_week = recent_weeks(days, today=today)
    if last_week > 0 and this_week < FADING_RATIO * last_week:
        return Risk.FADING
    return Risk.ON_TRACK


def recent_weeks(days: Iterable[Day], *, today: date) -> tuple[int, int]:
    """Sessions done in the last 7 days (today included) and in the 7 days before."""
    this_start = today - timedelta(days=WEEK_DAYS - 1)
    last_start = this_start - timedelta(days=WEEK_DAYS)
    this_week = last_week = 0
    for day in days:
        if this_start <= day.date <= today:
            this_week += day.credited
        elif last_start <= day.date < this_start:
            last_week += day.credited
    return this_week, last_week


def week_start(day: date) -> date:
    """The Monday of the day's calendar week."""
    return day - timedelta(days=day.weekday())
