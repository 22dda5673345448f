"""The progression rules by hand: each rule with the readings that make it fire, the evidence
it names, and the edges (pain rising, no harder version, a dismissed run)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from programs.rules import progression as rules
from programs.rules.progression import ItemDose, Reading, Version

DAY0 = date(2026, 3, 2)  # a Monday


def reading(
    n: int,
    *,
    day: date | None = None,
    feedback: str = "just_right",
    pain: int | None = 3,
    status: str = "done",
    sets: int = 2,
    reps: int = 10,
    session_pain: int | None = None,
) -> Reading:
    day = day or DAY0 + timedelta(days=n)
    return Reading(
        session_id=100 + n,
        entry_id=1000 + n,
        day=day,
        at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(minutes=n),
        status=status,
        feedback=feedback,
        pain=pain,
        session_pain=session_pain,
        sets_done=sets,
        reps_done=reps,
    )


HARDER = Version(
    id=7,
    name="Single-leg bridge",
    dosing="reps",
    sets=2,
    reps=8,
    hold_seconds=None,
    duration_seconds=None,
)
EASIER = Version(
    id=5,
    name="Pelvic tilt",
    dosing="reps_hold",
    sets=1,
    reps=10,
    hold_seconds=5,
    duration_seconds=None,
)


def bridge(**kw: object) -> ItemDose:
    base: dict = {
        "exercise_id": 6,
        "exercise_name": "Glute bridge",
        "dosing": "reps",
        "sets": 2,
        "reps": 10,
        "hold_seconds": None,
        "duration_seconds": None,
        "harder": HARDER,
        "easier": EASIER,
    }
    base.update(kw)
    return ItemDose(**base)


# --- 1. too easy --------------------------------------------------------------------------------


def test_three_too_easy_with_pain_flat_suggests_the_harder_version() -> None:
    readings = [
        reading(0),
        *(reading(n, feedback="too_easy", pain=p) for n, p in ((1, 3), (2, 3), (3, 2))),
    ]
    found = rules.too_easy(bridge(), readings)
    assert found is not None
    assert found.rule == "too_easy"
    assert found.proposal == {
        "exercise": 7,
        "exercise_name": "Single-leg bridge",
        "dose": {"sets": 2, "reps": 8, "hold_seconds": None, "duration_seconds": None},
    }
    assert [e["entry"] for e in found.evidence()["entries"]] == [1001, 1002, 1003]
    assert "Single-leg bridge (2 sets of 8 reps)" in found.summary


def test_pain_rising_blocks_too_easy() -> None:
    readings = [reading(n, feedback="too_easy", pain=p) for n, p in ((1, 2), (2, 3), (3, 2))]
    assert rules.too_easy(bridge(), readings) is None


def test_pain_unknown_blocks_too_easy() -> None:
    readings = [reading(n, feedback="too_easy", pain=p) for n, p in ((1, 2), (2, None), (3, 2))]
    assert rules.too_easy(bridge(), readings) is None


def test_without_entry_pain_the_session_pain_after_is_the_level() -> None:
    flat = [
        reading(n, feedback="too_easy", pain=None, session_pain=p)
        for n, p in ((1, 3), (2, 3), (3, 2))
    ]
    assert rules.too_easy(bridge(), flat) is not None
    rising = [
        reading(n, feedback="too_easy", pain=None, session_pain=p)
        for n, p in ((1, 3), (2, 4), (3, 3))
    ]
    assert rules.too_easy(bridge(), rising) is None


def test_a_bad_session_is_not_pain_during_the_exercise() -> None:
    # Session pain after 8 against a usual 3: the pain alert's business, not this rule's.
    readings = [reading(n, pain=None, session_pain=3) for n in (1, 3, 5)] + [
        reading(6, pain=None, session_pain=8)
    ]
    assert rules.ease_off(bridge(), readings) is None


def test_no_harder_version_no_suggestion() -> None:
    readings = [reading(n, feedback="too_easy") for n in range(3)]
    assert rules.too_easy(bridge(harder=None), readings) is None
    assert rules.evaluate(bridge(harder=None), readings) == []


def test_two_too_easy_then_just_right_is_no_run() -> None:
    readings = [reading(1, feedback="too_easy"), reading(2, feedback="too_easy"), reading(3)]
    assert rules.too_easy(bridge(), readings) is None


# --- 2. ease off --------------------------------------------------------------------------------


def test_too_hard_twice_running_suggests_the_easier_version() -> None:
    readings = [reading(1), reading(2, feedback="too_hard"), reading(3, feedback="too_hard")]
    found = rules.ease_off(bridge(), readings)
    assert found is not None and found.trigger == "too_hard_run"
    assert found.proposal["exercise"] == 5
    assert [e["entry"] for e in found.evidence()["entries"]] == [1002, 1003]


def test_too_hard_twice_without_easier_version_lowers_the_dose() -> None:
    readings = [reading(1, feedback="too_hard"), reading(2, feedback="too_hard")]
    found = rules.ease_off(bridge(easier=None), readings)
    assert found is not None
    assert found.proposal == {
        "exercise": 6,
        "exercise_name": "Glute bridge",
        "dose": {"sets": 1, "reps": 10, "hold_seconds": None, "duration_seconds": None},
    }
    one_set = rules.ease_off(bridge(easier=None, sets=1), readings)
    assert one_set is not None and one_set.proposal["dose"]["reps"] == 7  # 10 less a third


def test_pain_two_above_the_baseline_suggests_easing_off() -> None:
    # Baseline: the 14 days before the latest reading's date: pains 2, 3, 3 -> median 3.
    readings = [reading(1, pain=2), reading(3, pain=3), reading(5, pain=3), reading(6, pain=5)]
    found = rules.ease_off(bridge(), readings)
    assert found is not None and found.trigger == "pain_above_baseline"
    assert found.evidence()["baseline"]["pain"] == 3.0
    assert found.evidence()["baseline"]["entries"] == [1001, 1003, 1005]
    assert [e["entry"] for e in found.evidence()["entries"]] == [1006]
    # One point less is not enough.
    readings[-1] = reading(6, pain=4)
    assert rules.ease_off(bridge(), readings) is None


def test_baseline_needs_two_readings_in_the_fortnight_before() -> None:
    old = reading(0, pain=1)  # more than 14 days before the latest: not in the baseline
    readings = [old, reading(20, pain=2), reading(21, pain=6)]
    assert rules.baseline(readings) is None
    assert rules.ease_off(bridge(), readings) is None


# --- 3. top of the dose -------------------------------------------------------------------------


def _fortnight(**kw: object) -> list[Reading]:
    # Mon, Wed, Fri over two weeks: 6 readings, all at 2 x 10.
    return [reading(n, **kw) for n in (0, 2, 4, 7, 9, 11)]  # type: ignore[arg-type]


def test_two_weeks_at_the_top_adds_a_set() -> None:
    found = rules.top_of_dose(bridge(), _fortnight())
    assert found is not None and found.trigger == "two_weeks_at_top"
    assert found.proposal["dose"] == {
        "sets": 3,
        "reps": 10,
        "hold_seconds": None,
        "duration_seconds": None,
    }
    assert len(found.evidence()["entries"]) == 6
    assert "3 sets of 10 reps" in found.summary


def test_one_partial_session_in_the_fortnight_is_not_the_top() -> None:
    readings = _fortnight()
    readings[3] = reading(7, status="partial", reps=8)
    assert rules.top_of_dose(bridge(), readings) is None


def test_one_week_is_not_two() -> None:
    assert rules.top_of_dose(bridge(), [reading(n) for n in (7, 9, 11)]) is None


def test_three_sets_add_hold_time_then_nothing() -> None:
    held = bridge(sets=3, hold_seconds=5, dosing="reps_hold")
    found = rules.top_of_dose(held, _fortnight(sets=3))
    assert found is not None and found.proposal["dose"]["hold_seconds"] == 10
    assert rules.top_of_dose(bridge(sets=3), _fortnight(sets=3)) is None


def test_two_for_two_two_reps_beyond_in_two_sessions_running() -> None:
    readings = [reading(1), reading(2, reps=12), reading(3, reps=12)]
    found = rules.top_of_dose(bridge(), readings)
    assert found is not None and found.trigger == "two_for_two"
    assert [e["entry"] for e in found.evidence()["entries"]] == [1002, 1003]
    readings[-1] = reading(3, reps=11)
    assert rules.top_of_dose(bridge(), readings) is None


# --- dismissed evidence -------------------------------------------------------------------------


def test_a_dismissed_run_is_not_read_again() -> None:
    run = [reading(n, feedback="too_easy") for n in (1, 2, 3)]
    assert [f.rule for f in rules.evaluate(bridge(), run)] == ["too_easy"]
    after = {"too_easy": run[-1].at}
    assert rules.evaluate(bridge(), run, after=after) == []
    # A new run of three after it is new evidence.
    later = [*run, *(reading(n, feedback="too_easy") for n in (4, 5, 6))]
    found = rules.evaluate(bridge(), later, after=after)
    assert [e["entry"] for e in found[0].evidence()["entries"]] == [1004, 1005, 1006]
