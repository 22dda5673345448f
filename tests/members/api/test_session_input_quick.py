"""The session POST's quick check of a body (members.inputs.quick_session_input) takes only what
SessionInputSerializer takes, as it takes it: for any body, it gives the serializer's validated
data or None (and then the serializer answers, with its errors)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exercise_tracker.inputs import validated
from members.inputs import SessionInputSerializer, quick_session_input

USUAL = {
    "client_id": "3f0c8a52-5b1e-4c36-9a55-1f0e8f0d2a11",
    "date": "2026-11-30",
    "status": "completed",
    "pain_before": 3,
    "pain_after": 2,
    "rpe": 4,
    "notes": "  Felt fine  ",
    "entries": [
        {"plan_item": 7, "status": "done", "sets_done": 1, "feedback": "just_right"},
        {"plan_item": 8, "status": "partial", "done": True, "reps_done": 5, "side": ""},
    ],
}


def _serializer(body: Any) -> Any:
    form = SessionInputSerializer(data=body)
    return dict(form.validated_data) if form.is_valid() else None


def test_the_usual_body_is_taken_quickly_as_the_serializer_takes_it() -> None:
    quick = quick_session_input(USUAL)
    assert quick is not None
    assert quick == dict(validated(SessionInputSerializer, USUAL))
    assert quick["notes"] == "Felt fine"


@pytest.mark.parametrize(
    "change",
    [
        {"status": "done"},  # not a session status
        {"date": "2026-11-31"},
        {"date": "30/11/2026"},
        {"rpe": 11},
        {"pain_before": True},
        {"pain_after": "2"},
        {"client_id": "not-a-uuid"},
        {"notes": "a\x00b"},
        {"notes": "x" * 2001},
        {"entries": [{"plan_item": 7}]},
        {"entries": [{"plan_item": 0, "status": "done"}]},
        {"entries": [{"plan_item": 7, "status": "skipped", "done": True}]},
        {"entries": [{"plan_item": 7, "status": "done", "sets_done": -1}]},
        {"entries": [{"plan_item": 7, "status": "done", "id": 3}]},  # read back: ignored
        {"entries": "[]"},
        {"member": 4},  # an output field: ignored
        {"colour": "red"},  # unknown: refused
    ],
)
def test_anything_unusual_is_left_to_the_serializer(change: dict[str, Any]) -> None:
    assert quick_session_input({**USUAL, **change}) is None


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=2**63 + 1),
    st.sampled_from(
        ["", " ", "done", "partial", "skipped", "completed", "left", "right", "both",
         "too_easy", "just_right", "too_hard", "2026-11-30", "2026-1-30", "20261130",
         "3f0c8a52-5b1e-4c36-9a55-1f0e8f0d2a11", "3f0c8a525b1e4c369a551f0e8f0d2a11",
         "\ud800", "a\x00"]
    ),
    st.text(max_size=5),
    st.floats(allow_nan=False, max_value=1e6, min_value=-1e6),
)  # fmt: skip
entry_keys = st.sampled_from(
    ["plan_item", "status", "done", "sets_done", "reps_done", "hold_seconds_done",
     "duration_seconds_done", "side", "feedback", "pain", "id", "bogus"]
)  # fmt: skip
entries = st.dictionaries(entry_keys, scalars, max_size=6)
session_keys = st.sampled_from(
    ["client_id", "date", "status", "pain_before", "pain_after", "rpe", "notes", "member"]
)
bodies = st.builds(
    lambda head, listed, tail: {**head, **({"entries": listed} if tail else {})},
    st.dictionaries(session_keys, scalars, max_size=8),
    st.one_of(st.none(), st.lists(entries, max_size=3), scalars),
    st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(
    bodies,
    st.fixed_dictionaries(
        {"date": st.sampled_from(["2026-11-30", "2026-02-29", "x"]),
         "status": st.sampled_from(["completed", "partial", "skipped", "nope"])}
    ),
)  # fmt: skip
def test_the_quick_check_never_disagrees_with_the_serializer(
    body: dict[str, Any], required: dict[str, Any]
) -> None:
    for candidate in (body, {**body, **required}):
        quick = quick_session_input(candidate)
        if quick is not None:
            assert quick == _serializer(candidate)


near_numbers = st.one_of(st.none(), st.integers(min_value=-1, max_value=12), st.just(201))
near_entries = st.fixed_dictionaries(
    {"plan_item": st.integers(min_value=0, max_value=9),
     "status": st.sampled_from(["done", "partial", "skipped"])},
    optional={
        "done": st.booleans(),
        "sets_done": near_numbers, "reps_done": near_numbers, "pain": near_numbers,
        "hold_seconds_done": near_numbers, "duration_seconds_done": near_numbers,
        "side": st.sampled_from([None, "", "left", "both", "up"]),
        "feedback": st.sampled_from([None, "", "too_hard", "fine"]),
    },
)  # fmt: skip
near_bodies = st.fixed_dictionaries(
    {"date": st.sampled_from(["2026-11-30", "2026-11-31"]),
     "status": st.sampled_from(["completed", "partial", "skipped"])},
    optional={
        "client_id": st.sampled_from([None, USUAL["client_id"], "x"]),
        "pain_before": near_numbers, "pain_after": near_numbers, "rpe": near_numbers,
        "notes": st.one_of(st.none(), st.text(max_size=8)),
        "entries": st.one_of(st.none(), st.lists(near_entries, max_size=4)),
    },
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(near_bodies)
def test_nearly_usual_bodies_are_taken_as_the_serializer_takes_them(body: dict[str, Any]) -> None:
    quick = quick_session_input(body)
    expected = _serializer(body)
    if quick is not None:
        assert quick == expected
