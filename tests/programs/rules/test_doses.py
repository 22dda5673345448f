"""The one dose label: every dosing kind and side, worded by hand."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from programs.rules.doses import days_words, dose_label, dose_parts, duration_words, times_a_day


def dose(**given: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sets": 1,
        "reps": None,
        "hold_seconds": None,
        "duration_seconds": None,
        "rest_seconds": None,
        "side": "both",
        "times_per_day": 1,
    }
    return {**base, **given}


@pytest.mark.parametrize(
    ("dosing", "given", "label"),
    [
        # repetitions
        ("reps", {"reps": 10}, "10 reps"),
        ("reps", {"sets": 3, "reps": 12}, "3 sets of 12 reps"),
        ("reps", {"sets": 2, "reps": 1}, "2 sets of 1 rep"),
        # repetitions with a hold
        ("reps_hold", {"reps": 10, "hold_seconds": 5}, "10 reps, hold 5 s each"),
        (
            "reps_hold",
            {"sets": 3, "reps": 12, "hold_seconds": 3},
            "3 sets of 12 reps, hold 3 s each",
        ),
        # timed holds: in holds, never "sets"
        ("hold", {"hold_seconds": 60}, "hold 1 min"),
        ("hold", {"sets": 3, "hold_seconds": 30}, "3 holds of 30 s"),
        ("hold", {"sets": 2, "hold_seconds": 90}, "2 holds of 1 min 30 s"),
        # duration: in minutes, never "sets"
        ("duration", {"duration_seconds": 900}, "15 min"),
        ("duration", {"sets": 2, "duration_seconds": 600}, "2 bouts of 10 min"),
        ("duration", {"duration_seconds": 45}, "45 s"),
        # distance (no dosing kind carries it yet; worded when a dose does)
        ("distance", {"distance_m": 400}, "400 m"),
        ("distance", {"sets": 2, "distance_m": 1500}, "2 bouts of 1.5 km"),
    ],
)
def test_each_dosing_kind(dosing: str, given: dict[str, Any], label: str) -> None:
    assert dose_label(dose(**given), dosing=dosing) == label
    # The dosing kind may come with the dose (the exercise's default dose carries it).
    assert dose_label({**dose(**given), "dosing": dosing}) == label


@pytest.mark.parametrize(
    ("side", "label"),
    [
        ("both", "3 holds of 30 s"),
        ("alternating", "3 holds of 30 s, each side, alternating"),
        ("left", "3 holds of 30 s, left side only"),
        ("right", "3 holds of 30 s, right side only"),
    ],
)
def test_each_side(side: str, label: str) -> None:
    assert dose_label(dose(sets=3, hold_seconds=30, side=side), dosing="hold") == label


@pytest.mark.parametrize(
    ("times", "label"),
    [
        (1, "10 reps, every day"),
        (2, "10 reps, every day, twice a day"),
        (3, "10 reps, every day, 3 times a day"),
    ],
)
def test_how_often_a_day_is_said_once(times: int, label: str) -> None:
    text = dose_label(dose(reps=10, times_per_day=times), dosing="reps", days=True)
    assert text == label
    assert text.count("a day") == (0 if times == 1 else 1)


def test_without_a_dosing_kind_the_numbers_tell() -> None:
    assert dose_label(dose(duration_seconds=900)) == "15 min"
    assert dose_label(dose(sets=3, hold_seconds=30)) == "3 holds of 30 s"
    assert dose_label(dose(reps=8, hold_seconds=2)) == "8 reps, hold 2 s each"
    # A dosing kind whose number is missing does not print "1 sets".
    assert dose_label(dose(duration_seconds=900), dosing="reps") == "15 min"
    assert dose_label(dose(sets=2)) == "2 sets"
    # A hold given with repetitions is said, whatever the exercise's kind.
    assert dose_label(dose(reps=10, hold_seconds=3), dosing="reps") == "10 reps, hold 3 s each"


def test_details_and_days_for_my_plan_and_the_handout() -> None:
    item = SimpleNamespace(
        sets=3,
        reps=12,
        hold_seconds=None,
        duration_seconds=None,
        rest_seconds=60,
        side="alternating",
        load="red band",
        target_rpe=6,
        times_per_day=2,
        days_mask=0b0010101,  # Mon, Wed, Fri
    )
    assert dose_parts(item, dosing="reps", details=True, days=True) == [
        "3 sets of 12 reps",
        "each side, alternating",
        "rest 1 min between sets",
        "red band",
        "effort about 6 out of 10",
        "Mon, Wed, Fri",
        "twice a day",
    ]


def test_small_words() -> None:
    assert [duration_words(s) for s in (30, 60, 75, 1200)] == [
        "30 s",
        "1 min",
        "1 min 15 s",
        "20 min",
    ]
    assert [times_a_day(n) for n in (None, 1, 2, 4)] == ["", "", "twice a day", "4 times a day"]
    assert days_words(range(7)) == "every day"
    assert days_words([4, 0]) == "Mon, Fri"
