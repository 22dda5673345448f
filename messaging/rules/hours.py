"""The clinic's working hours: their shape, and when "a working day" has passed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError

from messaging.models import WEEKDAYS

MAX_SPANS_PER_DAY = 3


def default_hours() -> dict[str, list[list[str]]]:
    """settings.MESSAGING_DEFAULT_WORKING_HOURS: until a coordinator sets their clinic's."""
    return {day: [list(span) for span in spans] for day, spans in _default().items()}


def _default() -> dict[str, list[list[str]]]:
    value: dict[str, list[list[str]]] = settings.MESSAGING_DEFAULT_WORKING_HOURS
    return value


def _time(value: Any) -> time | None:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


def clean_hours(value: Any) -> dict[str, list[list[str]]]:
    """Validates `{"monday": [["08:00", "17:00"]], ...}`: every weekday named once at most (a
    missing day is closed), spans HH:MM with opening before closing, not overlapping."""
    if not isinstance(value, dict):
        raise ValidationError(
            {"hours": ['Give an object such as {"monday": [["08:00", "17:00"]]}.']}
        )
    unknown = sorted(set(value) - set(WEEKDAYS))
    if unknown:
        raise ValidationError({"hours": [f"Unknown day: {', '.join(map(str, unknown))}."]})
    cleaned: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        spans = value.get(day, [])
        if not isinstance(spans, list) or len(spans) > MAX_SPANS_PER_DAY:
            raise ValidationError(
                {"hours": [f"{day}: give up to {MAX_SPANS_PER_DAY} [opens, closes] pairs."]}
            )
        parsed: list[tuple[time, time]] = []
        for span in spans:
            if not isinstance(span, list) or len(span) != 2:
                raise ValidationError({"hours": [f"{day}: each span is [opens, closes]."]})
            opens, closes = _time(span[0]), _time(span[1])
            if opens is None or closes is None:
                raise ValidationError({"hours": [f"{day}: give times as HH:MM (24-hour)."]})
            if opens >= closes:
                raise ValidationError({"hours": [f"{day}: opening comes before closing."]})
            parsed.append((opens, closes))
        parsed.sort()
        for (_, first_end), (second_start, _) in pairwise(parsed):
            if second_start < first_end:
                raise ValidationError({"hours": [f"{day}: spans overlap."]})
        cleaned[day] = [[a.strftime("%H:%M"), b.strftime("%H:%M")] for a, b in parsed]
    return cleaned


def _spans(hours: dict[str, list[list[str]]], day: date) -> list[tuple[time, time]]:
    spans = hours.get(WEEKDAYS[day.weekday()], [])
    out = []
    for opens, closes in spans:
        a, b = _time(opens), _time(closes)
        if a is not None and b is not None:
            out.append((a, b))
    return sorted(out)


def answered_by_cutoff(
    *, hours: dict[str, list[list[str]]], tz: ZoneInfo, now: datetime
) -> datetime | None:
    """Messages that arrived before this instant have waited more than a working day: the
    opening of the latest working day that has closed by `now`. None when the clinic has no
    working day in the last four weeks (nothing is ever overdue)."""
    local = now.astimezone(tz)
    for back in range(29):
        day = local.date() - timedelta(days=back)
        spans = _spans(hours, day)
        if not spans:
            continue
        closes = datetime.combine(day, spans[-1][1], tzinfo=tz)
        if closes <= local:
            return datetime.combine(day, spans[0][0], tzinfo=tz)
    return None
