"""Each instrument file against its scoring (item counts, answer ranges), what ships worded and
what does not, and the checks of a clinic's wording file."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from members.models import Instrument
from members.rules import instruments as rules
from members.rules import scoring
from members.rules.questionnaires import member_lines, questionnaire_from

DIR = Path(__file__).resolve().parents[3] / "fixtures" / "instruments"


def _file(code: str) -> dict:
    return json.loads((DIR / f"{code}.json").read_text(encoding="utf-8"))


def _values(item: dict) -> list[int]:
    return [option["value"] for option in item["options"]]


def test_one_sound_file_per_instrument() -> None:
    assert sorted(p.stem for p in DIR.glob("*.json")) == sorted(Instrument.values)
    for code in Instrument.values:
        data = _file(code)
        assert data["code"] == code
        assert rules.check_file(data) == [], code
        assert data["source"] and data["licence"], code
        assert data["scoring"]["function"] == f"members.rules.scoring.score_{code}"


def test_nprs_agrees_with_its_scoring() -> None:
    (part,) = _file("nprs")["parts"]
    (item,) = part["items"]
    assert _values(item) == list(range(0, scoring.NPRS_MAX + 1))
    assert scoring.score_nprs([min(_values(item))]).value == 0
    assert scoring.score_nprs([max(_values(item))]).value == 10


def test_odi_agrees_with_its_scoring() -> None:
    (part,) = _file("odi")["parts"]
    assert len(part["items"]) == scoring.ODI_SECTIONS
    for item in part["items"]:
        assert _values(item) == list(range(0, scoring.ODI_SECTION_MAX + 1))
    lowest = [min(_values(i)) for i in part["items"]]
    highest = [max(_values(i)) for i in part["items"]]
    assert scoring.score_odi(lowest).value == 0
    assert scoring.score_odi(highest).value == 100
    assert _file("odi")["scoring"]["max_missing"] == scoring.ODI_MAX_MISSING


def test_zcq_agrees_with_its_scoring() -> None:
    parts = {part["key"]: part for part in _file("zcq")["parts"]}
    expected = {
        "severity": (scoring.ZCQ_SEVERITY_ITEMS, scoring.ZCQ_SEVERITY_MAX),
        "function": (scoring.ZCQ_FUNCTION_ITEMS, scoring.ZCQ_FUNCTION_MAX),
        "satisfaction": (scoring.ZCQ_SATISFACTION_ITEMS, scoring.ZCQ_SATISFACTION_MAX),
    }
    assert list(parts) == list(expected)
    for key, (count, top) in expected.items():
        assert len(parts[key]["items"]) == count, key
        for item in parts[key]["items"]:
            if key == "severity" and item["number"] == scoring.ZCQ_BALANCE_ITEM:
                assert tuple(_values(item)) == scoring.ZCQ_BALANCE_SCORES
            else:
                assert _values(item) == list(range(1, top + 1)), (key, item["number"])
    assert parts["satisfaction"]["optional"] and not parts["severity"]["optional"]
    lowest = {k: [min(_values(i)) for i in p["items"]] for k, p in parts.items()}
    highest = {k: [max(_values(i)) for i in p["items"]] for k, p in parts.items()}
    low, high = scoring.score_zcq(lowest).score, scoring.score_zcq(highest).score
    assert (low["severity"]["mean"], low["function"]["mean"]) == (1.0, 1.0)
    assert (high["severity"]["mean"], high["function"]["mean"], high["satisfaction"]["mean"]) == (
        5.0,
        4.0,
        4.0,
    )
    assert _file("zcq")["scoring"]["max_missing"] == scoring.ZCQ_MAX_MISSING


def test_psfs_agrees_with_its_scoring() -> None:
    (part,) = _file("psfs")["parts"]
    assert part["kind"] == rules.ACTIVITIES
    assert (part["min_items"], part["max_items"]) == (
        scoring.PSFS_MIN_ACTIVITIES,
        scoring.PSFS_MAX_ACTIVITIES,
    )
    assert _values(part) == list(range(0, scoring.PSFS_MAX + 1))
    rows = [{"activity": f"Activity {n}", "score": 10} for n in range(part["min_items"])]
    assert scoring.score_psfs(rows).value == 10


def test_only_instruments_whose_terms_allow_it_ship_their_words() -> None:
    for code in ("nprs", "psfs"):
        data = _file(code)
        assert data["licensed"] is False and rules.has_wording(data), code
    for code in ("odi", "zcq"):
        data = _file(code)
        assert data["licensed"] is True and not rules.has_wording(data), code
        # Not a word of the licensed text: no question, no answer.
        texts = [
            text
            for part in data["parts"]
            for item in part["items"]
            for text in [item["text"], *(o["text"] for o in item["options"])]
        ]
        assert texts and all(text is None for text in texts), code


def _worded(code: str) -> dict:
    data = copy.deepcopy(_file(code))
    for part in data["parts"]:
        for item in part["items"]:
            item["text"] = f"Made-up question {item['number']}"
            for option in item["options"]:
                option["text"] = f"Made-up answer {option['value']}"
    return data


def test_a_clinics_wording_must_keep_the_structure_and_word_everything() -> None:
    shipped = _file("odi")
    good = _worded("odi")
    assert rules.check_wording(shipped, good) == []
    merged = rules.merge(shipped, good)
    assert rules.has_wording(merged)
    assert merged["parts"][0]["items"][3]["text"] == "Made-up question 4"
    assert merged["licence"] == shipped["licence"]  # the shipped facts stay

    missing = copy.deepcopy(good)
    missing["parts"][0]["items"][2]["options"][5]["text"] = ""
    assert rules.check_wording(shipped, missing) == [
        "parts[0].items[2].options[5].text: give the words."
    ]
    changed = copy.deepcopy(good)
    changed["parts"][0]["items"][0]["options"].pop()
    assert "differ from the shipped" in rules.check_wording(shipped, changed)[0]
    other = _worded("zcq")
    assert rules.check_wording(shipped, other) == ['This file is for "zcq", not "odi".']
    assert rules.check_wording(shipped, []) == ["Give a JSON object."]


def test_the_form_carries_each_question_and_each_answers_words() -> None:
    form = questionnaire_from(rules.merge(_file("zcq"), _worded("zcq")))
    assert [part.key for part in form.parts] == ["severity", "function", "satisfaction"]
    balance = form.parts[0].items[6]
    assert balance.text == "Made-up question 7"
    assert balance.choices == (
        (1, "Made-up answer 1"),
        (3, "Made-up answer 3"),
        (5, "Made-up answer 5"),
    )
    psfs = questionnaire_from(_file("psfs"))
    assert psfs.activities is not None and psfs.activities.max_items == 5
    assert psfs.activities.choices[0][1].startswith("0: ")


@pytest.mark.parametrize(
    ("instrument", "score", "expected"),
    [
        (
            "odi",
            32.0,
            [
                "32% on a scale from 0 to 100, where lower means less difficulty with daily "
                "activities."
            ],
        ),
        ("nprs", 4, ["Pain 4 on a scale from 0 to 10."]),
        ("psfs", 6.33, ["6.33 on a scale from 0 to 10, where 10 means as well as before."]),
    ],
)
def test_member_lines_are_neutral(instrument: str, score: object, expected: list[str]) -> None:
    assert member_lines(instrument, score) == expected


def test_zcq_is_shown_on_its_own_scales_not_as_a_percentage() -> None:
    result = scoring.score_zcq({"severity": [1] * 6 + [1], "function": [1] * 5})
    lines = member_lines("zcq", result.score)
    assert lines[0] == "Symptoms: 1 on a scale from 1 to 5."
    assert lines[1] == "Physical function: 1 on a scale from 1 to 4."
    assert not any("%" in line for line in lines)
    assert result.value == Decimal("1.00")
