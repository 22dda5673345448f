"""Precautions a plan must respect: the member's precautions against the exercise's tags.

A pure rule (no database): the table of shared/domain/CLINICAL.md, "Precautions a plan must
respect". The member's side is a set of codes (members.Precaution, and the condition
lumbar_spinal_stenosis); the exercise's side is its PrecautionTag codes, plus `extension` for an
exercise whose movement bias is extension (an organization's own exercise may carry no tags), and
`supine_held_long` read from the item's dose (lying on the back with holds of 30 s or more: the
table's "supine exercises held long" in pregnancy). Every conflict names both, so the PT reads
why; a PT may keep the exercise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# The member's side (codes of members.Condition and members.Precaution).
STENOSIS = "lumbar_spinal_stenosis"
OSTEOPOROSIS = "osteoporosis"
HIP_REPLACEMENT_POSTERIOR = "hip_replacement_posterior"
RECENT_SPINAL_SURGERY = "recent_spinal_surgery"
PREGNANCY = "pregnancy"

# The exercise's side (codes of programs.models.PrecautionTag).
EXTENSION = "extension"
LOADED_SPINAL_FLEXION = "loaded_spinal_flexion"
HIP_FLEXION_PAST_90_ADDUCTION = "hip_flexion_past_90_adduction"
END_RANGE_ROTATION = "end_range_rotation"
PRONE_LYING = "prone_lying"
IMPACT = "impact"
# Not a tag of the library: read from the item (an exercise lying on the back, held long).
SUPINE_HELD_LONG = "supine_held_long"
# "Held long": a hold or a bout of this many seconds or more, lying on the back.
SUPINE_LONG_SECONDS = 30

MEMBER_LABELS = {
    STENOSIS: "has lumbar spinal stenosis",
    OSTEOPOROSIS: "has osteoporosis",
    HIP_REPLACEMENT_POSTERIOR: "has had a posterior-approach hip replacement",
    RECENT_SPINAL_SURGERY: "has had recent spinal surgery",
    PREGNANCY: "is pregnant",
}
TAG_LABELS = {
    EXTENSION: "bends the low back backwards (extension)",
    LOADED_SPINAL_FLEXION: "loads the spine in flexion or takes it to the end of its bend",
    HIP_FLEXION_PAST_90_ADDUCTION: (
        "bends the hip past 90 degrees or brings the knee across the midline"
    ),
    END_RANGE_ROTATION: "twists the trunk to the end of its range or under load",
    PRONE_LYING: "is done lying face down",
    IMPACT: "is high impact",
    SUPINE_HELD_LONG: f"is held lying on the back for {SUPINE_LONG_SECONDS} seconds or more",
}

# (member's code, exercise tag) -> what to avoid or limit, in the PT's words.
CONFLICTS: dict[tuple[str, str], str] = {
    (STENOSIS, EXTENSION): (
        "sustained or repeated lumbar extension often brings on stenosis symptoms; keep it only "
        "if a trial shows symptoms settle"
    ),
    (OSTEOPOROSIS, LOADED_SPINAL_FLEXION): (
        "loaded or end-range spinal flexion is to be avoided with low bone density; prefer "
        "neutral-spine strength and balance"
    ),
    (OSTEOPOROSIS, END_RANGE_ROTATION): (
        "twisting under load is to be avoided with low bone density"
    ),
    (OSTEOPOROSIS, IMPACT): "high impact is to be avoided with low bone density",
    (HIP_REPLACEMENT_POSTERIOR, HIP_FLEXION_PAST_90_ADDUCTION): (
        "after a posterior-approach hip replacement, avoid hip flexion past 90 degrees, crossing "
        "the midline and turning the knee in, usually for the first 6-12 weeks or as the surgeon "
        "says"
    ),
    (RECENT_SPINAL_SURGERY, LOADED_SPINAL_FLEXION): (
        "after spinal surgery, bending under load is usually restricted: check the surgeon's "
        "restrictions"
    ),
    (RECENT_SPINAL_SURGERY, END_RANGE_ROTATION): (
        "after spinal surgery, twisting is usually restricted: check the surgeon's restrictions"
    ),
    (RECENT_SPINAL_SURGERY, EXTENSION): (
        "after spinal surgery, end-range movement of the spine is usually restricted: check the "
        "surgeon's restrictions"
    ),
    (RECENT_SPINAL_SURGERY, IMPACT): (
        "after spinal surgery, loaded and impact work waits until the surgeon clears it"
    ),
    (PREGNANCY, PRONE_LYING): "after the first trimester, lying face down is to be avoided",
    (PREGNANCY, SUPINE_HELD_LONG): (
        "after the first trimester, lying flat on the back for long is to be avoided: shorten "
        "the holds or choose another position"
    ),
}
MEMBER_CODES = frozenset(MEMBER_LABELS)


@dataclass(frozen=True)
class Conflict:
    """One member precaution against one exercise tag."""

    precaution: str
    tag: str
    exercise: str
    advice: str

    @property
    def message(self) -> str:
        return (
            f"{self.exercise} {TAG_LABELS[self.tag]}, and the member "
            f"{MEMBER_LABELS[self.precaution]}: {self.advice}."
        )


def member_codes(
    *, condition: str, conditions: Iterable[str], precautions: Iterable[str]
) -> set[str]:
    """The member's codes this rule reads: their precautions, and stenosis when it is their main
    condition or one of their conditions."""
    codes = {code for code in (condition, *conditions, *precautions) if code in MEMBER_CODES}
    return codes


def exercise_tags(
    *,
    tags: Iterable[str],
    movement_bias: str,
    position: str = "",
    hold_seconds: int | None = None,
    duration_seconds: int | None = None,
) -> set[str]:
    """An exercise's tags, with `extension` for one whose movement bias is extension, and
    `supine_held_long` for an item lying on the back with a long hold or bout."""
    found = {tag for tag in tags if tag in TAG_LABELS}
    if movement_bias == EXTENSION:
        found.add(EXTENSION)
    longest = max(hold_seconds or 0, duration_seconds or 0)
    if position == "supine" and longest >= SUPINE_LONG_SECONDS:
        found.add(SUPINE_HELD_LONG)
    return found


def conflicts(*, member: Iterable[str], exercise_name: str, tags: Iterable[str]) -> list[Conflict]:
    """Every (member precaution, exercise tag) pair of the table, in a stable order."""
    member_set, tag_set = set(member), set(tags)
    return [
        Conflict(precaution=precaution, tag=tag, exercise=exercise_name, advice=advice)
        for (precaution, tag), advice in CONFLICTS.items()
        if precaution in member_set and tag in tag_set
    ]


class _MemberLike(Protocol):
    condition: str
    conditions: Any
    precautions: Any


class _ExerciseLike(Protocol):
    name: str
    movement_bias: str
    precaution_tags: Any


class _ItemLike(Protocol):
    @property
    def exercise(self) -> Any: ...


def warnings(*, member: _MemberLike, items: Sequence[_ItemLike]) -> list[dict[str, Any]]:
    """The plan builder's and the API's warnings: one per conflict of an item, naming the
    member's precaution and the exercise (`field` is the item, as the other warnings)."""
    codes = member_codes(
        condition=member.condition,
        conditions=member.conditions or [],
        precautions=member.precautions or [],
    )
    if not codes:
        return []
    return [
        {
            "code": "precaution_conflict",
            "field": f"items[{index}].exercise",
            "message": conflict.message,
            "precaution": conflict.precaution,
            "exercise_precaution": conflict.tag,
        }
        for index, item in enumerate(items)
        for conflict in conflicts(
            member=codes,
            exercise_name=item.exercise.name,
            tags=exercise_tags(
                tags=item.exercise.precaution_tags or [],
                movement_bias=item.exercise.movement_bias,
                position=getattr(item.exercise, "position", ""),
                hold_seconds=getattr(item, "hold_seconds", None),
                duration_seconds=getattr(item, "duration_seconds", None),
            ),
        )
    ]
