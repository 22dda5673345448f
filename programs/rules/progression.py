"""When to suggest changing an exercise, from what the member logged (shared/domain/CLINICAL.md,
"Progression"). Pure: it reads one plan item's dose and its readings, and says what it finds.
A PT decides; nothing here changes a plan (programs.services.suggestions keeps the findings as
suggestions, and a PT's accept makes the revision).

What the rules read
-------------------
A *reading* is one entry (done or partly done) of the item at its current dose: the same item
(its key), the same exercise and the same sets, reps, hold and duration. A change of dose starts
the count again; a skipped exercise was not rated and is not a reading. Oldest first.

Two pains: the entry's own `pain` (during the exercise, when the member gave it), and the
*pain level* of a reading, that pain or else the session's pain after (the today page asks it of
every session). "Pain not rising" reads the level; "pain up during the exercise" reads only the
entry's own pain (a bad session is not blamed on each of its exercises: the pain alert covers it).

The *baseline* pain of an item is the median entry pain of its readings in the 14 days before
the latest reading's date (that date excluded), needing at least 2 of them; without them there
is no baseline and the pain part of rule 2 does not apply.

The rules
---------
1. TOO_EASY: the last 3 readings are all rated "too easy", each has a pain and none is above the
   first of the three (pain level not rising), and the exercise has a harder version: suggest it, at
   its usual starting dose. No harder version: no suggestion.
2. EASE_OFF: the last 2 readings are both rated "too hard", or the latest reading's pain is 2 or
   more above the baseline: suggest the easier version at its usual starting dose, or, when
   there is none, a lower dose (a set fewer; with one set, about a third fewer reps; else a
   shorter hold or time).
3. TOP_OF_DOSE (items counted in reps): the plan item has no rep range, so its reps are the top.
   Either two weeks at the top — in the 14 local days ending on the latest reading, at least 2
   readings in each of the two weeks, every one done in full (all sets, reps at or above the
   prescription), none "too hard", and the latest pain level no higher than the first's —
   or the "2-for-2" rule: the last 2 readings each 2 or more reps beyond the prescription.
   Suggest a set more (up to 3 sets), else 5 s more hold (up to 60 s), else nothing.

`after` (per rule) is the newest session of a suggestion the PT dismissed for that item and rule:
that rule reads only later readings, so dismissed evidence is never suggested again.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from programs.rules.doses import dose_label

TOO_EASY = "too_easy"
EASE_OFF = "ease_off"
TOP_OF_DOSE = "top_of_dose"

FEEDBACK_TOO_EASY = "too_easy"
FEEDBACK_TOO_HARD = "too_hard"
ENTRY_DONE = "done"

TOO_EASY_RUN = 3
TOO_HARD_RUN = 2
PAIN_RISE = 2
BASELINE_DAYS = 14
BASELINE_MIN_READINGS = 2
TOP_WINDOW_DAYS = 14
TOP_MIN_PER_WEEK = 2
TWO_FOR_TWO_EXTRA = 2
TWO_FOR_TWO_RUN = 2
MAX_SETS_ADDED_TO = 3
HOLD_STEP = 5
HOLD_CAP = 60

DOSE_KEYS = ("sets", "reps", "hold_seconds", "duration_seconds")


@dataclass(frozen=True)
class Version:
    """A harder or easier version of an exercise, with its usual starting dose."""

    id: int
    name: str
    dosing: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    duration_seconds: int | None

    def dose(self) -> dict[str, Any]:
        return {
            "sets": self.sets,
            "reps": self.reps,
            "hold_seconds": self.hold_seconds,
            "duration_seconds": self.duration_seconds,
        }


@dataclass(frozen=True)
class ItemDose:
    """The plan item version in force, and its exercise's harder and easier versions."""

    exercise_id: int
    exercise_name: str
    dosing: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    duration_seconds: int | None
    harder: Version | None = None
    easier: Version | None = None

    def dose(self) -> dict[str, Any]:
        return {
            "sets": self.sets,
            "reps": self.reps,
            "hold_seconds": self.hold_seconds,
            "duration_seconds": self.duration_seconds,
        }


@dataclass(frozen=True)
class Reading:
    session_id: int
    entry_id: int
    day: date
    at: datetime  # when the session was logged: orders two sittings of a day
    status: str
    feedback: str
    pain: int | None  # during the exercise (the entry's own)
    session_pain: int | None = None  # the session's pain after
    sets_done: int | None = None
    reps_done: int | None = None

    @property
    def pain_level(self) -> int | None:
        return self.pain if self.pain is not None else self.session_pain

    def as_evidence(self) -> dict[str, Any]:
        return {
            "session": self.session_id,
            "entry": self.entry_id,
            "date": self.day.isoformat(),
            "feedback": self.feedback,
            "pain": self.pain,
            "session_pain": self.session_pain,
            "sets_done": self.sets_done,
            "reps_done": self.reps_done,
        }


@dataclass(frozen=True)
class Finding:
    rule: str
    trigger: str
    summary: str
    # {"exercise": id, "exercise_name", "dose": {sets, reps, hold_seconds, duration_seconds}}
    proposal: dict[str, Any]
    readings: tuple[Reading, ...]
    baseline: dict[str, Any] | None = None

    @property
    def last(self) -> Reading:
        return self.readings[-1]

    def evidence(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "entries": [r.as_evidence() for r in self.readings],
            "baseline": self.baseline,
        }


@dataclass(frozen=True)
class Baseline:
    pain: float
    readings: tuple[Reading, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pain": self.pain,
            "readings": len(self.readings),
            "from": self.readings[0].day.isoformat(),
            "to": self.readings[-1].day.isoformat(),
            "entries": [r.entry_id for r in self.readings],
        }


def baseline(readings: Sequence[Reading]) -> Baseline | None:
    """The median pain of the readings in the BASELINE_DAYS before the latest one's date."""
    if not readings:
        return None
    latest = readings[-1].day
    earlier = tuple(
        r
        for r in readings
        if latest - timedelta(days=BASELINE_DAYS) <= r.day < latest and r.pain is not None
    )
    if len(earlier) < BASELINE_MIN_READINGS:
        return None
    pains = [r.pain for r in earlier if r.pain is not None]
    return Baseline(pain=float(statistics.median(pains)), readings=earlier)


def _label(dose: Mapping[str, Any], dosing: str) -> str:
    return dose_label(dose, dosing=dosing)


def _swap(version: Version) -> dict[str, Any]:
    return {"exercise": version.id, "exercise_name": version.name, "dose": version.dose()}


def lower_dose(item: ItemDose) -> dict[str, Any] | None:
    """A lower dose of the same exercise, or None when it is already the least."""
    dose = item.dose()
    if item.sets > 1:
        dose["sets"] = item.sets - 1
    elif item.reps is not None and item.reps > 1:
        dose["reps"] = max(1, item.reps - max(1, round(item.reps / 3)))
    elif item.hold_seconds is not None and item.hold_seconds > HOLD_STEP:
        dose["hold_seconds"] = max(
            HOLD_STEP, item.hold_seconds - max(HOLD_STEP, item.hold_seconds // 3)
        )
    elif item.duration_seconds is not None and item.duration_seconds > 60:
        dose["duration_seconds"] = max(60, item.duration_seconds * 2 // 3)
    else:
        return None
    return dose


def more_volume(item: ItemDose) -> dict[str, Any] | None:
    """A set more (up to MAX_SETS_ADDED_TO), else more hold time (up to HOLD_CAP), else None."""
    dose = item.dose()
    if item.sets < MAX_SETS_ADDED_TO:
        dose["sets"] = item.sets + 1
    elif item.hold_seconds is not None and item.hold_seconds < HOLD_CAP:
        dose["hold_seconds"] = min(HOLD_CAP, item.hold_seconds + HOLD_STEP)
    else:
        return None
    return dose


def _same_exercise(item: ItemDose, dose: dict[str, Any]) -> dict[str, Any]:
    return {"exercise": item.exercise_id, "exercise_name": item.exercise_name, "dose": dose}


# --- the rules --------------------------------------------------------------------------------


def too_easy(item: ItemDose, readings: Sequence[Reading]) -> Finding | None:
    run = tuple(readings[-TOO_EASY_RUN:])
    if len(run) < TOO_EASY_RUN or item.harder is None:
        return None
    if any(r.feedback != FEEDBACK_TOO_EASY for r in run):
        return None
    pains = [r.pain_level for r in run]
    known = [p for p in pains if p is not None]
    if len(known) < len(pains) or any(p > known[0] for p in known[1:]):
        return None  # pain unknown or rising: not a time to progress
    harder = item.harder
    summary = (
        f"{item.exercise_name}: rated too easy in the last {TOO_EASY_RUN} sessions with pain "
        f"not rising. Suggest {harder.name} ({_label(harder.dose(), harder.dosing)})."
    )
    return Finding(
        rule=TOO_EASY, trigger="too_easy_run", summary=summary, proposal=_swap(harder), readings=run
    )


def ease_off(item: ItemDose, readings: Sequence[Reading]) -> Finding | None:
    if not readings:
        return None
    run = tuple(readings[-TOO_HARD_RUN:])
    base = baseline(readings)
    latest = readings[-1]
    if len(run) == TOO_HARD_RUN and all(r.feedback == FEEDBACK_TOO_HARD for r in run):
        trigger, why, evidence = (
            "too_hard_run",
            f"rated too hard in the last {TOO_HARD_RUN} sessions",
            run,
        )
    elif base is not None and latest.pain is not None and latest.pain >= base.pain + PAIN_RISE:
        trigger = "pain_above_baseline"
        why = f"pain {latest.pain}/10 on {latest.day.isoformat()}, usual {base.pain:g}/10"
        evidence = (latest,)
    else:
        return None
    if item.easier is not None:
        proposal = _swap(item.easier)
        what = f"{item.easier.name} ({_label(item.easier.dose(), item.easier.dosing)})"
    else:
        dose = lower_dose(item)
        if dose is None:
            return None
        proposal = _same_exercise(item, dose)
        what = f"a lower dose ({_label(dose, item.dosing)})"
    return Finding(
        rule=EASE_OFF,
        trigger=trigger,
        summary=f"{item.exercise_name}: {why}. Suggest {what}.",
        proposal=proposal,
        readings=evidence,
        baseline=base.as_dict() if base is not None and trigger == "pain_above_baseline" else None,
    )


def _at_top(item: ItemDose, reading: Reading) -> bool:
    return (
        reading.status == ENTRY_DONE
        and reading.reps_done is not None
        and item.reps is not None
        and reading.reps_done >= item.reps
        and (reading.sets_done or 0) >= item.sets
    )


def _two_weeks_at_top(item: ItemDose, readings: Sequence[Reading]) -> tuple[Reading, ...] | None:
    latest = readings[-1].day
    window = tuple(r for r in readings if r.day > latest - timedelta(days=TOP_WINDOW_DAYS))
    first_week = [r for r in window if r.day <= latest - timedelta(days=7)]
    second_week = [r for r in window if r.day > latest - timedelta(days=7)]
    if len(first_week) < TOP_MIN_PER_WEEK or len(second_week) < TOP_MIN_PER_WEEK:
        return None
    if not all(_at_top(item, r) and r.feedback != FEEDBACK_TOO_HARD for r in window):
        return None
    first, last = window[0].pain_level, window[-1].pain_level
    if first is None or last is None or last > first:
        return None
    return window


def _two_for_two(item: ItemDose, readings: Sequence[Reading]) -> tuple[Reading, ...] | None:
    run = tuple(readings[-TWO_FOR_TWO_RUN:])
    if len(run) < TWO_FOR_TWO_RUN or item.reps is None:
        return None
    target = item.reps + TWO_FOR_TWO_EXTRA
    if all(r.status == ENTRY_DONE and (r.reps_done or 0) >= target for r in run):
        return run
    return None


def top_of_dose(item: ItemDose, readings: Sequence[Reading]) -> Finding | None:
    if item.reps is None or not readings:
        return None
    dose = more_volume(item)
    if dose is None:
        return None
    run = _two_for_two(item, readings)
    if run is not None:
        trigger = "two_for_two"
        why = f"{TWO_FOR_TWO_EXTRA} or more reps beyond {item.reps} in the last {len(run)} sessions"
    else:
        run = _two_weeks_at_top(item, readings)
        if run is None:
            return None
        trigger = "two_weeks_at_top"
        why = f"the full dose done in every one of {len(run)} sessions over two weeks"
    return Finding(
        rule=TOP_OF_DOSE,
        trigger=trigger,
        summary=f"{item.exercise_name}: {why}. Suggest {_label(dose, item.dosing)}.",
        proposal=_same_exercise(item, dose),
        readings=run,
    )


RULES = {TOO_EASY: too_easy, EASE_OFF: ease_off, TOP_OF_DOSE: top_of_dose}


def evaluate(
    item: ItemDose,
    readings: Sequence[Reading],
    *,
    after: Mapping[str, datetime] | None = None,
) -> list[Finding]:
    """Every rule over the item's readings (oldest first): each reads only the readings logged
    after `after[rule]` (a dismissed suggestion's newest session), when given."""
    after = after or {}
    findings = []
    for rule, check in RULES.items():
        cut = after.get(rule)
        mine = [r for r in readings if cut is None or r.at > cut]
        found = check(item, mine)
        if found is not None:
            findings.append(found)
    return findings
