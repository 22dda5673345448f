"""The walking tolerance and leg symptom rules, worked by hand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from members.rules import walking as rules
from members.rules.walking import WalkPoint

TODAY = date(2026, 3, 18)  # a Wednesday


def walks(*pairs: tuple[int, int]) -> list[WalkPoint]:
    """(days back, minutes to symptoms) pairs."""
    return [WalkPoint(date=TODAY - timedelta(days=back), tolerance=m) for back, m in pairs]


# --- the two-week fall by half ------------------------------------------------------------------


def test_a_fall_to_exactly_half_raises() -> None:
    # Days 8-14 back: 10, 12, 14 -> median 12. Last 7 days: 5, 6, 8 -> median 6 = 12 / 2.
    found = rules.tolerance_drop(
        walks((8, 10), (10, 12), (13, 14), (0, 5), (3, 6), (6, 8)), today=TODAY
    )
    assert found == {
        "median_last_7_days": 6.0,
        "median_days_8_14": 12.0,
        "walks_last_7_days": 3,
        "walks_days_8_14": 3,
        "date": "2026-03-18",
    }


def test_a_fall_to_just_over_half_does_not() -> None:
    # Medians 12 before and 7 now: 7 > 6.
    assert rules.tolerance_drop(walks((8, 12), (9, 12), (0, 7), (1, 7)), today=TODAY) is None


def test_even_counts_take_the_mean_of_the_middle_two() -> None:
    # Before: 9, 11 -> 10. Now: 4, 6 -> 5 = 10 / 2.
    found = rules.tolerance_drop(walks((7, 9), (13, 11), (0, 4), (2, 6)), today=TODAY)
    assert found is not None
    assert (found["median_days_8_14"], found["median_last_7_days"]) == (10.0, 5.0)


def test_windows_are_7_days_each_and_day_14_back_is_the_last_counted() -> None:
    # Day 14 back is outside (the windows are days 0-6 and 7-13): one walk before is too few.
    assert rules.tolerance_drop(walks((14, 20), (7, 20), (0, 2), (1, 2)), today=TODAY) is None
    assert rules.tolerance_drop(walks((13, 20), (7, 20), (0, 2), (1, 2)), today=TODAY) is not None


def test_one_walk_in_a_window_is_too_few() -> None:
    assert rules.tolerance_drop(walks((8, 20), (9, 20), (0, 2)), today=TODAY) is None
    assert rules.tolerance_drop(walks((8, 20), (0, 2), (1, 2)), today=TODAY) is None


def test_walks_after_today_are_not_counted() -> None:
    future = [WalkPoint(date=TODAY + timedelta(days=1), tolerance=0)]
    assert (
        rules.tolerance_drop(walks((8, 10), (9, 10), (0, 6), (1, 6)) + future, today=TODAY) is None
    )


def test_no_tolerance_before_cannot_halve() -> None:
    assert rules.tolerance_drop(walks((8, 0), (9, 0), (0, 0), (1, 0)), today=TODAY) is None


# --- weekly medians and the trend ---------------------------------------------------------------


def test_weekly_medians_and_a_rising_trend() -> None:
    monday = date(2026, 3, 2)
    points = [
        WalkPoint(monday, 4),
        WalkPoint(monday + timedelta(days=2), 6),
        WalkPoint(monday + timedelta(days=4), 5),  # week 1: 4, 5, 6 -> 5
        WalkPoint(monday + timedelta(days=8), 8),  # week 2: 8
        WalkPoint(monday + timedelta(days=14), 9),
        WalkPoint(monday + timedelta(days=20), 13),  # week 3: 9, 13 -> 11
    ]
    weeks = rules.weekly_medians(points)
    assert [(w["week"], w["median"], w["walks"]) for w in weeks] == [
        (monday, 5.0, 3),
        (monday + timedelta(weeks=1), 8.0, 1),
        (monday + timedelta(weeks=2), 11.0, 2),
    ]
    # x = 0, 1, 2; y = 5, 8, 11: slope 3 minutes a week, the line through the points.
    assert rules.slope(weeks) == 3.0
    assert rules.trend(weeks) == "up"
    assert rules.trend_line(weeks) == [5.0, 8.0, 11.0]


def test_a_week_without_walks_is_left_out_not_zero() -> None:
    monday = date(2026, 3, 2)
    weeks: list[dict[str, Any]] = [
        {"week": monday, "median": 10.0, "walks": 2},
        {"week": monday + timedelta(weeks=1), "median": None, "walks": 0},
        {"week": monday + timedelta(weeks=2), "median": 6.0, "walks": 2},
    ]
    # x = 0 and 2: slope (6 - 10) / 2 = -2.
    assert rules.slope(weeks) == -2.0
    assert rules.trend(weeks) == "down"
    assert rules.trend_line(weeks) == [10.0, 8.0, 6.0]


def test_small_changes_are_steady_and_one_week_has_no_trend() -> None:
    monday = date(2026, 3, 2)
    weeks: list[dict[str, Any]] = [
        {"week": monday, "median": 10.0, "walks": 2},
        {"week": monday + timedelta(weeks=1), "median": 10.4, "walks": 2},
    ]
    assert rules.trend(weeks) == "steady"  # 0.4 a week < 0.5
    assert rules.trend(weeks[:1]) is None
    assert rules.trend_line(weeks[:1]) == [None]


# --- leg symptoms -----------------------------------------------------------------------------

NONE = {"numbness": "none", "tingling": "none", "weakness": "none"}


def test_weakness_new_since_last_check_in_is_an_alarm() -> None:
    now = NONE | {"weakness": "left", "weakness_change": "same"}
    found = rules.weakness_alarm(now, NONE)
    assert found is not None and found["new"] is True


def test_weakness_on_more_sides_or_said_worse_is_an_alarm() -> None:
    before = NONE | {"weakness": "left", "weakness_change": "same"}
    assert rules.weakness_alarm(NONE | {"weakness": "both", "weakness_change": "same"}, before)
    assert rules.weakness_alarm(NONE | {"weakness": "left", "weakness_change": "worse"}, before)


def test_steady_or_better_weakness_is_not() -> None:
    before = NONE | {"weakness": "both", "weakness_change": "same"}
    assert (
        rules.weakness_alarm(NONE | {"weakness": "both", "weakness_change": "same"}, before) is None
    )
    assert (
        rules.weakness_alarm(NONE | {"weakness": "left", "weakness_change": "better"}, before)
        is None
    )
    assert rules.weakness_alarm(NONE, before) is None


def test_first_check_in_only_the_members_worse_counts() -> None:
    assert (
        rules.weakness_alarm(NONE | {"weakness": "right", "weakness_change": "same"}, None) is None
    )
    assert rules.weakness_alarm(NONE | {"weakness": "right", "weakness_change": "worse"}, None)


def test_numbness_spreading() -> None:
    left = NONE | {"numbness": "left", "numbness_change": "same"}
    both = NONE | {"numbness": "both", "numbness_change": "same"}
    assert rules.numbness_spreading(both, left) is not None  # 2 sides > 1
    assert rules.numbness_spreading(left, NONE) is not None  # 1 side > 0
    assert (
        rules.numbness_spreading(NONE | {"numbness": "right", "numbness_change": "same"}, left)
        is None
    )
    assert rules.numbness_spreading(left, both) is None
    assert rules.numbness_spreading(NONE | {"numbness": "left", "numbness_change": "worse"}, left)


def test_worse_two_check_ins_running() -> None:
    worse_tingling = NONE | {"tingling": "left", "tingling_change": "worse"}
    worse_numbness = NONE | {"numbness": "both", "numbness_change": "worse"}
    same = NONE | {"tingling": "left", "tingling_change": "same"}
    assert rules.worse_twice_running(worse_numbness, worse_tingling) == {
        "worse_now": ["numbness"],
        "worse_before": ["tingling"],
    }
    assert rules.worse_twice_running(worse_numbness, same) is None
    assert rules.worse_twice_running(same, worse_tingling) is None
    assert rules.worse_twice_running(worse_numbness, None) is None
