"""Walking tolerance and leg symptoms: pure rules, no queries (shared/domain/CLINICAL.md).

Walking tolerance is the minutes a member walks before leg symptoms start; a walk with no
symptoms counts its whole length (a lower bound: they could have gone on). Figures are medians,
so one bad day does not move them.

The PT is told when:
- tolerance falls by half or more over two weeks: the median of the walks of the last 7 local
  days (today and the 6 before) is at most half the median of the 7 days before those (days
  8-14 back), each window holding at least MIN_WALKS_PER_WINDOW walks;
- weakness is new or worse (urgent: it may be a red flag): felt now where the last check-in
  had none, on more sides than last time, or said to be "worse";
- numbness spreads: on more sides than last time, or said to be "worse";
- leg symptoms are worse two check-ins running: some symptom "worse" in this check-in and in
  the one before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

WINDOW_DAYS = 7
MIN_WALKS_PER_WINDOW = 2
DROP_FRACTION = 0.5
# The weekly trend: the least-squares slope of the weekly medians, in minutes per week. Less
# than this either way is "steady".
STEADY_SLOPE = 0.5
TREND_ARROWS = {"up": "↑", "down": "↓", "steady": "→"}
TREND_WORDS = {"up": "getting longer", "down": "getting shorter", "steady": "steady"}

SIDES = {"none": 0, "left": 1, "right": 1, "both": 2}
WORSE = "worse"


@dataclass(frozen=True)
class WalkPoint:
    """One walk as the rules read it."""

    date: date
    tolerance: int  # minutes before symptoms, or the whole walk when none came


def median_or_none(values: Sequence[float]) -> float | None:
    return round(float(median(values)), 1) if values else None


def tolerance_drop(walks: Iterable[WalkPoint], *, today: date) -> dict[str, Any] | None:
    """The two-week fall by half, or None. The details are what the PT's alert shows."""
    recent_start = today - timedelta(days=WINDOW_DAYS - 1)
    earlier_start = recent_start - timedelta(days=WINDOW_DAYS)
    recent = [w.tolerance for w in walks if recent_start <= w.date <= today]
    earlier = [w.tolerance for w in walks if earlier_start <= w.date < recent_start]
    if len(recent) < MIN_WALKS_PER_WINDOW or len(earlier) < MIN_WALKS_PER_WINDOW:
        return None
    now, before = median(recent), median(earlier)
    if before <= 0 or now > before * DROP_FRACTION:
        return None
    return {
        "median_last_7_days": round(float(now), 1),
        "median_days_8_14": round(float(before), 1),
        "walks_last_7_days": len(recent),
        "walks_days_8_14": len(earlier),
        "date": today.isoformat(),
    }


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_medians(walks: Iterable[WalkPoint]) -> list[dict[str, Any]]:
    """Per Monday-first week with walks: the median minutes to symptoms and the count."""
    by_week: dict[date, list[int]] = {}
    for walk in walks:
        by_week.setdefault(week_start(walk.date), []).append(walk.tolerance)
    return [
        {"week": week, "median": median_or_none(values), "walks": len(values)}
        for week, values in sorted(by_week.items())
    ]


def slope(weeks: Sequence[Mapping[str, Any]]) -> float | None:
    """Least-squares slope of the weekly medians against the week (minutes per week); weeks
    without walks are left out, not counted as zero. None with fewer than two weeks."""
    points = [
        ((w["week"] - weeks[0]["week"]).days / 7, float(w["median"]))
        for w in weeks
        if w["median"] is not None
    ]
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def trend(weeks: Sequence[Mapping[str, Any]]) -> str | None:
    """ "up", "down" or "steady" from the slope of the weekly medians; None without two weeks."""
    found = slope(weeks)
    if found is None:
        return None
    if found >= STEADY_SLOPE:
        return "up"
    if found <= -STEADY_SLOPE:
        return "down"
    return "steady"


def trend_line(weeks: Sequence[Mapping[str, Any]]) -> list[float | None]:
    """The fitted line at each week (for the chart), or Nones when there is no trend."""
    found = slope(weeks)
    points = [
        ((w["week"] - weeks[0]["week"]).days / 7, float(w["median"]))
        for w in weeks
        if w["median"] is not None
    ]
    if found is None or not points:
        return [None for _ in weeks]
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    return [
        round(mean_y + found * ((w["week"] - weeks[0]["week"]).days / 7 - mean_x), 1) for w in weeks
    ]


# --- leg symptoms ------------------------------------------------------------------------------


def _sides(value: str | None) -> int:
    return SIDES.get(value or "none", 0)


def weakness_alarm(
    current: Mapping[str, str], previous: Mapping[str, str] | None
) -> dict[str, Any] | None:
    """New or worsening weakness, or None. Without an earlier check-in, only the member's own
    "worse" says it is getting worse (we do not know it is new)."""
    now = current.get("weakness", "none")
    if now == "none":
        return None
    said_worse = current.get("weakness_change") == WORSE
    before = previous.get("weakness", "none") if previous is not None else None
    new = before == "none"
    spread = before is not None and _sides(now) > _sides(before)
    if not (said_worse or new or spread):
        return None
    return {
        "weakness": now,
        "weakness_before": before,
        "new": new,
        "more_sides": spread,
        "said_worse": said_worse,
    }


def numbness_spreading(
    current: Mapping[str, str], previous: Mapping[str, str] | None
) -> dict[str, Any] | None:
    """Numbness on more sides than last time, or said to be worse; None otherwise."""
    now = current.get("numbness", "none")
    if now == "none":
        return None
    said_worse = current.get("numbness_change") == WORSE
    before = previous.get("numbness", "none") if previous is not None else None
    spread = before is not None and _sides(now) > _sides(before)
    if not (said_worse or spread):
        return None
    return {
        "numbness": now,
        "numbness_before": before,
        "more_sides": spread,
        "said_worse": said_worse,
    }


def worse_symptoms(check: Mapping[str, str]) -> list[str]:
    """The symptoms the member said are worse than last week."""
    return [
        name
        for name in ("numbness", "tingling", "weakness")
        if check.get(f"{name}_change") == WORSE
    ]


def worse_twice_running(
    current: Mapping[str, str], previous: Mapping[str, str] | None
) -> dict[str, Any] | None:
    """Some symptom worse in this check-in and in the one before it; None otherwise."""
    if previous is None:
        return None
    now, before = worse_symptoms(current), worse_symptoms(previous)
    if not now or not before:
        return None
    return {"worse_now": now, "worse_before": before}
