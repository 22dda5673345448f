"""Questionnaire scoring against hand-worked cases, and properties that hold for any answers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from members.rules import scoring
from members.rules.scoring import UnscorableAnswers, compare, improvement_target, score

# --- NPRS -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "band"),
    [
        (0, "no pain"),
        (3, "mild pain"),
        (4, "moderate pain"),
        (6, "moderate pain"),
        (7, "severe pain"),
        (10, "severe pain"),
    ],
)
def test_nprs_is_the_rating_with_its_band(rating: int, band: str) -> None:
    result = score("nprs", [rating])
    assert result.score == rating
    assert result.value == Decimal(rating)
    assert result.band == band


@pytest.mark.parametrize("answers", [[11], [-1], [True], ["5"], [5.5], [], [3, 4], 5, None])
def test_nprs_refuses_anything_but_one_whole_rating(answers: object) -> None:
    with pytest.raises(UnscorableAnswers):
        score("nprs", answers)


# --- ODI ------------------------------------------------------------------------------------


def test_odi_all_sections_16_of_50_is_32_percent() -> None:
    result = score("odi", [2, 2, 2, 2, 2, 1, 1, 1, 1, 2])
    assert result.score == 32.0
    assert result.value == Decimal("32.0")
    assert result.band == "moderate disability"
    assert result.extra == {"total": 16, "possible": 50, "answered": 10}


def test_odi_one_section_skipped_16_of_45_is_35_6_percent() -> None:
    result = score("odi", [2, 2, 2, 2, 2, 1, 1, None, 2, 2])
    assert result.score == 35.6
    assert result.extra["possible"] == 45


def test_odi_two_sections_skipped_still_scores() -> None:
    # 14 of 40 = 35.0%
    result = score("odi", [2, 2, 2, 2, 2, 1, 1, None, None, 2])
    assert result.score == 35.0


def test_odi_three_missing_is_unscorable_and_says_so() -> None:
    with pytest.raises(UnscorableAnswers) as caught:
        score("odi", [2, 2, 2, 2, 2, 1, 1, None, None, None])
    assert "3 sections are unanswered" in caught.value.messages[0]


def test_odi_rounds_half_up_to_one_decimal() -> None:
    # 1 of 45 = 2.222..% -> 2.2; 37 of 45 = 82.222..% -> 82.2 (bed-bound); 1 of 40 = 2.5%
    assert score("odi", [1, 0, 0, 0, 0, 0, 0, 0, 0, None]).score == 2.2
    assert score("odi", [1, 0, 0, 0, 0, 0, 0, 0, None, None]).score == 2.5
    assert score("odi", [5, 5, 5, 5, 5, 5, 5, 2, None, 0]).band == "bed-bound"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal disability"),
        (10, "minimal disability"),  # 20%
        (11, "moderate disability"),  # 22%
        (20, "moderate disability"),  # 40%
        (21, "severe disability"),
        (30, "severe disability"),  # 60%
        (31, "crippling back pain"),
        (40, "crippling back pain"),  # 80%
        (41, "bed-bound"),
        (50, "bed-bound"),
    ],
)
def test_odi_bands_at_their_edges(total: int, band: str) -> None:
    sections = [5] * (total // 5) + ([total % 5] if total % 5 else [])
    sections += [0] * (10 - len(sections))
    assert score("odi", sections).band == band


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ([6, 0, 0, 0, 0, 0, 0, 0, 0, 0], "Section 1"),
        ([0, 0, 0, -1, 0, 0, 0, 0, 0, 0], "Section 4"),
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, "2"], "Section 10"),
        ([0, 0, True, 0, 0, 0, 0, 0, 0, 0], "Section 3"),
    ],
)
def test_odi_bad_section_is_named(answers: list[object], named: str) -> None:
    with pytest.raises(UnscorableAnswers) as caught:
        score("odi", answers)
    assert any(named in m for m in caught.value.messages)


def test_odi_needs_ten_sections() -> None:
    with pytest.raises(UnscorableAnswers):
        score("odi", [1] * 9)
    with pytest.raises(UnscorableAnswers):
        score("odi", {"1": 2})


# --- PSFS -----------------------------------------------------------------------------------


def _psfs(*scores: int) -> list[dict[str, object]]:
    return [{"activity": f"activity {n}", "score": s} for n, s in enumerate(scores, start=1)]


def test_psfs_is_the_mean_of_three_to_five() -> None:
    assert score("psfs", _psfs(3, 4, 5)).score == 4.0
    assert score("psfs", _psfs(3, 4, 4)).score == 3.67  # 11/3
    assert score("psfs", _psfs(0, 10, 10, 10, 5)).score == 7.0


def test_psfs_trims_activity_names() -> None:
    result = score("psfs", [{"activity": "  walk the dog ", "score": 4}, *_psfs(1, 2)])
    assert result.answers[0] == {"activity": "walk the dog", "score": 4}


@pytest.mark.parametrize(
    "answers",
    [
        _psfs(3, 4),
        _psfs(1, 2, 3, 4, 5, 6),
        _psfs(3, 4, 11),
        [{"activity": "", "score": 3}, *_psfs(1, 2)],
        [{"activity": "walk", "score": 3, "note": "x"}, *_psfs(1, 2)],
        [{"activity": "walk"}, *_psfs(1, 2)],
    ],
)
def test_psfs_refuses_bad_lists(answers: object) -> None:
    with pytest.raises(UnscorableAnswers):
        score("psfs", answers)


# --- ZCQ ------------------------------------------------------------------------------------


def test_zcq_subscale_means_and_percent() -> None:
    result = score(
        "zcq",
        {"severity": [3, 3, 4, 3, 3, 3, 3], "function": [2, 2, 3, 2, 1]},
    )
    # severity 22/7 = 3.142.. -> 3.14, 62.9% of 5; function 10/5 = 2.0, 50% of 4
    assert result.score["severity"] == {"mean": 3.14, "percent": 62.9, "answered": 7}
    assert result.score["function"] == {"mean": 2.0, "percent": 50.0, "answered": 5}
    assert result.score["satisfaction"] is None
    assert result.value == Decimal("3.14")
    assert result.band == ""


def test_zcq_balance_item_takes_only_1_3_or_5() -> None:
    for ok in (1, 3, 5):
        score("zcq", {"severity": [2, 2, 2, 2, 2, 2, ok], "function": [1, 1, 1, 1, 1]})
    for bad in (2, 4):
        with pytest.raises(UnscorableAnswers) as caught:
            score("zcq", {"severity": [2, 2, 2, 2, 2, 2, bad], "function": [1, 1, 1, 1, 1]})
        assert "item 7 (balance)" in caught.value.messages[0]
    # The other severity items do take 2 and 4.
    score("zcq", {"severity": [2, 4, 2, 4, 2, 4, 5], "function": [1, 1, 1, 1, 1]})


def test_zcq_missing_item_limits_per_subscale() -> None:
    two_missing = {"severity": [3, None, 3, None, 3, 3, 3], "function": [2, 2, None, 2, 2]}
    result = score("zcq", two_missing)
    assert result.score["severity"] == {"mean": 3.0, "percent": 60.0, "answered": 5}
    assert result.score["function"]["answered"] == 4
    with pytest.raises(UnscorableAnswers, match="Symptom severity: 3 items unanswered"):
        score("zcq", {"severity": [3, None, None, None, 3, 3, 3], "function": [2, 2, 2, 2, 2]})
    with pytest.raises(UnscorableAnswers, match="Physical function: 2 items unanswered"):
        score("zcq", {"severity": [3] * 7, "function": [2, None, None, 2, 2]})
    with pytest.raises(UnscorableAnswers, match="Satisfaction: 2 items unanswered"):
        score(
            "zcq",
            {
                "severity": [3] * 7,
                "function": [2] * 5,
                "satisfaction": [1, None, None, 2, 2, 2],
            },
        )


def test_zcq_satisfaction_at_or_below_2_5_is_satisfied() -> None:
    base = {"severity": [2, 2, 2, 2, 2, 2, 3], "function": [2] * 5}
    satisfied = score("zcq", base | {"satisfaction": [2, 3, 2, 3, 2, 3]})  # mean 2.5
    assert satisfied.band == "at least somewhat satisfied"
    assert satisfied.score["satisfaction"]["mean"] == 2.5
    not_satisfied = score("zcq", base | {"satisfaction": [3, 3, 2, 3, 2, 3]})  # 2.67
    assert not_satisfied.band == "not satisfied"


@pytest.mark.parametrize(
    "answers",
    [
        {"severity": [3] * 7},
        {"severity": [3] * 6, "function": [2] * 5},
        {"severity": [3] * 7, "function": [5, 2, 2, 2, 2]},
        {"severity": [3] * 7, "function": [2] * 5, "extra": [1]},
        {"severity": [0, 3, 3, 3, 3, 3, 3], "function": [2] * 5},
        [3, 3, 3],
    ],
)
def test_zcq_refuses_bad_shapes(answers: object) -> None:
    with pytest.raises(UnscorableAnswers):
        score("zcq", answers)


# --- meaningful change ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "current", "meaningful", "direction"),
    [
        (3, 2, True, "better"),  # baseline 1-4: 1 point
        (6, 5, False, "better"),  # baseline 5-7: 2 points
        (6, 4, True, "better"),
        (9, 7, False, "better"),  # baseline 8-10: 3 points (30% of 9 is 2.7)
        (9, 6, True, "better"),
        (4, 6, True, "worse"),
        (5, 5, False, "same"),
        (0, 1, True, "worse"),
    ],
)
def test_nprs_meaningful_change_depends_on_baseline(
    previous: int, current: int, meaningful: bool, direction: str
) -> None:
    change = compare("nprs", Decimal(previous), Decimal(current))
    assert change.meaningful is meaningful
    assert change.direction == direction


def test_odi_meaningful_change_is_10_points_or_30_percent() -> None:
    assert compare("odi", Decimal(50), Decimal(40)).meaningful  # 10 points
    assert not compare("odi", Decimal(50), Decimal(42)).meaningful  # 8 points, 16%
    assert compare("odi", Decimal(20), Decimal(14)).meaningful  # 6 points is 30% of 20
    assert not compare("odi", Decimal(20), Decimal(16)).meaningful


def test_psfs_higher_is_better_and_2_points_matter() -> None:
    change = compare("psfs", Decimal("3.33"), Decimal("5.33"))
    assert change.direction == "better"
    assert change.meaningful
    assert not compare("psfs", Decimal(3), Decimal("4.5")).meaningful


def test_zcq_severity_change_of_0_36_matters() -> None:
    assert compare("zcq", Decimal("3.14"), Decimal("2.71")).meaningful
    assert not compare("zcq", Decimal("3.14"), Decimal("2.86")).meaningful


def test_improvement_target_is_where_the_chart_line_goes() -> None:
    assert improvement_target("odi", Decimal(40)) == Decimal(30)
    assert improvement_target("psfs", Decimal(3)) == Decimal(5)
    assert improvement_target("zcq", Decimal("3.00")) == Decimal("2.64")
    assert improvement_target("nprs", Decimal(6)) == Decimal(4)


def test_unknown_instrument_is_an_error() -> None:
    with pytest.raises(ValueError, match="Unknown instrument"):
        score("promis", [1])


# --- properties -----------------------------------------------------------------------------

odi_section = st.one_of(st.none(), st.integers(min_value=0, max_value=5))


@given(st.lists(odi_section, min_size=10, max_size=10))
def test_odi_is_within_0_100_or_refused_for_too_many_gaps(sections: list[int | None]) -> None:
    missing = sections.count(None)
    if missing > scoring.ODI_MAX_MISSING:
        with pytest.raises(UnscorableAnswers):
            score("odi", sections)
        return
    result = score("odi", sections)
    assert 0 <= result.score <= 100
    assert result.band


@given(st.lists(odi_section, min_size=10, max_size=10), st.randoms())
def test_odi_does_not_depend_on_section_order(sections: list[int | None], rnd) -> None:
    shuffled = list(sections)
    rnd.shuffle(shuffled)
    if sections.count(None) > scoring.ODI_MAX_MISSING:
        return
    assert score("odi", sections).score == score("odi", shuffled).score


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=3, max_size=5), st.randoms())
def test_psfs_mean_is_within_range_and_order_free(ratings: list[int], rnd) -> None:
    result = score("psfs", _psfs(*ratings))
    assert min(ratings) <= result.score <= max(ratings)
    shuffled = list(ratings)
    rnd.shuffle(shuffled)
    assert score("psfs", _psfs(*shuffled)).score == result.score


severity_item = st.one_of(st.none(), st.integers(min_value=1, max_value=5))
balance_item = st.one_of(st.none(), st.sampled_from([1, 3, 5]))
function_item = st.one_of(st.none(), st.integers(min_value=1, max_value=4))


@given(
    st.lists(severity_item, min_size=6, max_size=6),
    balance_item,
    st.lists(function_item, min_size=5, max_size=5),
)
def test_zcq_means_stay_within_item_range(
    severity: list[int | None], balance: int | None, function: list[int | None]
) -> None:
    answers = {"severity": [*severity, balance], "function": function}
    too_many = [*severity, balance].count(None) > 2 or function.count(None) > 1
    if too_many:
        with pytest.raises(UnscorableAnswers):
            score("zcq", answers)
        return
    result = score("zcq", answers)
    assert 1 <= result.score["severity"]["mean"] <= 5
    assert 1 <= result.score["function"]["mean"] <= 4
    assert 20 <= result.score["severity"]["percent"] <= 100


@given(st.integers(0, 10), st.integers(0, 10))
def test_nprs_change_is_symmetric_in_size(a: int, b: int) -> None:
    forward = compare("nprs", Decimal(a), Decimal(b))
    assert forward.delta == b - a
    assert forward.meaningful == (a != b and abs(b - a) >= forward.threshold)
    assert (forward.direction == "same") == (a == b)
