"""Questionnaire forms as members see them, built from an instrument's definition
(fixtures/instruments/*.json, with a clinic's licensed wording merged in): parts, items with
their question, and each answer's words. Scoring is in members.rules.scoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from members.rules import scoring
from members.rules.instruments import ACTIVITIES


@dataclass(frozen=True)
class Item:
    number: int
    label: str  # our own short topic
    choices: tuple[tuple[int, str], ...]
    skippable: bool = True
    text: str = ""  # the question, in the instrument's words


@dataclass(frozen=True)
class Part:
    key: str
    title: str
    hint: str
    items: tuple[Item, ...]
    optional: bool = False


@dataclass(frozen=True)
class Activities:
    """A part where the member names activities and rates each (PSFS)."""

    key: str
    min_items: int
    max_items: int
    prompt: str
    question: str
    choices: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Questionnaire:
    instrument: str
    title: str
    intro: str
    parts: tuple[Part, ...] = field(default_factory=tuple)
    activities: Activities | None = None


def _choices(holder: dict[str, Any]) -> tuple[tuple[int, str], ...]:
    return tuple(
        (option["value"], option.get("text") or str(option["value"]))
        for option in holder["options"]
    )


def questionnaire_from(definition: dict[str, Any]) -> Questionnaire:
    """The form of an instrument's definition (with its wording merged in)."""
    parts: list[Part] = []
    activities: Activities | None = None
    for part in definition["parts"]:
        if part.get("kind") == ACTIVITIES:
            activities = Activities(
                key=part["key"],
                min_items=part["min_items"],
                max_items=part["max_items"],
                prompt=part.get("activity_prompt") or "",
                question=part.get("rating_question") or "",
                choices=_choices(part),
            )
            continue
        parts.append(
            Part(
                key=part["key"],
                title=part.get("title") or "",
                hint=part.get("hint") or "",
                optional=bool(part.get("optional")),
                items=tuple(
                    Item(
                        number=item["number"],
                        label=item.get("topic") or "",
                        text=item.get("text") or "",
                        choices=_choices(item),
                        skippable=not item.get("required", False),
                    )
                    for item in part["items"]
                ),
            )
        )
    return Questionnaire(
        instrument=definition["code"],
        title=definition["name"],
        intro=definition.get("intro") or "",
        parts=tuple(parts),
        activities=activities,
    )


def _plain(value: Any) -> str:
    text = f"{value}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def member_lines(instrument: str, score: Any) -> list[str]:
    """The result in neutral words for the member: each score on its own scale, no band names
    (the ODI's bands are for the PT)."""
    if instrument == scoring.ZCQ:
        lines = [
            f"Symptoms: {_plain(score['severity']['mean'])} on a scale from 1 to 5.",
            f"Physical function: {_plain(score['function']['mean'])} on a scale from 1 to 4.",
        ]
        if score.get("satisfaction"):
            lines.append(
                f"Satisfaction: {_plain(score['satisfaction']['mean'])} on a scale from 1 to 4."
            )
        lines.append("On these scales, lower numbers mean fewer symptoms and less difficulty.")
        return lines
    if instrument == scoring.ODI:
        return [
            f"{_plain(score)}% on a scale from 0 to 100, where lower means less difficulty with "
            "daily activities."
        ]
    if instrument == scoring.PSFS:
        return [f"{_plain(score)} on a scale from 0 to 10, where 10 means as well as before."]
    return [f"Pain {_plain(score)} on a scale from 0 to 10."]
