"""A plan's or template's items as a PT sends them, checked: each field against its range and
what the exercise's dosing kind needs, every problem named by its path (`items[2].reps`) and
reported at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from exercise_tracker import access
from members.models import User
from programs.models import Dosing, Exercise, PlanItem, Side, TemplateItem
from programs.models.templates import ITEM_RANGES, days_to_mask
from programs.services.numbers import clean_numbers, whole_number

MAX_ITEMS = 30  # a hard limit against abuse; the clinical advice (6) is a warning

# The dose fields of an item, in the order a PT reads them.
DOSE_FIELDS = (
    "sets",
    "reps",
    "hold_seconds",
    "duration_seconds",
    "rest_seconds",
    "side",
    "load",
    "target_rpe",
    "times_per_day",
    "days_mask",
    "note",
)
REQUIRED_NUMBERS = ("sets", "times_per_day")
TEXT_LIMITS = {"load": 80, "note": 500}
# What each dosing kind needs, and how to say it.
NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    Dosing.REPS: (("reps", "repetitions: give reps"),),
    Dosing.HOLD: (("hold_seconds", "timed holds: give hold_seconds"),),
    Dosing.REPS_HOLD: (
        ("reps", "repetitions with a hold: give reps"),
        ("hold_seconds", "repetitions with a hold: give hold_seconds"),
    ),
    Dosing.DURATION: (("duration_seconds", "duration: give duration_seconds"),),
}
ITEM_KEYS = {"id", "exercise", "days_of_week", *DOSE_FIELDS} - {"days_mask"}
# Computed by the API (the dose in words): a client may send back what it read.
COMPUTED_ITEM_KEYS = {"label"}


@dataclass
class CleanItem:
    """A validated item of a request: the dose to write, and the version it replaces if any."""

    exercise: Exercise
    dose: dict[str, Any]
    order: int
    previous: PlanItem | None = None


_as_int = whole_number


def _defaults_of(exercise: Exercise) -> dict[str, Any]:
    """A new item starts from the exercise's default dose."""
    return {
        "sets": exercise.default_sets or 1,
        "reps": exercise.default_reps,
        "hold_seconds": exercise.default_hold_seconds,
        "duration_seconds": exercise.default_duration_seconds,
        "rest_seconds": exercise.default_rest_seconds,
        "side": exercise.default_side or Side.BOTH,
        "load": "",
        "target_rpe": None,
        "times_per_day": exercise.default_times_per_day or 1,
        "days_mask": days_to_mask(range(7)),
        "note": exercise.dose_note or "",
    }


def dose_of(item: PlanItem | TemplateItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in DOSE_FIELDS}


def _clean_dose(raw: dict[str, Any], base: dict[str, Any], where: str) -> tuple[dict, dict]:
    """Applies the given fields over `base`. Returns (dose, errors by field path)."""
    dose = dict(base)
    errors: dict[str, list[str]] = {}
    counts, count_errors = clean_numbers(
        raw, ITEM_RANGES, prefix=where, required=list(REQUIRED_NUMBERS)
    )
    dose.update(counts)
    errors.update(count_errors)
    for name, limit in TEXT_LIMITS.items():
        if name not in raw:
            continue
        value = raw[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[f"{where}.{name}"] = ["Give text."]
        elif len(value) > limit:
            errors[f"{where}.{name}"] = [f"At most {limit} characters."]
        else:
            dose[name] = value.strip()
    if "side" in raw:
        if raw["side"] in Side.values:
            dose["side"] = raw["side"]
        else:
            errors[f"{where}.side"] = [f"Choose one of: {', '.join(Side.values)}."]
    if "days_of_week" in raw:
        days = raw["days_of_week"]
        numbers = [_as_int(day) for day in days] if isinstance(days, list) else None
        if not numbers or any(day is None or not 0 <= day <= 6 for day in numbers):
            errors[f"{where}.days_of_week"] = [
                "Give a non-empty list of weekdays, 0 (Monday) to 6 (Sunday)."
            ]
        else:
            dose["days_mask"] = days_to_mask({day for day in numbers if day is not None})
    return dose, errors


def clean_dose(
    *,
    exercise: Exercise,
    raw: dict[str, Any],
    where: str,
    base: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The dose of one item: `raw` over `base` (default: the exercise's default dose), checked
    against the ranges and what the exercise's dosing kind needs. Returns (dose, errors)."""
    dose, errors = _clean_dose(raw, base if base is not None else _defaults_of(exercise), where)
    for name, message in NEEDS.get(exercise.dosing, ()):
        if dose.get(name) is None and f"{where}.{name}" not in errors:
            errors[f"{where}.{name}"] = [f"{exercise.name} is dosed in {message}."]
    return dose, errors


def clean_items(
    *,
    user: User,
    raw_items: Any,
    current: dict[int, PlanItem] | None = None,
) -> list[CleanItem]:
    """Validates a whole list of items. `current` maps the ids of the versions in force (for a
    revision); an item with an `id` must name one of them. Every problem is reported at once."""
    if not isinstance(raw_items, list):
        raise ValidationError({"items": ["Give a list of items."]})
    if len(raw_items) > MAX_ITEMS:
        raise ValidationError({"items": [f"At most {MAX_ITEMS} exercises in a plan."]})
    current = current or {}
    errors: dict[str, list[str]] = {}
    exercise_ids = {_as_int(raw.get("exercise")) for raw in raw_items if isinstance(raw, dict)} - {
        None
    }
    exercises = access.visible_exercises(user).in_bulk(list(exercise_ids))
    seen_ids: set[int] = set()
    cleaned: list[CleanItem] = []
    for index, raw in enumerate(raw_items):
        where = f"items[{index}]"
        if not isinstance(raw, dict):
            errors[where] = ["Give an object with the exercise and its dose."]
            continue
        unknown = set(raw) - ITEM_KEYS - COMPUTED_ITEM_KEYS
        if unknown:
            errors[where] = [f"Unknown field(s): {', '.join(sorted(unknown))}."]
            continue
        previous: PlanItem | None = None
        if raw.get("id") is not None:
            item_id = _as_int(raw["id"])
            previous = current.get(item_id) if item_id is not None else None
            if previous is None or item_id in seen_ids:
                errors[f"{where}.id"] = ["Not an item in force in this plan."]
                continue
            seen_ids.add(item_id)  # type: ignore[arg-type]
        exercise: Exercise | None
        if raw.get("exercise") is None and previous is not None:
            exercise = previous.exercise
        else:
            exercise_id = _as_int(raw.get("exercise"))
            exercise = exercises.get(exercise_id) if exercise_id is not None else None
            if exercise is None:
                errors[f"{where}.exercise"] = ["No exercise you can use has this id."]
                continue
        base = (
            dose_of(previous)
            if previous is not None and previous.exercise_id == exercise.pk
            else None
        )
        dose, item_errors = clean_dose(exercise=exercise, raw=raw, where=where, base=base)
        errors.update(item_errors)
        cleaned.append(CleanItem(exercise=exercise, dose=dose, order=index, previous=previous))
    if errors:
        raise ValidationError(errors)
    return cleaned
