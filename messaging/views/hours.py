"""The coordinator's page for the clinic's working hours: when messages are answered, shown on
every conversation."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from exercise_tracker.views import role_required
from members.models import Role, User
from messaging.models import WEEKDAYS
from messaging.selectors import pages, threads
from messaging.services import hours as hours_services


def _rows(hours: dict[str, list[list[str]]], posted: Any = None) -> list[dict[str, str]]:
    """One row per weekday: its first span (the page sets one span a day)."""
    rows = []
    for day in WEEKDAYS:
        if posted is not None:
            opens, closes = posted.get(f"{day}_opens", ""), posted.get(f"{day}_closes", "")
        else:
            spans = hours.get(day) or []
            opens, closes = (spans[0][0], spans[-1][1]) if spans else ("", "")
        rows.append({"day": day, "name": pages.DAY_NAMES[day], "opens": opens, "closes": closes})
    return rows


@role_required(Role.COORDINATOR)
def working_hours(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    organization = user.organization
    if organization is None:
        raise Http404
    current = threads.working_hours_of(organization.pk)
    error = ""
    if request.method == "POST":
        hours: dict[str, list[list[str]]] = {}
        for row in _rows(current, request.POST):
            if row["opens"] or row["closes"]:
                hours[row["day"]] = [[row["opens"], row["closes"]]]
        try:
            hours_services.set_working_hours(
                organization=organization, by=cast(User, request.user), hours=hours
            )
        except ValidationError as exc:
            error = " ".join(str(m) for m in exc.messages)
        else:
            flash.success(request, "Working hours saved. Every conversation shows them.")
            return redirect("working-hours-page")
    return render(
        request,
        "messaging/working_hours.html",
        {
            "rows": _rows(current, request.POST if error else None),
            "lines": pages.hours_lines(current),
            "error": error,
            "timezone_name": organization.timezone,
        },
        status=400 if error else 200,
    )
