"""A plan's or template's items as a PT sends them, their shape already checked (programs.inputs):
what depends on the exercise and the plan (the item in force, the exercise the PT may use, what
its dosing kind needs), every problem named by its path (`items[2].exercise`), all at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from django.core.exceptions import ValidationError

from exercise_tracker import access
from members.models import User
from programs.models import Dosing, Exercise, PlanItem, Side, TemplateItem
from programs.models.templates import days_to_mask

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


@dataclass
class CleanItem:
    """A validated item of a request: the dose to write, and the version it replaces if any."""

    exercise: Exercise
    dose: dict[str, Any]
    order: int
    previous: PlanItem | None = None


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


class ItemInput(TypedDict, total=False):
    """An item as a request gives it, its shape already checked (programs.inputs): numbers
    within the dose's ranges, `side` among Side's, text within its length, weekdays 0-6."""

    id: int | None
    exercise: int | None
    sets: int
    reps: int | None
    hold_seconds: int | None
    duration_seconds: int | None
    rest_seconds: int | None
    side: str
    load: str
    target_rpe: int | None
    times_per_day: int
    days_of_week: list[int]
    note: str


# The dose fields an item gives as they are stored (days come as `days_of_week`).
GIVEN_DOSE = tuple(name for name in DOSE_FIELDS if name != "days_mask")


def clean_dose(
    *,
    exercise: Exercise,
    raw: ItemInput,
    where: str,
    base: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The dose of one item: `raw` over `base` (default: the exercise's default dose), checked
    against what the exercise's dosing kind needs. Returns (dose, errors)."""
    dose = dict(base if base is not None else _defaults_of(exercise))
    dose.update({name: raw[name] for name in GIVEN_DOSE if name in raw})  # type: ignore[literal-required]
    if "days_of_week" in raw:
        dose["days_mask"] = days_to_mask(raw["days_of_week"])
    errors: dict[str, list[str]] = {}
    for name, message in NEEDS.get(exercise.dosing, ()):
        if dose.get(name) is None:
            errors[f"{where}.{name}"] = [f"{exercise.name} is dosed in {message}."]
    return dose, errors


def clean_items(
    *,
    user: User,
    raw_items: Sequence[ItemInput],
    current: dict[int, PlanItem] | None = None,
) -> list[CleanItem]:
    """Checks a whole list of items against the plan and the library. `current` maps the ids
    of the versions in force (for a revision); an item with an `id` must name one of them.
    Every problem is reported at once, each on its field (`items[2].exercise`)."""
    current = current or {}
    errors: dict[str, list[str]] = {}
    exercise_ids = {raw.get("exercise") for raw in raw_items} - {None}
    exercises = access.visible_exercises(user).in_bulk(list(exercise_ids))
    seen_ids: set[int] = set()
    cleaned: list[CleanItem] = []
    for index, raw in enumerate(raw_items):
        where = f"items[{index}]"
        previous: PlanItem | None = None
        item_id = raw.get("id")
        if item_id is not None:
            previous = current.get(item_id)
            if previous is None or item_id in seen_ids:
                errors[f"{where}.id"] = ["Not an item in force in this plan."]
                continue
            seen_ids.add(item_id)
        exercise: Exercise | None
        exercise_id = raw.get("exercise")
        if exercise_id is None and previous is not None:
            exercise = previous.exercise
        else:
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
