"""The remote therapeutic monitoring report page (`/reports/rtm/`): one calendar month's 30-day
periods and PT minutes per monitored member, for coordinators and PTs; members have no such
page (404)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from exercise_tracker import access, audit, clock
from exercise_tracker.integers import parse_int
from exercise_tracker.views import role_required
from members.models import Role, Therapist
from members.selectors import rtm as selectors

MEMBERS_PER_PAGE = 50
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# The picker's range: month arithmetic stays inside what dates can hold.
FIRST_YEAR, LAST_YEAR = 2000, 2999


def _month(raw: str | None, today: date) -> tuple[date, str]:
    """The month asked for (its first day), or this month and why the one asked was not used."""
    current = today.replace(day=1)
    if not raw:
        return current, ""
    match = MONTH.match(raw)
    if match is not None:
        year, month = int(match[1]), int(match[2])
        if FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12:
            return date(year, month, 1), ""
    return current, f"“{raw[:20]}” is not a month (YYYY-MM): showing this month."


def _therapist(user: Any, raw: str | None) -> tuple[Therapist | None, str]:
    if not raw:
        return None, ""
    pk = parse_int(raw)  # "²".isdigit() is true, and int("²") raises
    therapist = access.visible_therapists(user).filter(pk=pk).first() if pk is not None else None
    if therapist is None:
        return None, "That PT is not one you can see: showing everyone."
    return therapist, ""


@role_required(Role.COORDINATOR, Role.THERAPIST)
def rtm_report(request: HttpRequest) -> HttpResponse:
    today = clock.clinic_today(request.user)
    month, month_error = _month(request.GET.get("month"), today)
    therapist, therapist_error = _therapist(request.user, request.GET.get("therapist"))
    start, end = month, selectors.month_end(month)
    members = selectors.monitored_members(request.user, start=start, end=end, therapist=therapist)
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    figures = selectors.rtm_for_members(list(page.object_list), start=start, end=end)
    audit.record_read_by_staff(request=request, member_id=None, object_type="members.rtm_report")

    query: dict[str, str] = {"from": start.isoformat(), "to": end.isoformat(), "format": "csv"}
    if therapist is not None:
        query["therapist"] = str(therapist.pk)
    previous_month = (month - timedelta(days=1)).replace(day=1)
    next_month = end + timedelta(days=1)
    therapists = (
        list(access.visible_therapists(request.user).order_by("user__last_name", "pk"))
        if request.user.role == Role.COORDINATOR  # type: ignore[union-attr]
        else []
    )

    def month_link(first: date) -> str:
        params = {"month": first.strftime("%Y-%m")}
        if therapist is not None:
            params["therapist"] = str(therapist.pk)
        return "?" + urlencode(params)

    return render(
        request,
        "members/rtm_report.html",
        {
            "month": month,
            "month_value": month.strftime("%Y-%m"),
            "start": start,
            "end": end,
            "errors": [e for e in (month_error, therapist_error) if e],
            "figures": figures,
            "page": page,
            "therapist": therapist,
            "therapists": therapists,
            "csv_url": f"{reverse('api-rtm-report')}?{urlencode(query)}",
            "previous_url": month_link(previous_month) if previous_month.year >= FIRST_YEAR else "",
            "next_url": month_link(next_month) if next_month.year <= LAST_YEAR else "",
            "page_query": month_link(month)[1:],
            "source_note": selectors.SOURCE_NOTE,
            "full_days": selectors.FULL_SUPPLY_DAYS,
            "short_days": selectors.SHORT_SUPPLY_DAYS,
        },
    )
