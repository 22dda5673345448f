"""How a dose is worded: the one place that turns a prescription into the words a member reads
on the today page, My plan, the handout and the plan builder, and that the API gives as `label`
(`dose_text` on today).

A dose is counted in one of the exercise's dosing kinds (`Dosing`): repetitions, repetitions
with a hold, timed holds, or a duration. Sets are named in that kind's own unit, so a 15-minute
walk reads "15 min" (never "1 sets") and a stretch held three times "3 holds of 30 s". "Each
side, alternating" is said for alternating sides; "both" needs no words (it is how most
exercises are done); one side is named. How often in a day is said once, at the end.

Pure: the dose is a mapping (an API body, `dose_of(...)`) or an object with the dose's
attributes (a plan item, a template item, an exercise's `default_*` read through `dose_of`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from exercise_tracker.clock import DAY_NAMES_SHORT

REPS = "reps"
HOLD = "hold"
REPS_HOLD = "reps_hold"
DURATION = "duration"
DISTANCE = "distance"  # not a dosing kind yet; worded here when one carries `distance_m`

SIDE_WORDS = {
    "left": "left side only",
    "right": "right side only",
    "alternating": "each side, alternating",
    "both": "",
}


def _get(dose: Any, name: str) -> Any:
    if isinstance(dose, Mapping):
        return dose.get(name)
    return getattr(dose, name, None)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one}" if count == 1 else f"{count} {many or one + 's'}"


def duration_words(seconds: int) -> str:
    """45 s, 15 min, 1 min 30 s."""
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min" if rest == 0 else f"{minutes} min {rest} s"


def distance_words(metres: int) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres} m"


def times_a_day(times: int | None) -> str:
    """'' (once), 'twice a day', '3 times a day': the one place this is said."""
    times = times or 1
    if times <= 1:
        return ""
    return "twice a day" if times == 2 else f"{times} times a day"


def days_words(days: Iterable[int] | None) -> str:
    """'every day' or 'Mon, Wed, Fri' (0 is Monday)."""
    chosen = sorted({day for day in days or () if 0 <= day < 7})
    if not chosen or len(chosen) == 7:
        return "every day"
    return ", ".join(DAY_NAMES_SHORT[day] for day in chosen)


def dosing_of(dose: Any, dosing: str | None = None) -> str | None:
    """The dosing kind: the one given (or carried by the dose), else the one its numbers show."""
    kind = dosing or _get(dose, "dosing")
    reps, hold = _get(dose, "reps"), _get(dose, "hold_seconds")
    duration, distance = _get(dose, "duration_seconds"), _get(dose, "distance_m")
    needs = {
        REPS: reps,
        HOLD: hold,
        REPS_HOLD: reps and hold,
        DURATION: duration,
        DISTANCE: distance,
    }
    if kind == REPS and reps and hold:
        return REPS_HOLD  # a hold the PT added to repetitions is part of the dose
    if needs.get(kind):
        return kind
    if duration:
        return DURATION
    if distance:
        return DISTANCE
    if reps:
        return REPS_HOLD if hold else REPS
    if hold:
        return HOLD
    return None


def _amount(dose: Any, kind: str | None) -> str:
    sets = _get(dose, "sets") or 1
    reps, hold = _get(dose, "reps"), _get(dose, "hold_seconds")
    if kind == DURATION:
        each = duration_words(_get(dose, "duration_seconds"))
        return each if sets == 1 else f"{sets} bouts of {each}"
    if kind == DISTANCE:
        each = distance_words(_get(dose, "distance_m"))
        return each if sets == 1 else f"{sets} bouts of {each}"
    if kind == HOLD:
        each = duration_words(hold)
        return f"hold {each}" if sets == 1 else f"{sets} holds of {each}"
    if kind in (REPS, REPS_HOLD):
        text = _plural(reps, "rep") if sets == 1 else f"{sets} sets of {_plural(reps, 'rep')}"
        if kind == REPS_HOLD:
            text += f", hold {duration_words(hold)} each"
        return text
    return _plural(sets, "set")


def dose_parts(
    dose: Any, *, dosing: str | None = None, details: bool = False, days: bool = False
) -> list[str]:
    """The dose in words, part by part: the amount, the side, how often in a day; with
    `details` the rest between sets, the load and the effort; with `days` the weekdays."""
    parts = [_amount(dose, dosing_of(dose, dosing))]
    side = SIDE_WORDS.get(_get(dose, "side") or "", "")
    if side:
        parts.append(side)
    sets = _get(dose, "sets") or 1
    if details:
        rest = _get(dose, "rest_seconds")
        if rest and sets > 1:
            parts.append(f"rest {duration_words(rest)} between sets")
        load = _get(dose, "load")
        if load:
            parts.append(str(load))
        rpe = _get(dose, "target_rpe")
        if rpe is not None:
            parts.append(f"effort about {rpe} out of 10")
    if days:
        parts.append(days_words(_days_of(dose)))
    often = times_a_day(_get(dose, "times_per_day"))
    if often:
        parts.append(often)
    return parts


def _days_of(dose: Any) -> list[int] | None:
    days = _get(dose, "days_of_week")
    if days is not None:
        return list(days)
    mask = _get(dose, "days_mask")
    if mask is None:
        return None
    return [day for day in range(7) if mask & (1 << day)]


def dose_label(
    dose: Any, *, dosing: str | None = None, details: bool = False, days: bool = False
) -> str:
    """The dose in one line: "3 sets of 10 reps, each side, alternating, twice a day"."""
    return ", ".join(dose_parts(dose, dosing=dosing, details=details, days=days))
