"""Questionnaire scoring (NPRS, ODI, PSFS, ZCQ) and meaningful change: pure functions, no models.

The rules are those of shared/domain/CLINICAL.md. Answers are item numbers and scores only: the
item wording of ODI and ZCQ is licensed and never stored or shown here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeGuard

NPRS = "nprs"
ODI = "odi"
PSFS = "psfs"
ZCQ = "zcq"

NPRS_MAX = 10
ODI_SECTIONS = 10
ODI_SECTION_MAX = 5
ODI_MAX_MISSING = 2
PSFS_MIN_ACTIVITIES = 3
PSFS_MAX_ACTIVITIES = 5
PSFS_MAX = 10
PSFS_ACTIVITY_MAX_LENGTH = 120

ZCQ_SEVERITY_ITEMS = 7
ZCQ_FUNCTION_ITEMS = 5
ZCQ_SATISFACTION_ITEMS = 6
ZCQ_SEVERITY_MAX = 5
ZCQ_FUNCTION_MAX = 4
ZCQ_SATISFACTION_MAX = 4
# The 7th severity item (balance) has three answers, scored 1, 3 and 5.
ZCQ_BALANCE_ITEM = 7
ZCQ_BALANCE_SCORES = (1, 3, 5)
ZCQ_MAX_MISSING = {"severity": 2, "function": 1, "satisfaction": 1}
ZCQ_SATISFIED_AT_OR_BELOW = Decimal("2.5")

# Meaningful change (MCID) per instrument.
NPRS_MCID_POINTS = Decimal(2)
ODI_MCID_POINTS = Decimal(10)
MCID_PERCENT = Decimal(30)
PSFS_MCID_POINTS = Decimal(2)
ZCQ_SEVERITY_MCID = Decimal("0.36")

ODI_BANDS = (
    (Decimal(20), "minimal disability"),
    (Decimal(40), "moderate disability"),
    (Decimal(60), "severe disability"),
    (Decimal(80), "crippling back pain"),
    (Decimal(100), "bed-bound"),
)
NPRS_BANDS = ((0, "no pain"), (3, "mild pain"), (6, "moderate pain"), (10, "severe pain"))

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


class UnscorableAnswers(ValueError):
    """Answers that cannot be scored; each message names the item at fault."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True)
class MeaningfulChange:
    """What counts as a meaningful change for an instrument, in words and in numbers."""

    points: Decimal
    percent: Decimal | None
    lower_is_better: bool
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "points": float(self.points),
            "percent": float(self.percent) if self.percent is not None else None,
            "lower_is_better": self.lower_is_better,
            "description": self.description,
        }


@dataclass(frozen=True)
class Score:
    """A scored questionnaire: `score` is a number, or per subscale for ZCQ; `value` is the one
    figure charted and compared over time (ZCQ: the symptom severity mean)."""

    instrument: str
    answers: Any
    score: Any
    value: Decimal
    band: str
    interpretation: str
    meaningful_change: MeaningfulChange
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """The change from an earlier score to a later one, judged against the meaningful change."""

    previous: Decimal
    current: Decimal
    delta: Decimal
    threshold: Decimal
    direction: str  # "better", "worse" or "same"
    meaningful: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "previous_score": float(self.previous),
            "delta": float(self.delta),
            "threshold": float(self.threshold),
            "direction": self.direction,
            "meaningful": self.meaningful,
        }


def _is_int(value: Any) -> TypeGuard[int]:
    # bool is an int in Python; true/false in JSON is not a rating.
    return isinstance(value, int) and not isinstance(value, bool)


def _mean(values: Sequence[int], places: Decimal = TWO_PLACES) -> Decimal:
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(places, ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    """2.50 as "2.5", 3.00 as "3": how a person writes a mean."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- NPRS -----------------------------------------------------------------------------------


def nprs_threshold(baseline: Decimal) -> Decimal:
    """Points of change that matter from a baseline: 1 for 0-4, 2 for 5-7, 3 for 8-10.

    On a whole-number scale this is also the "2 points or 30%" rule rounded up to a whole
    point: 30% of 6 is 1.8, so 2 points; of 8, 2.4, so 3."""
    if baseline >= 8:
        return Decimal(3)
    if baseline >= 5:
        return Decimal(2)
    return Decimal(1)


NPRS_MEANINGFUL = MeaningfulChange(
    points=NPRS_MCID_POINTS,
    percent=MCID_PERCENT,
    lower_is_better=True,
    description=("2 points or 30%; from the baseline: 1 point for 1-4, 2 for 5-7, 3 for 8-10"),
)


def score_nprs(answers: Any) -> Score:
    if not isinstance(answers, list) or len(answers) != 1:
        raise UnscorableAnswers(["Give one pain rating as a list: [n], n from 0 to 10."])
    rating = answers[0]
    if not _is_int(rating) or not 0 <= rating <= NPRS_MAX:
        raise UnscorableAnswers(["The pain rating must be a whole number from 0 to 10."])
    band = next(label for upper, label in NPRS_BANDS if rating <= upper)
    return Score(
        instrument=NPRS,
        answers=[rating],
        score=rating,
        value=Decimal(rating),
        band=band,
        interpretation=f"Pain {rating} out of 10: {band}.",
        meaningful_change=NPRS_MEANINGFUL,
    )


# --- ODI ------------------------------------------------------------------------------------


def odi_band(percent: Decimal) -> str:
    return next(label for upper, label in ODI_BANDS if percent <= upper)


ODI_MEANINGFUL = MeaningfulChange(
    points=ODI_MCID_POINTS,
    percent=MCID_PERCENT,
    lower_is_better=True,
    description="10 points or 30% of the baseline",
)


def score_odi(answers: Any) -> Score:
    if not isinstance(answers, list) or len(answers) != ODI_SECTIONS:
        raise UnscorableAnswers(
            [f"Give {ODI_SECTIONS} section scores (0 to 5, or null for a skipped section)."]
        )
    errors = [
        f"Section {number}: choose 0 to 5, or null to skip it."
        for number, value in enumerate(answers, start=1)
        if value is not None and (not _is_int(value) or not 0 <= value <= ODI_SECTION_MAX)
    ]
    if errors:
        raise UnscorableAnswers(errors)
    answered = [value for value in answers if value is not None]
    missing = ODI_SECTIONS - len(answered)
    if missing > ODI_MAX_MISSING:
        raise UnscorableAnswers(
            [
                f"{missing} sections are unanswered; the index can be scored with at most "
                f"{ODI_MAX_MISSING} skipped."
            ]
        )
    total = sum(answered)
    possible = ODI_SECTION_MAX * len(answered)
    percent = (Decimal(total) * 100 / Decimal(possible)).quantize(ONE_PLACE, ROUND_HALF_UP)
    band = odi_band(percent)
    return Score(
        instrument=ODI,
        answers=list(answers),
        score=float(percent),
        value=percent,
        band=band,
        interpretation=f"{percent}% ({total} of {possible}): {band}.",
        meaningful_change=ODI_MEANINGFUL,
        extra={"total": total, "possible": possible, "answered": len(answered)},
    )


# --- PSFS -----------------------------------------------------------------------------------

PSFS_MEANINGFUL = MeaningfulChange(
    points=PSFS_MCID_POINTS,
    percent=None,
    lower_is_better=False,
    description="2 points on the mean (3 on a single activity)",
)


def score_psfs(answers: Any) -> Score:
    if not isinstance(answers, list) or not (
        PSFS_MIN_ACTIVITIES <= len(answers) <= PSFS_MAX_ACTIVITIES
    ):
        raise UnscorableAnswers(
            [
                f"Name {PSFS_MIN_ACTIVITIES} to {PSFS_MAX_ACTIVITIES} activities, each as "
                '{"activity": "...", "score": 0-10}.'
            ]
        )
    errors: list[str] = []
    cleaned: list[dict[str, Any]] = []
    for number, item in enumerate(answers, start=1):
        if not isinstance(item, dict) or set(item) - {"activity", "score"}:
            errors.append(f'Activity {number}: give only "activity" and "score".')
            continue
        activity = item.get("activity")
        rating = item.get("score")
        if not isinstance(activity, str) or not activity.strip():
            errors.append(f"Activity {number}: name the activity.")
        elif len(activity.strip()) > PSFS_ACTIVITY_MAX_LENGTH:
            errors.append(
                f"Activity {number}: keep the name under {PSFS_ACTIVITY_MAX_LENGTH} characters."
            )
        if not _is_int(rating) or not 0 <= rating <= PSFS_MAX:
            errors.append(f"Activity {number}: the score must be a whole number from 0 to 10.")
        if isinstance(activity, str):
            cleaned.append({"activity": activity.strip(), "score": rating})
    if errors:
        raise UnscorableAnswers(errors)
    mean = _mean([item["score"] for item in cleaned])
    return Score(
        instrument=PSFS,
        answers=cleaned,
        score=float(mean),
        value=mean,
        band="",
        interpretation=(
            f"Mean {_plain(mean)} of 10 over {len(cleaned)} activities (0 unable, 10 as before)."
        ),
        meaningful_change=PSFS_MEANINGFUL,
    )


# --- ZCQ ------------------------------------------------------------------------------------

ZCQ_MEANINGFUL = MeaningfulChange(
    points=ZCQ_SEVERITY_MCID,
    percent=None,
    lower_is_better=True,
    description="0.36 on the symptom severity mean",
)

_ZCQ_SUBSCALES = (
    ("severity", ZCQ_SEVERITY_ITEMS, ZCQ_SEVERITY_MAX, "Symptom severity"),
    ("function", ZCQ_FUNCTION_ITEMS, ZCQ_FUNCTION_MAX, "Physical function"),
    ("satisfaction", ZCQ_SATISFACTION_ITEMS, ZCQ_SATISFACTION_MAX, "Satisfaction"),
)


def _zcq_item_error(subscale: str, label: str, number: int, value: Any, top: int) -> str | None:
    if value is None:
        return None
    if subscale == "severity" and number == ZCQ_BALANCE_ITEM:
        if not _is_int(value) or value not in ZCQ_BALANCE_SCORES:
            return f"{label} item {number} (balance): choose 1, 3 or 5, or null."
        return None
    if not _is_int(value) or not 1 <= value <= top:
        return f"{label} item {number}: choose 1 to {top}, or null."
    return None


def score_zcq(answers: Any) -> Score:
    if not isinstance(answers, dict) or "severity" not in answers or "function" not in answers:
        raise UnscorableAnswers(
            [
                'Give {"severity": [7 items], "function": [5 items]} and, after treatment, '
                '"satisfaction": [6 items].'
            ]
        )
    unknown = set(answers) - {"severity", "function", "satisfaction"}
    if unknown:
        raise UnscorableAnswers([f"Unknown part: {', '.join(sorted(unknown))}."])
    errors: list[str] = []
    score: dict[str, Any] = {}
    means: dict[str, Decimal] = {}
    cleaned: dict[str, Any] = {}
    for subscale, count, top, label in _ZCQ_SUBSCALES:
        items = answers.get(subscale)
        if subscale == "satisfaction" and items is None:
            score[subscale] = None
            continue
        if not isinstance(items, list) or len(items) != count:
            errors.append(f"{label}: give {count} items (null for a skipped one).")
            continue
        item_errors = [
            error
            for number, value in enumerate(items, start=1)
            if (error := _zcq_item_error(subscale, label, number, value, top)) is not None
        ]
        if item_errors:
            errors.extend(item_errors)
            continue
        answered = [value for value in items if value is not None]
        missing = count - len(answered)
        if missing > ZCQ_MAX_MISSING[subscale]:
            errors.append(
                f"{label}: {missing} items unanswered; at most {ZCQ_MAX_MISSING[subscale]} "
                "may be skipped."
            )
            continue
        mean = means[subscale] = _mean(answered)
        cleaned[subscale] = list(items)
        score[subscale] = {
            "mean": float(mean),
            # From the exact mean, not the rounded one: 22/7 of 5 is 62.9%, not 62.8%.
            "percent": float(
                (Decimal(sum(answered)) * 100 / (len(answered) * top)).quantize(
                    ONE_PLACE, ROUND_HALF_UP
                )
            ),
            "answered": len(answered),
        }
    if errors:
        raise UnscorableAnswers(errors)
    severity = means["severity"]
    parts = [
        f"Symptom severity {_plain(severity)} of 5",
        f"physical function {_plain(means['function'])} of 4",
    ]
    band = ""
    if "satisfaction" in means:
        satisfaction = means["satisfaction"]
        band = (
            "at least somewhat satisfied"
            if satisfaction <= ZCQ_SATISFIED_AT_OR_BELOW
            else "not satisfied"
        )
        parts.append(f"satisfaction {_plain(satisfaction)} of 4 ({band})")
    return Score(
        instrument=ZCQ,
        answers=cleaned,
        score=score,
        value=severity,
        band=band,
        interpretation=", ".join(parts) + "; higher is worse.",
        meaningful_change=ZCQ_MEANINGFUL,
    )


# --- all instruments ------------------------------------------------------------------------

SCORERS = {NPRS: score_nprs, ODI: score_odi, PSFS: score_psfs, ZCQ: score_zcq}
MEANINGFUL = {
    NPRS: NPRS_MEANINGFUL,
    ODI: ODI_MEANINGFUL,
    PSFS: PSFS_MEANINGFUL,
    ZCQ: ZCQ_MEANINGFUL,
}


def score(instrument: str, answers: Any) -> Score:
    """Scores answers for an instrument; raises UnscorableAnswers naming the items at fault."""
    scorer = SCORERS.get(instrument)
    if scorer is None:
        raise ValueError(f"Unknown instrument {instrument!r}.")
    return scorer(answers)


def meaningful_threshold(instrument: str, baseline: Decimal) -> Decimal:
    """The size of change from `baseline` that counts as meaningful for an instrument."""
    if instrument == NPRS:
        return nprs_threshold(baseline)
    if instrument == ODI:
        if baseline > 0:
            percent = (baseline * MCID_PERCENT / 100).quantize(TWO_PLACES, ROUND_HALF_UP)
            return min(ODI_MCID_POINTS, percent)
        return ODI_MCID_POINTS
    return MEANINGFUL[instrument].points


def improvement_target(instrument: str, baseline: Decimal) -> Decimal:
    """The score that marks a meaningful improvement on `baseline` (the chart's target line)."""
    threshold = meaningful_threshold(instrument, baseline)
    if MEANINGFUL[instrument].lower_is_better:
        return baseline - threshold
    return baseline + threshold


def compare(instrument: str, previous: Decimal, current: Decimal) -> Change:
    """The change from `previous` to `current`, meaningful when it reaches the threshold."""
    delta = current - previous
    threshold = meaningful_threshold(instrument, previous)
    lower_is_better = MEANINGFUL[instrument].lower_is_better
    if delta == 0:
        direction = "same"
    elif (delta < 0) == lower_is_better:
        direction = "better"
    else:
        direction = "worse"
    return Change(
        previous=previous,
        current=current,
        delta=delta,
        threshold=threshold,
        direction=direction,
        meaningful=delta != 0 and abs(delta) >= threshold,
    )
