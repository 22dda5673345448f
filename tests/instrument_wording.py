"""Made-up wording for licensed instruments, for tests only: every question and answer reads
"FAKE TEST WORDING", so it can never pass for the real, licensed text."""

from __future__ import annotations

import copy
from typing import Any

from members.selectors.instruments import shipped
from members.services.instruments import load_wording


def fake_wording(code: str) -> dict[str, Any]:
    data = copy.deepcopy(shipped(code))
    data["intro"] = f"FAKE TEST WORDING: introduction to {code.upper()}."
    for part in data["parts"]:
        for item in part.get("items") or []:
            item["text"] = f"FAKE TEST WORDING: {code.upper()} question {item['number']}?"
            for option in item["options"]:
                option["text"] = (
                    f"FAKE TEST WORDING: answer {option['value']} to question {item['number']}"
                )
    return data


def load_fake_wording(*codes: str) -> None:
    for code in codes:
        load_wording(data=fake_wording(code))
