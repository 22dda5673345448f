"""exercise_tracker.inputs: one mechanism for every request body (read-only fields sent back
ignored, unknown ones refused, errors named by path) and fields lent between instances."""

from __future__ import annotations

import threading
from typing import Any

from rest_framework import serializers

from exercise_tracker.inputs import (
    InputSerializer,
    OneOfField,
    TrueFalseField,
    WholeNumberField,
    flat_errors,
)


class PartOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    n = serializers.IntegerField()
    title = serializers.CharField()


class PartIn(InputSerializer):
    read_from = PartOut

    n = WholeNumberField(min_value=0, max_value=5, below="Give a number of 0 or more.")
    flag = TrueFalseField(required=False)


class BodyOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    parts = PartOut(many=True)
    created_at = serializers.DateTimeField()


class BodyIn(InputSerializer):
    read_from = "tests.test_inputs.BodyOut"

    kind = OneOfField(["a", "b"])
    parts = serializers.ListField(child=PartIn(), required=False)


def _check(data: Any, **kwargs: Any) -> tuple[bool, dict[str, Any]]:
    form = BodyIn(data=data, **kwargs)
    valid = form.is_valid()
    return valid, dict(form.validated_data if valid else form.errors)


def test_what_was_read_comes_back_and_is_ignored() -> None:
    read = {"id": 3, "kind": "a", "created_at": "x", "parts": [{"id": 1, "n": 2, "title": "y"}]}
    assert _check(read) == (True, {"kind": "a", "parts": [{"n": 2}]})


def test_unknown_fields_are_refused_on_their_path() -> None:
    valid, errors = _check({"kind": "a", "colour": 1, "parts": [{"n": 1}, {"n": 1, "w": 2}]})
    assert not valid
    assert errors == {"non_field_errors": ["Unknown field(s): colour."]}
    _, errors = _check({"kind": "a", "parts": [{"n": 1}, {"n": 1, "w": 2}]})
    assert errors == {"parts[1]": ["Unknown field(s): w."]}


def test_fields_take_json_types_and_say_their_range() -> None:
    _, errors = _check(
        {"kind": "c", "parts": [{"n": "1"}, {"n": True}, {"n": -1}, {"n": 6}, {"n": 1, "flag": 1}]}
    )
    assert errors == {
        "kind": ["Choose one of: a, b."],
        "parts[0].n": ["Give a whole number."],
        "parts[1].n": ["Give a whole number."],
        "parts[2].n": ["Give a number of 0 or more."],
        "parts[3].n": ["Give a number from 0 to 5."],
        "parts[4].flag": ["Give true or false."],
    }


def test_lent_fields_leave_nothing_behind_between_bodies() -> None:
    assert _check({"kind": "a", "parts": [{"n": 9}]})[0] is False
    assert _check({"kind": "b", "parts": [{"n": 1}]}) == (True, {"kind": "b", "parts": [{"n": 1}]})
    assert _check({"parts": [{"n": 1}]}, partial=True) == (True, {"parts": [{"n": 1}]})
    assert _check({"parts": [{"n": 1}]})[1] == {"kind": ["This field is required."]}


def test_threads_validate_side_by_side() -> None:
    results: list[bool] = []

    def work(good: bool) -> None:
        for _ in range(200):
            n = 1 if good else 9
            results.append(_check({"kind": "a", "parts": [{"n": n}] * 5})[0] is good)

    threads = [threading.Thread(target=work, args=(i % 2 == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 800 and all(results)


def test_flat_errors_of_a_many_list() -> None:
    assert flat_errors({"items": [{}, {"reps": ["bad"]}]}) == {"items[1].reps": ["bad"]}
