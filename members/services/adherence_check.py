"""Checks the adherence roll-ups against the logs (`manage.py check_adherence`).

Each member's day rows, week rows and figures are rebuilt from the plans' schedule, the session
logs and the questionnaires, as the refresh service does them, and compared with the stored
ones. A member whose local day has ended since their figures were made (the roll-over runs every
15 minutes) is rebuilt as of the day of their figures, so a roll-over that is merely due is not
a difference. Without `fix` nothing is written (each batch's rebuild is rolled back); with it,
the rebuilt rows are kept. Every member's stored dashboard columns (members.services.care_columns)
are compared with the data too, and, on PostgreSQL, the organization roll-ups
(members.services.dashboard_rollup) with a rebuild (`fix` rebuilds them).
"""

from __future__ import annotations

import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from exercise_tracker.clock import local_todays
from members.models import AdherenceDay, AdherenceWeek, Assessment, Member, MemberAdherence
from members.models.logs import SessionLog
from members.services import care_columns, dashboard_rollup
from members.services.adherence import SUMMARY_FIELDS, refresh_adherence
from programs.models import Plan

BATCH = 200
# Before any member's history: the refresh starts each member as far back as it ever rebuilds.
EVERYTHING = date(1970, 1, 1)
DAY_FIELDS = ("prescribed", "due", "done", "credited", "has_data", "pain_total", "pain_count")
WEEK_FIELDS = ("due", "credited", "active_days")
FIGURE_FIELDS = tuple(f for f in SUMMARY_FIELDS if f != "updated_at")


@dataclass(frozen=True)
class Difference:
    member_id: int
    what: str  # "day 2026-01-05", "week 2026-01-05", "figures", "care columns"
    stored: Any
    computed: Any

    def __str__(self) -> str:
        return f"member {self.member_id} {self.what}: stored {self.stored}, " + (
            f"logs give {self.computed}"
        )


@dataclass
class CheckResult:
    checked: int = 0
    differences: list[Difference] = field(default_factory=list)
    # The organization roll-ups' keys whose sums differ from a rebuild (PostgreSQL).
    rollups: list[str] = field(default_factory=list)

    @property
    def members(self) -> list[int]:
        return sorted({d.member_id for d in self.differences})


def members_with_figures_or_activity() -> list[int]:
    """Members with stored figures, a plan, a session or a questionnaire: the others have
    nothing to roll up."""
    ids: set[int] = set(MemberAdherence.objects.values_list("member_id", flat=True))
    for model in (Plan, SessionLog, Assessment):
        ids.update(model.objects.order_by().values_list("member_id", flat=True).distinct())
    return sorted(ids)


def check_adherence(
    *, member_ids: Iterable[int] | None = None, fix: bool = False, now: datetime | None = None
) -> CheckResult:
    """Compares every (or these) member's stored roll-ups with the ones their logs give; with
    `fix`, keeps the rebuilt rows. Returns the members checked and the differences found."""
    now = now or timezone.now()
    result = CheckResult()
    # Every member's stored primary PT and current template (members without figures too).
    with transaction.atomic():
        for member_id, stored, computed in care_columns.drift(member_ids):
            result.differences.append(Difference(member_id, "care columns", stored, computed))
        if fix:
            care_columns.sync_care_columns(d.member_id for d in result.differences)
    ids = sorted(set(member_ids)) if member_ids is not None else members_with_figures_or_activity()
    for offset in range(0, len(ids), BATCH):
        batch = ids[offset : offset + BATCH]
        with transaction.atomic():
            before = _snapshot(batch)
            for moment, members in _moments(batch, now).items():
                refresh_adherence(member_ids=members, since=EVERYTHING, now=moment)
            after = _snapshot(batch)
            result.checked += len(after.figures)
            result.differences += _compare(before, after)
            if not fix:
                transaction.set_rollback(True)
    if member_ids is None:  # the organization roll-ups against a rebuild from the data
        found = dashboard_rollup.drift()
        result.rollups = [
            f"{what} {key}: kept {have}, data give {want}"
            for what, rows in (("cell", found.cells), ("week", found.weeks))
            for key, have, want in rows
        ]
        if fix and found:
            dashboard_rollup.rebuild()
    return result


def _moments(member_ids: list[int], now: datetime) -> dict[datetime, list[int]]:
    """When to rebuild each member: now, or late on the day of their figures when that day has
    ended in their zone since (the roll-over has not reached them yet)."""
    zones = dict(Member.objects.filter(pk__in=member_ids).values_list("pk", "timezone"))
    todays = local_todays(zones, now)
    as_of = dict(
        MemberAdherence.objects.filter(member_id__in=member_ids).values_list("member_id", "as_of")
    )
    moments: dict[datetime, list[int]] = defaultdict(list)
    for member_id, today in todays.items():
        day = as_of.get(member_id)
        if day is None or day >= today:
            moments[now].append(member_id)
            continue
        try:
            zone = zoneinfo.ZoneInfo(zones[member_id])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        moments[datetime.combine(day, time(23, 59), tzinfo=zone)].append(member_id)
    return moments


@dataclass
class _Rows:
    days: dict[tuple[int, date], tuple[Any, ...]]
    weeks: dict[tuple[int, date], tuple[Any, ...]]
    figures: dict[int, tuple[Any, ...]]


def _snapshot(member_ids: list[int]) -> _Rows:
    where = Q(member_id__in=member_ids)
    return _Rows(
        days={
            (row[0], row[1]): row[2:]
            for row in AdherenceDay.objects.filter(where).values_list(
                "member_id", "date", *DAY_FIELDS
            )
        },
        weeks={
            (row[0], row[1]): row[2:]
            for row in AdherenceWeek.objects.filter(where).values_list(
                "member_id", "week_start", *WEEK_FIELDS
            )
        },
        figures={
            row[0]: row[1:]
            for row in MemberAdherence.objects.filter(where).values_list(
                "member_id", *FIGURE_FIELDS
            )
        },
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def _same_row(a: tuple[Any, ...] | None, b: tuple[Any, ...] | None) -> bool:
    if a is None or b is None:
        return a is b
    return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))


def _difference(
    member_id: int, what: str, fields: tuple[str, ...], old: Any, new: Any
) -> Difference | None:
    """The fields that differ (all of them when a row is missing on one side), or None."""
    if _same_row(old, new):
        return None
    if old is None or new is None:
        named = (None if row is None else dict(zip(fields, row, strict=True)) for row in (old, new))
        return Difference(member_id, what, *named)
    changed = [i for i, (x, y) in enumerate(zip(old, new, strict=True)) if not _same(x, y)]
    return Difference(
        member_id,
        what,
        stored={fields[i]: old[i] for i in changed},
        computed={fields[i]: new[i] for i in changed},
    )


def _compare(before: _Rows, after: _Rows) -> list[Difference]:
    found: list[Difference | None] = []
    for label, fields, old, new in (
        ("day", DAY_FIELDS, before.days, after.days),
        ("week", WEEK_FIELDS, before.weeks, after.weeks),
    ):
        found += [
            _difference(key[0], f"{label} {key[1].isoformat()}", fields, old.get(key), new.get(key))
            for key in sorted(old.keys() | new.keys())
        ]
    found += [
        _difference(
            member_id,
            "figures",
            FIGURE_FIELDS,
            before.figures.get(member_id),
            after.figures.get(member_id),
        )
        for member_id in sorted(before.figures.keys() | after.figures.keys())
    ]
    return [d for d in found if d is not None]
