"""Instrument definitions as served and asked: the shipped files of fixtures/instruments/ with
any licensed wording a clinic loaded (members.InstrumentWording)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from members.models import Instrument, InstrumentWording
from members.rules import instruments as rules

INSTRUMENTS_DIR = Path(settings.BASE_DIR) / "fixtures" / "instruments"


@cache
def shipped(code: str) -> dict[str, Any]:
    """The shipped file of an instrument (read once per process)."""
    return dict(json.loads((INSTRUMENTS_DIR / f"{code}.json").read_text(encoding="utf-8")))


def _with_status(code: str, loaded: dict[str, Any] | None) -> dict[str, Any]:
    definition = rules.merge(shipped(code), loaded)
    worded = rules.has_wording(definition)
    definition["wording_loaded"] = loaded is not None
    # Offered to members only with every question and answer worded.
    definition["offered"] = worded
    return definition


def definitions() -> dict[str, dict[str, Any]]:
    """Every instrument, in the order of members.Instrument (one query)."""
    loaded = dict(InstrumentWording.objects.values_list("instrument", "definition"))
    return {code: _with_status(code, loaded.get(code)) for code in Instrument.values}


def definition(code: str) -> dict[str, Any] | None:
    if code not in Instrument.values:
        return None
    row = InstrumentWording.objects.filter(instrument=code).values_list("definition", flat=True)
    return _with_status(code, next(iter(row), None))


def offered_codes() -> set[str]:
    """The instruments members are asked: worded ones (licensed ones once their wording is
    loaded)."""
    return {code for code, value in definitions().items() if value["offered"]}
