"""Reads about walks and leg symptom check-ins: lists scoped by access.py, the walking
tolerance week by week with its trend (history, the PT's pages), the caseload's compact figure,
and whether a weekly check-in is due."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet

from exercise_tracker import access, clock
from members.models import Member, SymptomCheck, Walk
from members.rules import walking as rules

# A check-in is due when the last one is this many days old (or there is none).
CHECK_EVERY_DAYS = 7
# The caseload's figure: the latest week with walks, if within this many weeks, and the trend
# over this many weeks.
CASELOAD_WEEKS = 6


def walks_for(user: Any) -> QuerySet[Walk]:
    return access.visible_walks(user).order_by("-local_date", "-created_at", "-id")


def checks_for(user: Any) -> QuerySet[SymptomCheck]:
    return access.visible_symptom_checks(user).order_by("-local_date", "-created_at", "-id")


def is_walking_item(exercise: dict[str, Any]) -> bool:
    """A plan item for walking (the library's walking program, or a clinic's own walking
    exercise): its slug names walking. Balance drills such as the tandem walk do not."""
    return "walking" in str(exercise.get("slug", ""))


@dataclass(frozen=True)
class Tolerance:
    """Walking tolerance week by week: the median minutes to symptoms, the trend and its line."""

    weeks: list[dict[str, Any]]
    trend: str | None
    slope: float | None

    @property
    def latest(self) -> dict[str, Any] | None:
        found = [w for w in self.weeks if w["median"] is not None]
        return found[-1] if found else None

    @property
    def arrow(self) -> str:
        return rules.TREND_ARROWS.get(self.trend or "", "")

    @property
    def trend_words(self) -> str:
        return rules.TREND_WORDS.get(self.trend or "", "")

    def chart(self) -> list[dict[str, Any]]:
        return [
            {
                "week": w["week"].isoformat(),
                "median": w["median"],
                "walks": w["walks"],
                "trend": w["trend"],
            }
            for w in self.weeks
        ]


def _tolerance(points: Iterable[rules.WalkPoint], *, start: date, end: date) -> Tolerance:
    found = {w["week"]: w for w in rules.weekly_medians(points)}
    weeks = []
    week = rules.week_start(start)
    while week <= end:
        weeks.append(found.get(week, {"week": week, "median": None, "walks": 0}))
        week += timedelta(weeks=1)
    line = rules.trend_line(weeks)
    walked = [w["week"] for w in weeks if w["median"] is not None]
    for one, fitted in zip(weeks, line, strict=True):
        # The line spans the weeks with walks, not the empty weeks before or after them.
        inside = bool(walked) and walked[0] <= one["week"] <= walked[-1]
        one["trend"] = fitted if inside else None
    return Tolerance(weeks=weeks, trend=rules.trend(weeks), slope=rules.slope(weeks))


def _points(rows: Iterable[tuple[Any, ...]]) -> list[rules.WalkPoint]:
    return [
        rules.WalkPoint(date=day, tolerance=total if to_symptoms is None else to_symptoms)
        for day, to_symptoms, total in rows
    ]


def tolerance(member: Member, *, start: date, end: date) -> Tolerance:
    """One member's weeks from the week of `start` to the week of `end` (one query)."""
    rows = Walk.objects.filter(
        member=member, local_date__gte=rules.week_start(start), local_date__lte=end
    ).values_list("local_date", "minutes_to_symptoms", "total_minutes")
    return _tolerance(_points(rows), start=start, end=end)


def tolerance_by_member(members: Iterable[Member] | Mapping[int, str]) -> dict[int, Tolerance]:
    """member id → the last CASELOAD_WEEKS weeks of walking tolerance (members with walks only),
    from members or a mapping of member id → time zone; one query whatever their number."""
    zones = dict(members) if isinstance(members, Mapping) else {m.pk: m.timezone for m in members}
    todays = clock.local_todays(zones)
    if not todays:
        return {}
    earliest = rules.week_start(min(todays.values())) - timedelta(weeks=CASELOAD_WEEKS - 1)
    rows: dict[int, list[tuple[Any, ...]]] = {}
    for member_id, day, to_symptoms, total in Walk.objects.filter(
        member_id__in=list(todays), local_date__gte=earliest
    ).values_list("member_id", "local_date", "minutes_to_symptoms", "total_minutes"):
        rows.setdefault(member_id, []).append((day, to_symptoms, total))
    found = {}
    for member_id, walks in rows.items():
        today = todays[member_id]
        start = rules.week_start(today) - timedelta(weeks=CASELOAD_WEEKS - 1)
        points = [p for p in _points(walks) if start <= p.date <= today]
        if points:
            found[member_id] = _tolerance(points, start=start, end=today)
    return found


def tolerance_data(found: Tolerance | None) -> dict[str, Any]:
    """The compact figure (API rows): the latest week's median minutes and the trend."""
    latest = found.latest if found is not None else None
    return {
        "week": latest["week"].isoformat() if latest else None,
        "median_minutes": latest["median"] if latest else None,
        "walks": latest["walks"] if latest else 0,
        "trend": found.trend if found is not None else None,
    }


def last_check(member: Member) -> SymptomCheck | None:
    return SymptomCheck.objects.filter(member=member).order_by("-local_date", "-created_at").first()


def check_due(member: Member, *, today: date | None = None) -> bool:
    """Whether the weekly leg symptoms check-in is due: none in the last CHECK_EVERY_DAYS."""
    day = today or clock.local_today(member)
    return not SymptomCheck.objects.filter(
        member=member, local_date__gt=day - timedelta(days=CHECK_EVERY_DAYS), local_date__lte=day
    ).exists()


def check_history(member: Member, *, start: date) -> list[SymptomCheck]:
    return list(
        SymptomCheck.objects.filter(member=member, local_date__gte=start).order_by(
            "local_date", "created_at"
        )
    )
