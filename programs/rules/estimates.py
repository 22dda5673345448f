"""How long a session takes, and the advice a PT should see but may overrule (pure: no
database). A PT reads the warnings in the builder and the API; none of them blocks saving."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from members.models import Member
from programs.models import Exercise
from programs.rules import precautions as precaution_rules

ADVISED_MAX_EXERCISES = 6
ADVISED_MAX_MINUTES = 30
# Session estimate: about 3 s a repetition, plus a short set-up per exercise.
SECONDS_PER_REP = 3
SETUP_SECONDS_PER_EXERCISE = 15


class DoseLike(Protocol):
    exercise: Exercise
    sets: int
    reps: int | None
    hold_seconds: int | None
    duration_seconds: int | None
    rest_seconds: int | None
    days_mask: int


class DraftItem:
    """A checked item not saved (the builder's preview) as the estimates read it (DoseLike)."""

    def __init__(self, exercise: Exercise, dose: dict[str, Any]) -> None:
        self.exercise = exercise
        self.sets: int = dose["sets"]
        self.reps: int | None = dose.get("reps")
        self.hold_seconds: int | None = dose.get("hold_seconds")
        self.duration_seconds: int | None = dose.get("duration_seconds")
        self.rest_seconds: int | None = dose.get("rest_seconds")
        self.days_mask: int = dose["days_mask"]


def item_seconds(item: DoseLike) -> int:
    """Seconds one sitting of this item takes: sets of reps (3 s each, plus any hold), of holds,
    or of a duration, the rests between sets, and a short set-up."""
    reps, hold, duration = item.reps, item.hold_seconds, item.duration_seconds
    if duration:
        per_set = duration
    elif reps:
        per_set = reps * (SECONDS_PER_REP + (hold or 0))
    else:
        per_set = hold or 0
    sets = max(item.sets or 1, 1)
    rests = (item.rest_seconds or 0) * (sets - 1)
    return sets * per_set + rests + SETUP_SECONDS_PER_EXERCISE


def estimate_minutes(items: Iterable[DoseLike]) -> float:
    """Minutes of the longest day's session (items on other weekdays do not add up)."""
    items = list(items)
    by_day = [
        sum(item_seconds(item) for item in items if item.days_mask & (1 << day)) for day in range(7)
    ]
    return round(max(by_day, default=0) / 60, 1)


def plan_warnings(
    *, member: Member, items: Sequence[DoseLike]
) -> tuple[list[dict[str, Any]], float]:
    """Advice a PT should see but may overrule. Returns (warnings, estimated minutes)."""
    warnings = precaution_rules.warnings(member=member, items=items)
    if len(items) > ADVISED_MAX_EXERCISES:
        warnings.append(
            {
                "code": "many_exercises",
                "field": "items",
                "message": (
                    f"{len(items)} exercises: adherence drops with programs of more than "
                    f"{ADVISED_MAX_EXERCISES}."
                ),
            }
        )
    minutes = estimate_minutes(items)
    if minutes > ADVISED_MAX_MINUTES:
        warnings.append(
            {
                "code": "long_session",
                "field": "items",
                "message": (
                    f"A session takes about {minutes:g} minutes: adherence drops with sessions "
                    f"over {ADVISED_MAX_MINUTES}."
                ),
            }
        )
    return warnings, minutes
