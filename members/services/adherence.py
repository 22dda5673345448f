"""Keeps the adherence roll-ups current: rebuilds members' AdherenceDay and AdherenceWeek rows
from a date up to their local today, then their MemberAdherence figures.

Called in the same transaction as the write that changes them: a session logged or corrected,
a questionnaire answered (a day with data), a plan created or revised; and by the roll-over task
when a member's day has ended (yesterday's sessions all come due). Everything is recomputed from
the plans' schedule and the logs, never adjusted by increments, so running a refresh twice, or
after a crash, gives the same rows. Each member's row is locked first (`SELECT ... FOR UPDATE`):
two sessions logged at once by one member are counted one after the other, not from two stale
snapshots. A fixed number of queries per batch of members, whatever the number of days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count, Field, Max, Min, Model, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from exercise_tracker import clock
from exercise_tracker.rows import copy_rows
from members.models import (
    AdherenceDay,
    AdherenceWeek,
    Assessment,
    Member,
    MemberAdherence,
    SessionLog,
)
from members.models.logs import DONE_STATUSES
from members.rules import adherence as rules
from members.services import dashboard_rollup
from members.services.care_columns import (
    members_with_assignment_changes,
    sort_keys_of,
    sync_care_columns,
)
from programs.models import Plan
from programs.selectors.schedule import prescribed_sessions_for_members

# A refresh rebuilds at most this far back (a plan entered late, a backdated start).
MAX_DAYS_BACK = 400
# The figures read this much of each member's recent history (streaks longer than this keep the
# best one recorded before).
HISTORY_DAYS = 120
BATCH = 500
COMPACT_EVERY = 20  # batches between two compactions of the dashboard's roll-ups

SUMMARY_FIELDS = [
    "as_of",
    "prescribed",
    "completed",
    "adherence",
    "active_days_30",
    "current_streak",
    "best_streak",
    "first_active",
    "last_active",
    "has_plan",
    "this_week",
    "last_week",
    "pain_first_week",
    "pain_last_week",
    "risk",
    "updated_at",
]


def _earliest_activity(member_ids: list[int]) -> dict[int, date]:
    """Where a member never refreshed starts: their earliest plan start, session or
    questionnaire."""
    earliest: dict[int, date] = {}
    for rows in (
        Plan.objects.filter(member_id__in=member_ids)
        .values("member_id")
        .annotate(first=Min("start_date"))
        .values_list("member_id", "first"),
        SessionLog.objects.filter(member_id__in=member_ids)
        .values("member_id")
        .annotate(first=Min("local_date"))
        .values_list("member_id", "first"),
        Assessment.objects.filter(member_id__in=member_ids)
        .values("member_id")
        .annotate(first=Min("local_date"))
        .values_list("member_id", "first"),
    ):
        for member_id, first in rows:
            if first is not None and (member_id not in earliest or first < earliest[member_id]):
                earliest[member_id] = first
    return earliest


def refresh_adherence(
    *,
    member_ids: Iterable[int],
    since: date | Mapping[int, date] | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rebuilds the roll-ups of these members from `since` (a date for all, or per member;
    default: the day of their last refresh, or their earliest activity) to their local today.
    Returns how many members were refreshed. `progress(done, total)` is told after each batch:
    a batch is one transaction, so a long run holds each member's lock only briefly."""
    now = now or timezone.now()
    ids = sorted(set(member_ids))
    done = 0
    for offset in range(0, len(ids), BATCH):
        batch = ids[offset : offset + BATCH]
        with transaction.atomic():
            done += _refresh_batch(batch, since, now)
        if progress is not None:
            progress(offset + len(batch), len(ids))
        if (offset // BATCH) % COMPACT_EVERY == COMPACT_EVERY - 1:
            dashboard_rollup.compact()  # the dashboard reads a few rows, not a day's changes
    if len(ids) > BATCH:
        dashboard_rollup.compact()
    return done


def _refresh_batch(
    member_ids: list[int], since: date | Mapping[int, date] | None, now: datetime
) -> int:
    # Lock in id order (the same order everywhere: no deadlock between two refreshes).
    locked = list(
        Member.objects.select_for_update()
        .filter(pk__in=member_ids)
        .order_by("pk")
        .values_list("pk", "timezone", "discharged_on")
    )
    if not locked:
        return 0
    zones = {pk: zone for pk, zone, _ in locked}
    ids = list(zones)
    todays = clock.local_todays(zones, now)
    # A discharged member's figures stop at their discharge date: nothing after it counts.
    for pk, _, discharged_on in locked:
        if discharged_on is not None and discharged_on < todays[pk]:
            todays[pk] = discharged_on
    previous = {
        s.member_id: s
        for s in MemberAdherence.objects.filter(member_id__in=ids).only(
            "member_id", "as_of", "best_streak", "first_active", "last_active"
        )
    }
    starts = _starts(ids, since, previous, todays)

    range_start, range_end = min(starts.values()), max(todays.values())
    days = _days(ids, starts, todays, range_start, range_end)
    _write_days(ids, starts, days)
    history = _history(ids, starts, todays)
    _write_weeks(ids, starts, history)
    _write_summaries(ids, todays, history, previous)
    # The plan in force may have changed (a plan created, revised, paused), and the primary PT
    # with the date: the dashboard's stored columns are rewritten with the figures.
    sync_care_columns(ids)
    return len(ids)


def _starts(
    ids: list[int],
    since: date | Mapping[int, date] | None,
    previous: Mapping[int, MemberAdherence],
    todays: Mapping[int, date],
) -> dict[int, date]:
    asked: dict[int, date] = {}
    if isinstance(since, date):
        asked = dict.fromkeys(ids, since)
    elif since is not None:
        asked = {m: d for m, d in since.items() if m in todays}
    unknown = [m for m in ids if m not in asked and m not in previous]
    earliest = _earliest_activity(unknown) if unknown else {}
    starts = {}
    for member_id in ids:
        today = todays[member_id]
        summary = previous.get(member_id)
        # From the day of the last refresh at the latest: that day's sessions, and those of
        # any day since, may have come due meanwhile.
        last = summary.as_of if summary is not None else earliest.get(member_id, today)
        start = min(asked.get(member_id, last), last)
        starts[member_id] = min(today, max(start, today - timedelta(days=MAX_DAYS_BACK)))
    return starts


def _days(
    ids: list[int],
    starts: Mapping[int, date],
    todays: Mapping[int, date],
    range_start: date,
    range_end: date,
) -> list[AdherenceDay]:
    """The day rows of [start, today] for each member, from the schedule and the logs."""
    schedule = prescribed_sessions_for_members(members=ids, start=range_start, end=range_end)
    pain = Coalesce("pain_before", "pain_after")
    logs = {
        (row["member_id"], row["local_date"]): row
        for row in SessionLog.objects.filter(
            member_id__in=ids, local_date__gte=range_start, local_date__lte=range_end
        )
        .order_by()
        .values("member_id", "local_date")
        .annotate(
            done=Count("id", filter=Q(status__in=DONE_STATUSES)),
            logged=Count("id"),
            pain_total=Coalesce(Sum(pain), 0),
            pain_count=Count(pain),
        )
    }
    questionnaires = set(
        Assessment.objects.filter(
            member_id__in=ids, local_date__gte=range_start, local_date__lte=range_end
        )
        .order_by()
        .values_list("member_id", "local_date")
        .distinct()
    )
    rows: list[AdherenceDay] = []
    for member_id in ids:
        plan_days = schedule.get(member_id, {})
        today = todays[member_id]
        day = starts[member_id]
        while day <= today:
            log = logs.get((member_id, day))
            prescription = plan_days.get(day)
            counts = rules.day_counts(
                day=day,
                today=today,
                prescribed=prescription.sessions if prescription is not None else 0,
                done=log["done"] if log else 0,
                logged=log["logged"] if log else 0,
                assessments=int((member_id, day) in questionnaires),
                pain_total=log["pain_total"] if log else 0,
                pain_count=log["pain_count"] if log else 0,
            )
            if counts.prescribed or counts.done or counts.has_data:
                rows.append(
                    AdherenceDay(
                        member_id=member_id,
                        date=day,
                        prescribed=counts.prescribed,
                        due=counts.due,
                        done=counts.done,
                        credited=counts.credited,
                        has_data=counts.has_data,
                        pain_total=counts.pain_total,
                        pain_count=counts.pain_count,
                    )
                )
            day += timedelta(days=1)
    return rows


def _from_dates(ids: list[int], starts: Mapping[int, date], field: str = "date") -> Q:
    """Rows of these members on or after their start: one condition per distinct start."""
    by_start: dict[date, list[int]] = defaultdict(list)
    for member_id in ids:
        by_start[starts[member_id]].append(member_id)
    condition = Q(pk__in=[])
    for start, members in by_start.items():
        condition |= Q(member_id__in=members, **{f"{field}__gte": start})
    return condition


def _write_days(ids: list[int], starts: Mapping[int, date], rows: list[AdherenceDay]) -> None:
    # Days after today cannot exist (a member who moved west would have them): all go.
    AdherenceDay.objects.filter(_from_dates(ids, starts)).delete()
    copy_rows(rows, model=AdherenceDay)


def _history(
    ids: list[int], starts: Mapping[int, date], todays: Mapping[int, date]
) -> dict[int, list[rules.Day]]:
    """Each member's day rows from the Monday of their start's week, or HISTORY_DAYS back,
    whichever is earlier, to today, as the rules read them."""
    earliest = {
        m: min(rules.week_start(starts[m]), todays[m] - timedelta(days=HISTORY_DAYS)) for m in ids
    }
    history: dict[int, list[rules.Day]] = defaultdict(list)
    for member_id, *values in (
        AdherenceDay.objects.filter(_from_dates(ids, earliest))
        .order_by("member_id", "date")
        .values_list("member_id", *rules.DAY_FIELDS)
    ):
        history[member_id].append(rules.Day(*values))
    return history


def _write_weeks(
    ids: list[int], starts: Mapping[int, date], history: Mapping[int, list[rules.Day]]
) -> None:
    firsts = {m: rules.week_start(starts[m]) for m in ids}
    weeks: list[AdherenceWeek] = []
    for member_id in ids:
        sums: dict[date, list[int]] = {}
        for day in history.get(member_id, ()):
            if day.date < firsts[member_id]:
                continue
            week = sums.setdefault(rules.week_start(day.date), [0, 0, 0])
            week[0] += day.due
            week[1] += day.credited
            week[2] += 1 if day.done else 0
        weeks += [
            AdherenceWeek(
                member_id=member_id, week_start=start, due=due, credited=credited, active_days=n
            )
            for start, (due, credited, n) in sums.items()
        ]
    AdherenceWeek.objects.filter(_from_dates(ids, firsts, field="week_start")).delete()
    AdherenceWeek.objects.bulk_create(weeks, batch_size=2000)


def _write_summaries(
    ids: list[int],
    todays: Mapping[int, date],
    history: Mapping[int, list[rules.Day]],
    previous: Mapping[int, MemberAdherence],
) -> None:
    activity = {
        row[0]: (row[1], row[2])
        for row in AdherenceDay.objects.filter(member_id__in=ids, done__gt=0)
        .order_by()
        .values("member_id")
        .annotate(first=Min("date"), last=Max("date"))
        .values_list("member_id", "first", "last")
    }
    stamp = timezone.now()
    summaries = [
        summarize(
            member_id=member_id,
            today=todays[member_id],
            days=history.get(member_id, []),
            first_active=activity.get(member_id, (None, None))[0],
            last_active=activity.get(member_id, (None, None))[1],
            best_before=previous[member_id].best_streak if member_id in previous else 0,
            stamp=stamp,
        )
        for member_id in ids
    ]
    MemberAdherence.objects.bulk_create(
        summaries,
        update_conflicts=True,
        unique_fields=["member"],
        update_fields=SUMMARY_FIELDS,
        batch_size=1000,
    )


def summarize(
    *,
    member_id: int,
    today: date,
    days: list[rules.Day],
    first_active: date | None,
    last_active: date | None,
    best_before: int = 0,
    stamp: datetime | None = None,
) -> MemberAdherence:
    """A member's figures over the 30 days ending today, by members.rules.adherence's rules."""
    start = today - timedelta(days=rules.WINDOW_DAYS - 1)
    figures = rules.window(days, start=start, end=today)
    current, best = rules.streaks(
        prescribed_days=[d.date for d in days if d.prescribed],
        done_days={d.date for d in days if d.done},
        today=today,
    )
    this_week, last_week = rules.recent_weeks(days, today=today)
    return MemberAdherence(
        member_id=member_id,
        as_of=today,
        prescribed=figures.prescribed,
        completed=figures.completed,
        adherence=figures.adherence,
        active_days_30=figures.active_days_30,
        current_streak=current,
        # The history read is bounded: a longer best run from before is kept.
        best_streak=max(best, best_before if first_active is not None else 0),
        first_active=first_active,
        last_active=last_active,
        has_plan=figures.has_plan,
        this_week=this_week,
        last_week=last_week,
        pain_first_week=figures.pain_first_week,
        pain_last_week=figures.pain_last_week,
        risk=rules.risk(
            today=today,
            days=days,
            window_figures=figures,
            first_active=first_active,
            last_active=last_active,
        ),
        updated_at=stamp or timezone.now(),
    )


# --- the roll-over -------------------------------------------------------------------------


def members_to_roll_over(*, now: datetime | None = None) -> list[int]:
    """Members whose local day has ended since their last refresh, and members with a plan
    who were never refreshed. Queries per distinct time zone, not per member."""
    now = now or timezone.now()
    zones = Member.objects.order_by().values_list("timezone", flat=True).distinct()
    stale: list[int] = []
    for name in zones:
        today = clock.local_today(name, now)
        stale += MemberAdherence.objects.filter(
            member__timezone=name, as_of__lt=today, member__discharged_on__isnull=True
        ).values_list("member_id", flat=True)
    stale += (
        Member.objects.filter(
            adherence__isnull=True, plans__isnull=False, discharged_on__isnull=True
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    return sorted(set(stale))


def roll_over(*, now: datetime | None = None) -> int:
    """The periodic task's work: refresh the members found by `members_to_roll_over`; and the
    primary PT of members whose care assignment starts or ends on these dates (it changes with
    the date alone)."""
    with transaction.atomic():
        sync_care_columns(members_with_assignment_changes())
    done = refresh_adherence(member_ids=members_to_roll_over(now=now), now=now)
    dashboard_rollup.compact()  # and the sessions logged since the last roll-over
    return done


def refresh_session_day(*, member: Member | int, day: date, now: datetime | None = None) -> None:
    """After a session was logged or corrected on `day`: only that day changed, and only its
    sessions (its prescription did not). When the member's figures are current, on PostgreSQL
    (the member's zone known): one read of their figures' dates and recent day rows with the
    day's sessions counted, without a lock, and one statement that locks the member's row and
    writes the day row, its week, the figures and the member's dashboard sort keys only if the
    figures' row is still the one read (its row version, `xmin`); when another write came
    between, again (a new read sees it), and after OPTIMISTIC_TRIES the locked way. The locked
    way (elsewhere, or when the zone is not known): the member's row locked with their figures'
    dates, one read of the recent day rows, one upsert with the sort keys (four statements on
    SQLite). Otherwise, or inside `deferred()`, the full refresh from `day`. The member's row is
    locked either way before anything is written: the full refresh locks it first too, so
    writers never wait on each other in opposite orders."""
    member_id = member if isinstance(member, int) else member.pk
    now = now or timezone.now()
    if _pending.get() is not None:
        refresh_member(member=member_id, since=day, now=now)
        return
    if connection.vendor == "postgresql" and isinstance(member, Member):
        today = clock.local_today(member.timezone, now)
        if _in_window(day, today):
            for _ in range(OPTIMISTIC_TRIES):
                read = _figures_and_history(member_id, start=_history_start(day, today), day=day)
                if read is None:  # no figures yet: the full refresh makes them
                    break
                (read_as_of, best, first, last, version), days, logs = read
                if read_as_of != today:
                    break
                writes = _day_writes(member_id, day, today, days, logs, best, first, last)
                if _upsert_if_unchanged(member_id, version, writes):
                    return
    locked = _lock_member(member_id)
    if locked is None:
        return
    zone, as_of, best_before, first_active, last_active = locked
    today = clock.local_today(zone, now)
    if as_of != today or not _in_window(day, today):
        _refresh_batch([member_id], day, now)
        return
    days, logs = _history_and_day(member_id, start=_history_start(day, today), day=day)
    writes = _day_writes(member_id, day, today, days, logs, best_before, first_active, last_active)
    _upsert(*writes, also=_sort_keys_update(member_id, cast(MemberAdherence, writes[2][0])))


# Reads and guarded writes of one session's figures before taking the member's lock to read.
OPTIMISTIC_TRIES = 3


def _in_window(day: date, today: date) -> bool:
    return today - timedelta(days=HISTORY_DAYS) <= day <= today


def _history_start(day: date, today: date) -> date:
    # As `_history` reads from min(week_start(day), today - HISTORY_DAYS).
    start = min(rules.week_start(day), today - timedelta(days=HISTORY_DAYS))
    return min(rules.week_start(start), today - timedelta(days=HISTORY_DAYS))


_Write = tuple[Model, tuple[str, ...], tuple[str, ...]]


def _day_writes(
    member_id: int,
    day: date,
    today: date,
    days: dict[date, rules.Day],
    logs: tuple[int, int, int],
    best_before: int | None,
    first_active: date | None,
    last_active: date | None,
) -> tuple[_Write, _Write, _Write]:
    """The day row, its week and the figures after `day`'s sessions changed, from the recent
    day rows and the day's sessions counted (the rules, never increments)."""
    before = days.get(day)
    counts = rules.day_counts(
        day=day,
        today=today,
        prescribed=before.prescribed if before is not None else 0,  # rows hold every plan day
        done=logs[0],
        logged=1,  # sessions are corrected, never removed: the day has data
        pain_total=logs[1],
        pain_count=logs[2],
    )
    days[day] = counts
    monday = rules.week_start(day)
    week = [d for d in days.values() if monday <= d.date < monday + timedelta(days=7)]
    history = sorted(days.values(), key=lambda d: d.date)
    active = [d.date for d in history if d.done]
    if counts.done:
        first_active = min(first_active or day, day)
        last_active = max(last_active or day, day)
    elif last_active == day:  # a correction took the day's last session done away
        last_active = active[-1] if active else None
        first_active = first_active if active else None
    summary = summarize(
        member_id=member_id,
        today=today,
        days=history,
        first_active=first_active,
        last_active=last_active,
        best_before=best_before or 0,
    )
    return (
        (
            AdherenceDay(member_id=member_id, **vars(counts)),
            ("member", "date"),
            ("due", "done", "credited", "has_data", "pain_total", "pain_count"),
        ),
        (
            AdherenceWeek(
                member_id=member_id,
                week_start=monday,
                due=sum(d.due for d in week),
                credited=sum(d.credited for d in week),
                active_days=sum(1 for d in week if d.done),
            ),
            ("member", "week_start"),
            ("due", "credited", "active_days"),
        ),
        (summary, ("member",), tuple(SUMMARY_FIELDS)),
    )


_EPOCH = date(1970, 1, 1)
_FiguresRead = tuple[date, int, date | None, date | None, str]


def _figures_and_history(
    member_id: int, *, start: date, day: date
) -> tuple[_FiguresRead, dict[date, rules.Day], tuple[int, int, int]] | None:
    """PostgreSQL, one statement, no lock: the member's figures' dates and row version
    ((as_of, best_streak, first_active, last_active, xmin)), with what `_history_and_day`
    reads. None when the member has no figures yet."""
    sql = _figures_sql.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        figures = quote(MemberAdherence._meta.db_table)

        def col(name: str) -> str:
            return quote(_column(MemberAdherence, name))

        # One row of kind 2 in the history's columns: the dates as day numbers, the row
        # version (a transaction id) as a number.
        sql = _figures_sql[connection.vendor] = (
            f"SELECT 2, {col('as_of')}, {col('best_streak')}, "  # noqa: S608 (the models' names)
            f"CAST(CAST(xmin AS text) AS bigint), {col('first_active')} - DATE '1970-01-01', "
            f"{col('last_active')} - DATE '1970-01-01', FALSE, 0, 0 "
            f"FROM {figures} WHERE {col('member')} = %s UNION ALL " + _history_statement()
        )
    params = [member_id, *_history_params(member_id, start, day)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    figures_row = next((row for row in fetched if row[0] == 2), None)
    if figures_row is None:
        return None
    _, as_of, best, version, first, last, *_ = figures_row
    read: _FiguresRead = (
        as_of,
        best,
        None if first is None else _EPOCH + timedelta(days=first),
        None if last is None else _EPOCH + timedelta(days=last),
        str(version),
    )
    days, logs = _history_rows([row for row in fetched if row[0] != 2])
    return read, days, logs


_figures_sql: dict[str, str] = {}
_guarded_sql: dict[str, tuple[str, list[Any]]] = {}


def _upsert_if_unchanged(member_id: int, version: str, writes: tuple[_Write, ...]) -> bool:
    """PostgreSQL, one statement: the member's row locked (as every writer of their figures
    locks it first), then their figures rewritten only if their row is still at `version`
    (another write in between makes a new row version: then nothing is written, and False),
    then the day and week rows. An UPDATE that finds its row changed by a transaction that
    committed meanwhile re-checks the newest version of it, so a write it waited for is seen."""
    (day, day_unique, day_update), (week, week_unique, week_update), (summary, _, _) = writes
    made = _guarded_sql.get(connection.vendor)
    if made is None:
        made = _guarded_sql[connection.vendor] = _make_guarded_sql(
            (type(day), day_unique, day_update),
            (type(week), week_unique, week_update),
        )
    sql, _ = made
    _, summary_fields, summary_plain = _upsert_sql(
        type(summary), ("member",), tuple(SUMMARY_FIELDS)
    )
    params: list[Any] = [member_id]
    updated = [f for f in summary_fields if f.attname != "member_id"]
    params += _values(summary, updated, summary_fields, summary_plain)
    params += [member_id, version]
    keys = sort_keys_of(cast(MemberAdherence, summary))
    params += [*(keys[name] for name in SORT_KEY_COLUMNS), member_id]
    for obj, unique, update in ((day, day_unique, day_update), (week, week_unique, week_update)):
        _, fields, plain = _upsert_sql(type(obj), unique, update)
        params += _values(obj, fields, fields, plain)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (written,) = cursor.fetchone()
    return bool(written)


def _values(
    obj: Model, wanted: list[Any], fields: list[Any], plain: list[frozenset[type]]
) -> list[Any]:
    for f in fields:
        if getattr(f, "auto_now", False):
            setattr(obj, f.attname, f.pre_save(obj, add=False))
    values = vars(obj)
    kinds = dict(zip((f.attname for f in fields), plain, strict=True))
    db = connections[DEFAULT_DB_ALIAS]  # once: each read through django.db.connection looks it up
    return [
        values[f.attname]
        if type(values[f.attname]) in kinds[f.attname]
        else f.get_db_prep_save(values[f.attname], db)
        for f in wanted
    ]


def _make_guarded_sql(
    *rows: tuple[type[Model], tuple[str, ...], tuple[str, ...]],
) -> tuple[str, list[Any]]:
    quote = connection.ops.quote_name
    members = quote(Member._meta.db_table)
    figures = quote(MemberAdherence._meta.db_table)
    summary_fields = [f for f in MemberAdherence._meta.concrete_fields if f.attname != "member_id"]
    assign = ", ".join(f"{quote(str(f.column))} = %s" for f in summary_fields)
    member_col = quote(_column(MemberAdherence, "member"))
    keys = ", ".join(f"{quote(name)} = %s" for name in SORT_KEY_COLUMNS)
    ctes = [
        f"l AS (SELECT 1 FROM {members} WHERE {quote('id')} = %s FOR UPDATE)",  # noqa: S608
        f"u AS (UPDATE {figures} SET {assign} WHERE {member_col} = %s "  # noqa: S608
        f"AND CAST(xmin AS text) = %s AND EXISTS (SELECT 1 FROM l) RETURNING 1)",
        # The member's dashboard sort keys from the same figures (members.services.care_columns).
        f"k AS (UPDATE {members} SET {keys} "  # noqa: S608 (the models' names)
        f"WHERE {quote('id')} = %s AND EXISTS (SELECT 1 FROM u))",
    ]
    for n, (model, unique, update) in enumerate(rows):
        opts = model._meta
        fields = [f for f in opts.concrete_fields if not (f.primary_key and f.auto_created)]
        typed = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields)
        conflict = ", ".join(quote(_column(model, name)) for name in unique)
        set_ = ", ".join(
            f"{quote(_column(model, name))} = EXCLUDED.{quote(_column(model, name))}"
            for name in update
        )
        ctes.append(
            f"r{n} AS (INSERT INTO {quote(opts.db_table)} "  # noqa: S608 (the models' names)
            f"({', '.join(quote(str(f.column)) for f in fields)}) "
            f"SELECT {typed} WHERE EXISTS (SELECT 1 FROM u) "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {set_})"
        )
    return f"WITH {', '.join(ctes)} SELECT COUNT(*) FROM u", []  # noqa: S608


_Locked = tuple[str, date | None, int | None, date | None, date | None]


def _lock_member(member_id: int) -> _Locked | None:
    """The member's row locked (FOR UPDATE OF the member's row only, where the database has
    it), with their time zone and their figures' dates: (timezone, as_of, best_streak,
    first_active, last_active), the figures None when there are none yet. A plain statement:
    the ORM's compiling of it cost more than the round trip."""
    quote = connection.ops.quote_name
    sql = _lock_sql.get(connection.vendor)
    if sql is None:
        members = quote(Member._meta.db_table)
        figures = quote(MemberAdherence._meta.db_table)
        columns = ", ".join(
            f"a.{quote(_column(MemberAdherence, name))}"
            for name in ("as_of", "best_streak", "first_active", "last_active")
        )
        sql = (
            f"SELECT m.{quote(_column(Member, 'timezone'))}, {columns} "  # noqa: S608 (names)
            f"FROM {members} m LEFT JOIN {figures} a "
            f"ON a.{quote(_column(MemberAdherence, 'member'))} = m.{quote('id')} "
            f"WHERE m.{quote('id')} = %s"
        )
        if connection.features.has_select_for_update_of:
            sql += " FOR UPDATE OF m"
        elif connection.features.has_select_for_update:  # pragma: no cover - not our databases
            sql += " FOR UPDATE"
        _lock_sql[connection.vendor] = sql
    with connection.cursor() as cursor:
        cursor.execute(sql, [member_id])
        row = cursor.fetchone()
    if row is None:
        return None
    zone, as_of, best, first, last = row
    return zone, _date_or_none(as_of), best, _date_or_none(first), _date_or_none(last)


_lock_sql: dict[str, str] = {}


def _date_or_none(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)  # SQLite: text


# The columns of sort_keys_of, in the order the guarded statement sets them.
SORT_KEY_COLUMNS = ("risk_rank", "no_figure", "tenths")


def _sort_keys_update(member_id: int, summary: MemberAdherence) -> tuple[str, list[Any]]:
    """The member's stored sort keys (members.services.care_columns) from their new figures."""
    keys = sort_keys_of(summary)
    quote = connection.ops.quote_name
    assign = ", ".join(f"{quote(name)} = %s" for name in keys)
    sql = f"UPDATE {quote(Member._meta.db_table)} SET {assign} WHERE id = %s"  # noqa: S608
    return sql, [*keys.values(), member_id]


def _history_and_day(
    member_id: int, *, start: date, day: date
) -> tuple[dict[date, rules.Day], tuple[int, int, int]]:
    """One statement: the member's day rows from `start` (as `_history` reads them) and, from
    the session logs of `day`, (sessions done, pain total, pain readings)."""
    with connection.cursor() as cursor:
        cursor.execute(_history_statement(), _history_params(member_id, start, day))
        return _history_rows(cursor.fetchall())


def _history_statement() -> str:
    sql = _history_sql.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        days_table = quote(AdherenceDay._meta.db_table)
        logs_table = quote(SessionLog._meta.db_table)
        columns = ", ".join(quote(_column(AdherenceDay, f)) for f in rules.DAY_FIELDS)
        done = ", ".join(["%s"] * len(DONE_STATUSES))
        pain = "COALESCE(pain_before, pain_after)"
        sql = _history_sql[connection.vendor] = (
            f"SELECT 0, {columns} FROM {days_table} "  # noqa: S608 (the models' names)
            "WHERE member_id = %s AND date >= %s "
            "UNION ALL "
            f"SELECT 1, local_date, 0, 0, COUNT(CASE WHEN status IN ({done}) THEN 1 END), 0, "
            f"FALSE, COALESCE(SUM({pain}), 0), COUNT({pain}) "
            f"FROM {logs_table} WHERE member_id = %s AND local_date = %s GROUP BY local_date"
        )
    return sql


def _history_params(member_id: int, start: date, day: date) -> list[Any]:
    prep = AdherenceDay._meta.get_field("date").get_db_prep_value
    db = connections[DEFAULT_DB_ALIAS]  # once: each read through django.db.connection looks it up
    return [member_id, prep(start, db), *DONE_STATUSES, member_id, prep(day, db)]


def _history_rows(
    fetched: Iterable[tuple[Any, ...]],
) -> tuple[dict[date, rules.Day], tuple[int, int, int]]:
    # Columns in Day's order (rules.DAY_FIELDS): date, prescribed, due, done, credited,
    # has_data, pain_total, pain_count.
    rows: dict[date, rules.Day] = {}
    logs = (0, 0, 0)
    for kind, on, prescribed, due, done, credited, has_data, pain_total, pain_count in fetched:
        if kind:
            logs = (int(done), int(pain_total), int(pain_count))
            continue
        if not isinstance(on, date):
            on = date.fromisoformat(on)  # SQLite: text
        rows[on] = rules.Day(
            on, prescribed, due, done, credited, bool(has_data), pain_total, pain_count
        )
    return rows, logs


_history_sql: dict[str, str] = {}
# _history_and_day unpacks its rows in this order.
_DAY_ORDER = ("date", "prescribed", "due", "done", "credited", "has_data", "pain_total",
              "pain_count")  # fmt: skip
if rules.DAY_FIELDS != _DAY_ORDER:  # pragma: no cover - a changed Day: update the unpacking
    raise ImportError(f"members.rules.adherence.Day's fields are not {_DAY_ORDER}")


def _column(model: type[Model], name: str) -> str:
    return str(cast("Field[Any, Any]", model._meta.get_field(name)).column)


def _upsert(
    *writes: tuple[Model, tuple[str, ...], tuple[str, ...]], also: tuple[str, list[Any]]
) -> None:
    """INSERT ... ON CONFLICT (unique) DO UPDATE SET (fields) of one row per table, and one more
    statement (`also`): on PostgreSQL all in one statement (data-modifying CTEs), elsewhere one
    statement each."""
    parts: list[tuple[str, list[Any]]] = [also]
    for obj, unique, update in writes:
        sql, fields, plain = _upsert_sql(type(obj), unique, update)
        parts.append((sql, _values(obj, fields, fields, plain)))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            *first, (last_sql, last_params) = parts
            ctes = ", ".join(f"w{n} AS ({sql})" for n, (sql, _) in enumerate(first))
            params = [p for _, ps in first for p in ps] + last_params
            cursor.execute(f"WITH {ctes} {last_sql}" if ctes else last_sql, params)
        else:
            for sql, params in parts:
                cursor.execute(sql, params)


_upsert_sqls: dict[tuple[str, type[Model], tuple[str, ...], tuple[str, ...]], Any] = {}
# The Python types a field of each kind stores as they are (get_db_prep_save would return them
# unchanged), None included: the call is skipped for them, a tenth of the figures' upsert.
_INTEGER = frozenset({int, type(None)})
_INTEGER_FIELDS = ("IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
                   "SmallIntegerField", "BigIntegerField")  # fmt: skip
_PLAIN: dict[str, frozenset[type]] = {
    **dict.fromkeys(_INTEGER_FIELDS, _INTEGER),
    "BooleanField": frozenset({bool, type(None)}),
    "FloatField": frozenset({float, type(None)}),
}


def _kind(field: Any) -> str:
    return str(
        field.target_field.get_internal_type() if field.is_relation else field.get_internal_type()
    )


def _upsert_sql(
    model: type[Model], unique: tuple[str, ...], update: tuple[str, ...]
) -> tuple[str, list[Field[Any, Any]], list[frozenset[type]]]:
    """One model's upsert statement and the fields its values follow, made once per database."""
    key = (connection.vendor, model, unique, update)
    made = _upsert_sqls.get(key)
    if made is None:
        quote = connection.ops.quote_name
        opts = model._meta
        fields = [f for f in opts.concrete_fields if not (f.primary_key and f.auto_created)]
        conflict = ", ".join(quote(_column(model, n)) for n in unique)
        assign = ", ".join(
            f"{quote(_column(model, n))} = EXCLUDED.{quote(_column(model, n))}" for n in update
        )
        names = ", ".join(quote(str(f.column)) for f in fields)
        sql = (
            f"INSERT INTO {quote(opts.db_table)} ({names}) "  # noqa: S608 (the model's names)
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {assign}"
        )
        # A relation stores its target's value: an integer key here (checked, not assumed).
        plain = [_PLAIN.get(_kind(f), frozenset()) for f in fields]
        made = _upsert_sqls[key] = (sql, fields, plain)
    return made


# Members whose refresh waits for the end of a `deferred()` block, with the earliest date.
_pending: ContextVar[dict[int, date | None] | None] = ContextVar("adherence_pending", default=None)


def refresh_member(
    *, member: Member | int, since: date | None = None, now: datetime | None = None
) -> None:
    """One member, inside the caller's transaction (a session, a questionnaire, a plan)."""
    member_id = member if isinstance(member, int) else member.pk
    pending = _pending.get()
    if pending is not None:
        # No date means "from the last refresh", which an explicit date never comes after:
        # the earliest date asked for wins, and a later call without one must not drop it.
        if member_id not in pending:
            pending[member_id] = since
        else:
            dates = [d for d in (pending[member_id], since) if d is not None]
            pending[member_id] = min(dates) if dates else None
        return
    _refresh_batch([member_id], since, now or timezone.now())


@contextmanager
def deferred(*, progress: Callable[[int, int], None] | None = None) -> Iterator[None]:
    """Collects the refreshes asked for inside the block and runs them once, in batches, when it
    ends without an error: for bulk writers (the demo seed writes hundreds of plans and
    questionnaires through the services)."""
    pending: dict[int, date | None] = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    since = {member_id: day for member_id, day in pending.items() if day is not None}
    refresh_adherence(member_ids=list(pending), since=since, progress=progress)
