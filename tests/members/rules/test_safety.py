"""members.rules.safety: the red flags send the member to emergency care the same day, the stop
rule is stated, and the advice after a session follows the PT's pain-spike rule exactly."""

from __future__ import annotations

import pytest

from members.rules import safety
from members.services.alerts import pain_spike


def test_the_red_flags_say_emergency_care_now_not_call_the_clinic() -> None:
    text = safety.red_flag_text()
    assert text.startswith("Get emergency care now if you have ")
    for sign in (
        "bladder or bowels",
        "groin or inner thighs",
        "leg weakness that is getting worse",
    ):
        assert sign in text
    assert "today" in text
    assert "clinician" not in text.lower()
    assert "call your clinic" not in text.lower()


def test_the_stop_rule() -> None:
    assert "makes your symptoms worse and they stay worse" in safety.STOP_RULE
    assert "discomfort" in safety.STOP_RULE


def test_the_pain_advice_says_what_to_do_and_that_the_pt_knows() -> None:
    words = " ".join(safety.PAIN_ADVICE.steps)
    assert "Stop exercising for today" in words
    assert "Your physical therapist has been told." in words
    assert "Get emergency care now" in words
    assert "Well done" not in words + safety.PAIN_ADVICE.title


@pytest.mark.parametrize(
    ("before", "after", "advised"),
    [
        (None, None, False),  # nothing said after: nothing to advise on
        (3, None, False),
        (0, 0, False),
        (3, 4, False),  # one point: within the day's ups and downs
        (2, 4, True),  # two points up
        (None, 6, False),
        (None, 7, True),  # 7 or more, whatever before was
        (7, 7, True),
        (9, 8, True),
        (5, 6, False),
    ],
)
def test_the_advice_follows_the_pain_spike_rule(
    before: int | None, after: int | None, advised: bool
) -> None:
    assert safety.needs_pain_advice(pain_before=before, pain_after=after) is advised
    assert (pain_spike(pain_before=before, pain_after=after) is not None) is advised


def test_the_page_hands_the_script_the_same_thresholds() -> None:
    assert (safety.PAIN_SPIKE_AFTER, safety.PAIN_SPIKE_RISE) == (7, 2)


def test_the_library_words_red_flags_as_emergencies_too() -> None:
    """A precaution that names a red flag sends the member to emergency care, as the pages do."""
    import json
    from pathlib import Path

    from django.conf import settings

    library = Path(settings.BASE_DIR) / "fixtures" / "library" / "exercises.json"
    lines = [
        line
        for exercise in json.loads(library.read_text())["exercises"]
        for line in exercise.get("precautions") or []
        if "bladder" in line.lower() or "saddle" in line.lower() or "groin" in line.lower()
    ]
    assert lines, "the walking program names the red flags"
    for line in lines:
        assert "emergency care now" in line, line
