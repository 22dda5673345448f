"""What changed in a revision, in the words the PT reads in the plan's history: "Bridge: sets
2 → 3, moved 1 → 2", "Added Clamshell", "Swapped Bridge for Single-leg bridge"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from programs.models import PlanItem
from programs.models.templates import mask_to_days
from programs.rules.doses import days_words
from programs.services.plan_items import DOSE_FIELDS, CleanItem, dose_of


def _value_label(name: str, value: Any) -> str:
    if name == "days_mask":
        return days_words(mask_to_days(value))
    if value is None or value == "":
        return "none"
    return str(value)


FIELD_LABELS = {
    "sets": "sets",
    "reps": "reps",
    "hold_seconds": "hold",
    "duration_seconds": "duration",
    "rest_seconds": "rest",
    "side": "side",
    "load": "load",
    "target_rpe": "target RPE",
    "times_per_day": "times a day",
    "days_mask": "days",
    "note": "note",
}


def dose_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    parts = []
    for name in DOSE_FIELDS:
        if old.get(name) != new.get(name):
            if name == "note":
                parts.append("note changed")
            else:
                before, after = _value_label(name, old.get(name)), _value_label(name, new.get(name))
                parts.append(f"{FIELD_LABELS[name]} {before} → {after}")
    return parts


@dataclass
class ItemChanges:
    """A new list of items against the versions in force: the words for the revision, the
    versions to end and the items to write."""

    changes: list[str] = field(default_factory=list)
    to_end: list[PlanItem] = field(default_factory=list)
    to_write: list[CleanItem] = field(default_factory=list)


def _moved(current: dict[int, PlanItem], cleaned: list[CleanItem]) -> set[int]:
    """The ids of kept items that changed place among the items kept. Shifts caused by an
    addition or a removal are not news to the PT (they still write a version: `order` is in
    the row)."""
    old_positions = {pk: position for position, pk in enumerate(current)}
    kept_new = [i.previous.pk for i in cleaned if i.previous is not None]
    kept_old = sorted(kept_new, key=old_positions.__getitem__)
    return {pk for pk, was in zip(kept_new, kept_old, strict=True) if pk != was}


def item_changes(current: dict[int, PlanItem], cleaned: list[CleanItem]) -> ItemChanges:
    """`current`: the versions in force by id, in order; `cleaned`: the new whole list (an item
    with its `id` kept or changed, one without added, one left out ended)."""
    result = ItemChanges()
    old_positions = {pk: position for position, pk in enumerate(current)}
    moved_ids = _moved(current, cleaned)
    for item in cleaned:
        previous = item.previous
        if previous is None:
            result.changes.append(f"Added {item.exercise.name}")
            result.to_write.append(item)
        elif previous.exercise_id != item.exercise.pk:
            result.changes.append(f"Swapped {previous.exercise.name} for {item.exercise.name}")
            result.to_end.append(previous)
            # A different exercise is a different prescription: a new key, not a version.
            result.to_write.append(
                CleanItem(exercise=item.exercise, dose=item.dose, order=item.order)
            )
        else:
            words = dose_changes(dose_of(previous), item.dose)
            if previous.pk in moved_ids:
                words.append(f"moved {old_positions[previous.pk] + 1} → {item.order + 1}")
            if words:
                result.changes.append(f"{item.exercise.name}: {', '.join(words)}")
            if words or previous.order != item.order:
                result.to_end.append(previous)
                result.to_write.append(item)
    kept_ids = {item.previous.pk for item in cleaned if item.previous is not None}
    for pk, previous in current.items():
        if pk not in kept_ids:
            result.changes.append(f"Removed {previous.exercise.name}")
            result.to_end.append(previous)
    return result
