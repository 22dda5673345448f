"""Questionnaire forms as members see them: each instrument's parts, items and answer labels.

Labels are short neutral topics in our own words: the wording of ODI and ZCQ is licensed and stays
on the paper form the clinic holds the licence for. Scoring is in members.rules.scoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from members.models import Instrument
from members.rules import scoring


@dataclass(frozen=True)
class Item:
    number: int
    label: str
    choices: tuple[tuple[int, str], ...]
    skippable: bool = True


@dataclass(frozen=True)
class Part:
    key: str
    title: str
    hint: str
    items: tuple[Item, ...]
    optional: bool = False


@dataclass(frozen=True)
class Questionnaire:
    instrument: str
    title: str
    intro: str
    parts: tuple[Part, ...] = field(default_factory=tuple)


def _scale(low: int, high: int, low_label: str, high_label: str) -> tuple[tuple[int, str], ...]:
    return tuple(
        (n, f"{n} {low_label}" if n == low else f"{n} {high_label}" if n == high else str(n))
        for n in range(low, high + 1)
    )


ODI_TOPICS = (
    "Pain intensity",
    "Personal care",
    "Lifting",
    "Walking",
    "Sitting",
    "Standing",
    "Sleeping",
    "Sex life",
    "Social life",
    "Travelling",
)
ZCQ_SEVERITY_TOPICS = (
    "Pain overall",
    "How often pain comes",
    "Back pain",
    "Leg pain",
    "Numbness or tingling in the legs",
    "Weakness in the legs",
    "Balance",
)
ZCQ_FUNCTION_TOPICS = (
    "Walking distance",
    "Walks for pleasure",
    "Shopping",
    "Walking around home",
    "Short walks",
)
ZCQ_SATISFACTION_TOPICS = (
    "Results overall",
    "Pain relief",
    "Walking distance",
    "Housework and yard work",
    "Leg strength",
    "Balance",
)

QUESTIONNAIRES: dict[str, Questionnaire] = {
    Instrument.NPRS: Questionnaire(
        Instrument.NPRS,
        "Pain rating",
        "Rate your usual pain over the last 24 hours.",
        (
            Part(
                "nprs",
                "",
                "",
                (Item(1, "Pain", _scale(0, 10, "no pain", "worst imaginable"), skippable=False),),
            ),
        ),
    ),
    Instrument.ODI: Questionnaire(
        Instrument.ODI,
        "Oswestry Disability Index",
        "For each section, choose the number from your clinic's Oswestry form that fits you "
        "today: 0 means no difficulty, 5 the most. Skip a section that does not apply.",
        (
            Part(
                "odi",
                "",
                "",
                tuple(
                    Item(n, topic, _scale(0, 5, "none", "most"))
                    for n, topic in enumerate(ODI_TOPICS, start=1)
                ),
            ),
        ),
    ),
    Instrument.ZCQ: Questionnaire(
        Instrument.ZCQ,
        "Zurich Claudication Questionnaire",
        "Choose the number from your clinic's Zurich form for each item. Higher numbers mean "
        "more trouble.",
        (
            Part(
                "severity",
                "Symptoms",
                "Over the last month; 1 none, 5 the most.",
                tuple(
                    Item(
                        n,
                        topic,
                        ((1, "1 good"), (3, "3 some trouble"), (5, "5 poor"))
                        if n == scoring.ZCQ_BALANCE_ITEM
                        else _scale(1, 5, "none", "most"),
                    )
                    for n, topic in enumerate(ZCQ_SEVERITY_TOPICS, start=1)
                ),
            ),
            Part(
                "function",
                "Physical function",
                "What you can do now; 1 easily, 4 not at all.",
                tuple(
                    Item(n, topic, _scale(1, 4, "easily", "not at all"))
                    for n, topic in enumerate(ZCQ_FUNCTION_TOPICS, start=1)
                ),
            ),
            Part(
                "satisfaction",
                "Satisfaction with treatment",
                "Only after treatment, when your physical therapist asks; 1 very satisfied, "
                "4 very dissatisfied. Leave all empty otherwise.",
                tuple(
                    Item(n, topic, _scale(1, 4, "very satisfied", "very dissatisfied"))
                    for n, topic in enumerate(ZCQ_SATISFACTION_TOPICS, start=1)
                ),
                optional=True,
            ),
        ),
    ),
    Instrument.PSFS: Questionnaire(
        Instrument.PSFS,
        "Patient-Specific Functional Scale",
        "Name 3 to 5 activities that are hard for you now, and rate each: 0 unable to do it, "
        "10 able to do it as before the problem.",
    ),
}
PSFS_ROWS = scoring.PSFS_MAX_ACTIVITIES
PSFS_SCALE = _scale(0, 10, "unable", "as before")
