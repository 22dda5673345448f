"""Instruments as data: checks of an instrument file, and a licensed wording merged into the
shipped structure. Pure functions over the JSON of fixtures/instruments/*.json (no models).

A file holds `code`, `name`, `licensed`, `source`, `licence`, `scoring`, `intro` and `parts`;
a part holds `key`, `title`, `hint`, `optional` and `items` (each `number`, `topic` in our own
words, `text` and `options` of `{"value", "text"}`), or, for an `"kind": "activities"` part
(PSFS), `min_items`, `max_items`, `activity_prompt`, `rating_question` and the rating `options`.
A licensed instrument ships with `text` null: a clinic loads the wording it holds a licence for.
"""

from __future__ import annotations

import copy
from typing import Any

MAX_TEXT = 1000
ACTIVITIES = "activities"


def _options_of(holder: dict[str, Any]) -> tuple[int, ...]:
    return tuple(option.get("value") for option in holder.get("options") or [])


def structure(definition: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What must not change between the shipped file and a loaded wording: the parts, their
    items and each item's answer values (the scoring reads nothing else)."""
    shape: list[tuple[Any, ...]] = []
    for part in definition.get("parts") or []:
        if part.get("kind") == ACTIVITIES:
            shape.append(
                (
                    part.get("key"),
                    ACTIVITIES,
                    part.get("min_items"),
                    part.get("max_items"),
                    *_options_of(part),
                )
            )
            continue
        shape.append(
            (
                part.get("key"),
                tuple((item.get("number"), _options_of(item)) for item in part.get("items") or []),
            )
        )
    return shape


def check_file(definition: Any) -> list[str]:
    """The shape of an instrument file: messages naming what is wrong, empty when it is sound."""
    if not isinstance(definition, dict):
        return ["Give a JSON object."]
    errors = [
        f'"{name}" is missing.'
        for name in ("code", "name", "licensed", "parts")
        if name not in definition
    ]
    parts = definition.get("parts")
    if not isinstance(parts, list) or not parts:
        return [*errors, '"parts" must be a non-empty list.']
    for p, part in enumerate(parts):
        if not isinstance(part, dict) or not part.get("key"):
            errors.append(f"parts[{p}]: give an object with a key.")
            continue
        holders = [part] if part.get("kind") == ACTIVITIES else part.get("items") or []
        if part.get("kind") != ACTIVITIES and not holders:
            errors.append(f"parts[{p}]: no items.")
        for i, holder in enumerate(holders):
            where = f"parts[{p}]" if holder is part else f"parts[{p}].items[{i}]"
            if holder is not part and holder.get("number") != i + 1:
                errors.append(f"{where}: items are numbered 1, 2, 3... in order.")
            values = _options_of(holder)
            whole = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
            if not values or not whole:
                errors.append(f"{where}: give options with whole-number values.")
            elif len(set(values)) != len(values):
                errors.append(f"{where}: an answer value appears twice.")
    return errors


def _texts(definition: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every piece of wording a member reads: (where, text)."""
    found: list[tuple[str, Any]] = []
    for p, part in enumerate(definition.get("parts") or []):
        if part.get("kind") == ACTIVITIES:
            found.append((f"parts[{p}].activity_prompt", part.get("activity_prompt")))
            found.append((f"parts[{p}].rating_question", part.get("rating_question")))
            holders = [(f"parts[{p}]", part)]
        else:
            holders = [(f"parts[{p}].items[{i}]", item) for i, item in enumerate(part["items"])]
            found.extend((f"{where}.text", item.get("text")) for where, item in holders)
        for where, holder in holders:
            found.extend(
                (f"{where}.options[{o}].text", option.get("text"))
                for o, option in enumerate(holder.get("options") or [])
            )
    return found


def has_wording(definition: dict[str, Any]) -> bool:
    """Every question and every answer has its words."""
    return all(isinstance(text, str) and text.strip() for _, text in _texts(definition))


def check_wording(shipped: dict[str, Any], loaded: Any) -> list[str]:
    """A clinic's wording file against the shipped structure: same instrument, same items and
    answer values, and words for every question and answer."""
    errors = check_file(loaded)
    if errors:
        return errors
    if loaded.get("code") != shipped.get("code"):
        return [f'This file is for "{loaded.get("code")}", not "{shipped.get("code")}".']
    if structure(loaded) != structure(shipped):
        return [
            "The parts, items or answer values differ from the shipped "
            f"fixtures/instruments/{shipped['code']}.json: keep its structure and add the words."
        ]
    for where, text in _texts(loaded):
        if not isinstance(text, str) or not text.strip():
            errors.append(f"{where}: give the words.")
        elif len(text) > MAX_TEXT:
            errors.append(f"{where}: at most {MAX_TEXT} characters.")
    return errors


def merge(shipped: dict[str, Any], loaded: dict[str, Any] | None) -> dict[str, Any]:
    """The shipped definition with a loaded wording's words (intro, part titles and hints,
    questions and answers); source, licence and scoring stay the shipped ones."""
    merged = copy.deepcopy(shipped)
    if not loaded:
        return merged
    if loaded.get("intro"):
        merged["intro"] = loaded["intro"]
    for part, theirs in zip(merged["parts"], loaded["parts"], strict=True):
        for name in ("title", "hint", "activity_prompt", "rating_question"):
            if theirs.get(name):
                part[name] = theirs[name]
        pairs = [(part, theirs)] if part.get("kind") == ACTIVITIES else []
        pairs += list(zip(part.get("items") or [], theirs.get("items") or [], strict=True))
        for mine, other in pairs:
            if mine is not part:
                mine["text"] = other.get("text")
            for option, their_option in zip(mine["options"], other["options"], strict=True):
                option["text"] = their_option.get("text")
    return merged
