"""The dashboard's filters from query parameters, shared by the API and the pages: each parameter
checked with a message naming it (a 400 through DRF's ValidationError)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from rest_framework import serializers

from exercise_tracker import access
from exercise_tracker.api import query_choice, query_date, query_object
from members.models import Risk
from members.selectors import adherence as selectors


def filters_from(params: Mapping[str, str], user: Any, *, today: date) -> selectors.Filters:
    """The dashboard's filters from query parameters, each checked with a message naming it.
    An empty value is a 400 (the page leaves empty fields out before calling)."""
    blank = {name: ["Give a value or leave the parameter out."] for name, v in params.items()
             if v == "" and name in FILTER_PARAMS}  # fmt: skip
    if blank:
        raise serializers.ValidationError(blank)
    start, end = query_date(params, "from"), query_date(params, "to")
    errors: dict[str, list[str]] = {}
    errors.update(window_errors(start, end, today=today))
    ids: dict[str, int | None] = {}
    for name, queryset, message in (
        ("therapist", access.visible_therapists(user), "No PT you can see has this id."),
        ("template", access.nameable_templates(user), "No template you can see has this id."),
    ):
        try:  # every parameter's error at once, not only the first
            found = query_object(queryset, params, name, message)
        except serializers.ValidationError as exc:
            errors.update(exc.detail)  # type: ignore[arg-type]
            found = None
        ids[name] = found.pk if found is not None else None
    choices: dict[str, str | None] = {}
    for name, values in (("risk", Risk.values), ("ordering", selectors.ORDERINGS)):
        try:
            choices[name] = query_choice(params, name, values)
        except serializers.ValidationError as exc:
            errors.update(exc.detail)  # type: ignore[arg-type]
            choices[name] = None
    risk, ordering = choices["risk"], choices["ordering"] or "risk"
    if errors:
        raise serializers.ValidationError(errors)
    return selectors.Filters(
        start=start,
        end=end,
        therapist=ids["therapist"],
        template=ids["template"],
        risk=risk,
        ordering=ordering,
    )


def window_errors(start: date | None, end: date | None, *, today: date) -> dict[str, list[str]]:
    """What is wrong with a window, by parameter. `today` is the server's date: a day ahead is
    still today somewhere."""
    errors: dict[str, list[str]] = {}
    if end is not None and end > today + timedelta(days=1):
        errors["to"] = ["The window cannot end in the future."]
    last = end or today
    if start is not None and start > last:
        errors["from"] = ["Start on or before the end of the window (`to`)."]
    elif start is not None and (last - start).days >= selectors.MAX_WINDOW_DAYS:
        errors["from"] = [f"The window is at most {selectors.MAX_WINDOW_DAYS} days."]
    return errors


FILTER_PARAMS = ("from", "to", "therapist", "template", "risk", "ordering")
