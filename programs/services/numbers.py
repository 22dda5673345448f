"""Whole numbers in ranges, as the library's default doses and plan items both take them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from exercise_tracker.integers import MAX_ID, parse_int


def whole_number(value: Any) -> int | None:
    """An int, or a string of ASCII digits (JSON clients and forms send both; "²", "٣" and
    numbers longer than an id are not); None for anything else, booleans included (True is an
    int in Python, never a dose)."""
    return parse_int(value.strip() if isinstance(value, str) else value, low=-MAX_ID)


def clean_numbers(
    raw: Mapping[str, Any],
    ranges: Mapping[str, tuple[int, int]],
    *,
    prefix: str,
    required: Collection[str] = (),
) -> tuple[dict[str, int | None], dict[str, list[str]]]:
    """The fields of `ranges` that `raw` gives: each a whole number within its range, or None
    when given empty and not `required`. Returns (values, errors keyed `prefix.field`)."""
    values: dict[str, int | None] = {}
    errors: dict[str, list[str]] = {}
    for name, (low, high) in ranges.items():
        if name not in raw:
            continue
        value = raw[name]
        if value is None or value == "":
            if name in required:
                errors[f"{prefix}.{name}"] = ["This field may not be empty."]
            else:
                values[name] = None
            continue
        number = whole_number(value)
        if number is None:
            errors[f"{prefix}.{name}"] = ["Give a whole number."]
        elif not low <= number <= high:
            errors[f"{prefix}.{name}"] = [f"Give a number from {low} to {high}."]
        else:
            values[name] = number
    return values, errors
