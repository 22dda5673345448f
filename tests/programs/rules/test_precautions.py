"""The conflict table of CLINICAL.md ("Precautions a plan must respect"), worked by hand: each
member precaution against each exercise tag it touches, the pairs that must stay quiet, and the
library's tags for the exercises whose text already warned."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from programs.models import PrecautionTag
from programs.rules import precautions as rules

LIBRARY = Path(__file__).resolve().parents[3] / "fixtures" / "library" / "exercises.json"

# (member code, exercise tag) -> conflicts (True) or not (False), written out pair by pair.
TABLE = [
    ("lumbar_spinal_stenosis", "extension", True),
    ("lumbar_spinal_stenosis", "loaded_spinal_flexion", False),
    ("lumbar_spinal_stenosis", "prone_lying", False),
    ("lumbar_spinal_stenosis", "hip_flexion_past_90_adduction", False),
    ("osteoporosis", "loaded_spinal_flexion", True),
    ("osteoporosis", "end_range_rotation", True),
    ("osteoporosis", "impact", True),
    ("osteoporosis", "extension", False),
    ("osteoporosis", "hip_flexion_past_90_adduction", False),
    ("hip_replacement_posterior", "hip_flexion_past_90_adduction", True),
    ("hip_replacement_posterior", "loaded_spinal_flexion", False),
    ("hip_replacement_posterior", "extension", False),
    ("recent_spinal_surgery", "loaded_spinal_flexion", True),
    ("recent_spinal_surgery", "end_range_rotation", True),
    ("recent_spinal_surgery", "extension", True),
    ("recent_spinal_surgery", "impact", True),
    ("recent_spinal_surgery", "hip_flexion_past_90_adduction", False),
    ("pregnancy", "prone_lying", True),
    ("pregnancy", "supine_held_long", True),
    ("osteoporosis", "supine_held_long", False),
    ("pregnancy", "extension", False),
    ("pregnancy", "loaded_spinal_flexion", False),
]


@pytest.mark.parametrize(("precaution", "tag", "expected"), TABLE)
def test_each_pair_of_the_table(precaution: str, tag: str, expected: bool) -> None:
    found = rules.conflicts(member={precaution}, exercise_name="Some exercise", tags={tag})
    assert bool(found) is expected
    if expected:
        (conflict,) = found
        assert (conflict.precaution, conflict.tag) == (precaution, tag)


def test_the_message_names_the_exercise_and_the_members_precaution() -> None:
    (conflict,) = rules.conflicts(
        member={"osteoporosis"}, exercise_name="Child's pose", tags={"loaded_spinal_flexion"}
    )
    assert conflict.message.startswith("Child's pose loads the spine in flexion")
    assert "the member has osteoporosis" in conflict.message
    (conflict,) = rules.conflicts(
        member={"hip_replacement_posterior"},
        exercise_name="Figure-4 piriformis stretch",
        tags={"hip_flexion_past_90_adduction"},
    )
    assert "Figure-4 piriformis stretch" in conflict.message
    assert "posterior-approach hip replacement" in conflict.message
    assert "90 degrees" in conflict.message


def test_every_conflict_of_a_member_with_several_precautions() -> None:
    # Surgery and osteoporosis both touch loaded flexion: two warnings, one per precaution.
    found = rules.conflicts(
        member={"osteoporosis", "recent_spinal_surgery"},
        exercise_name="Seated lumbar flexion",
        tags={"loaded_spinal_flexion"},
    )
    assert [(c.precaution, c.tag) for c in found] == [
        ("osteoporosis", "loaded_spinal_flexion"),
        ("recent_spinal_surgery", "loaded_spinal_flexion"),
    ]


def test_member_codes_read_the_main_condition_the_list_and_the_precautions() -> None:
    assert rules.member_codes(
        condition="lumbar_spinal_stenosis", conditions=[], precautions=[]
    ) == {"lumbar_spinal_stenosis"}
    assert rules.member_codes(
        condition="other", conditions=["low_back_pain", "lumbar_spinal_stenosis"], precautions=[]
    ) == {"lumbar_spinal_stenosis"}
    assert rules.member_codes(
        condition="hip", conditions=["hip"], precautions=["pregnancy", "osteoporosis"]
    ) == {"pregnancy", "osteoporosis"}
    assert rules.member_codes(condition="low_back_pain", conditions=[], precautions=[]) == set()


def test_an_extension_biased_exercise_without_tags_counts_as_extension() -> None:
    assert rules.exercise_tags(tags=[], movement_bias="extension") == {"extension"}
    assert rules.exercise_tags(tags=["prone_lying"], movement_bias="neutral") == {"prone_lying"}
    assert rules.exercise_tags(tags=["unknown"], movement_bias="flexion") == set()


def test_warnings_per_item_name_the_field_and_both_sides() -> None:
    member = SimpleNamespace(
        condition="lumbar_spinal_stenosis", conditions=[], precautions=["pregnancy"]
    )
    press_up = SimpleNamespace(
        name="Prone press-up", movement_bias="extension", precaution_tags=["prone_lying"]
    )
    bridge = SimpleNamespace(
        name="Glute bridge", movement_bias="neutral", precaution_tags=["extension"]
    )
    clam = SimpleNamespace(name="Clamshell", movement_bias="neutral", precaution_tags=[])
    items = [SimpleNamespace(exercise=e) for e in (clam, press_up, bridge)]
    warnings = rules.warnings(member=member, items=items)
    assert [(w["field"], w["precaution"], w["exercise_precaution"]) for w in warnings] == [
        ("items[1].exercise", "lumbar_spinal_stenosis", "extension"),
        ("items[1].exercise", "pregnancy", "prone_lying"),
        ("items[2].exercise", "lumbar_spinal_stenosis", "extension"),
    ]
    assert all(w["code"] == "precaution_conflict" for w in warnings)
    quiet = SimpleNamespace(condition="low_back_pain", conditions=[], precautions=[])
    assert rules.warnings(member=quiet, items=items) == []


def test_the_rule_knows_every_tag_of_the_model() -> None:
    assert set(rules.TAG_LABELS) == {*PrecautionTag.values, rules.SUPINE_HELD_LONG}


@pytest.mark.parametrize(
    ("position", "hold", "duration", "expected"),
    [
        ("supine", 30, None, True),  # 3 x 30 s knee-to-chest: held long
        ("supine", 29, None, False),
        ("supine", None, 600, True),
        ("supine", 3, None, False),  # 10 x 3 s bridges: short holds
        ("seated", 60, None, False),
        ("prone", 60, None, False),  # prone lying is its own tag
    ],
)
def test_lying_on_the_back_held_long_is_read_from_the_item(
    position: str, hold: int | None, duration: int | None, expected: bool
) -> None:
    tags = rules.exercise_tags(
        tags=[],
        movement_bias="neutral",
        position=position,
        hold_seconds=hold,
        duration_seconds=duration,
    )
    assert (rules.SUPINE_HELD_LONG in tags) is expected


def test_pregnancy_warns_on_a_long_supine_hold_of_the_item_not_the_exercise() -> None:
    member = SimpleNamespace(condition="other", conditions=[], precautions=["pregnancy"])
    stretch = SimpleNamespace(
        name="Single knee-to-chest", movement_bias="flexion", precaution_tags=[], position="supine"
    )
    long_hold = SimpleNamespace(exercise=stretch, hold_seconds=30, duration_seconds=None)
    short_hold = SimpleNamespace(exercise=stretch, hold_seconds=10, duration_seconds=None)
    (warning,) = rules.warnings(member=member, items=[short_hold, long_hold])
    assert warning["field"] == "items[1].exercise"
    assert (warning["precaution"], warning["exercise_precaution"]) == (
        "pregnancy",
        "supine_held_long",
    )
    assert warning["message"] == (
        "Single knee-to-chest is held lying on the back for 30 seconds or more, and the member "
        "is pregnant: after the first trimester, lying flat on the back for long is to be "
        "avoided: shorten the holds or choose another position."
    )


EXPECTED_LIBRARY_TAGS = {
    # Tagged "neutral" before, with text that already warned of extension.
    "glute-bridge": {"extension"},
    "single-leg-bridge": {"extension"},
    "bird-dog": {"extension"},
    "half-kneeling-hip-flexor-stretch": {"extension"},
    "foam-roller-thoracic-extension": {"extension"},
    # The rows of the CLINICAL.md table.
    "standing-extension-test": {"extension"},
    "prone-press-up": {"extension", "prone_lying"},
    "standing-hip-extension": {"extension"},
    "seated-lumbar-flexion": {"loaded_spinal_flexion"},
    "standing-lumbar-flexion": {"loaded_spinal_flexion"},
    "childs-pose": {"loaded_spinal_flexion", "hip_flexion_past_90_adduction"},
    "double-knee-to-chest": {"loaded_spinal_flexion", "hip_flexion_past_90_adduction"},
    "knee-to-opposite-shoulder": {"hip_flexion_past_90_adduction"},
    "figure-4-piriformis-stretch": {"hip_flexion_past_90_adduction"},
    "sit-to-stand": {"hip_flexion_past_90_adduction"},
}


def test_the_library_tags_the_exercises_the_table_names() -> None:
    exercises = {e["slug"]: e for e in json.loads(LIBRARY.read_text())["exercises"]}
    for slug, tags in EXPECTED_LIBRARY_TAGS.items():
        assert set(exercises[slug]["precaution_tags"]) == tags, slug
    for exercise in exercises.values():
        assert set(exercise["precaution_tags"]) <= set(PrecautionTag.values), exercise["slug"]
