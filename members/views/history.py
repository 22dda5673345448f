"""History pages: the days done, pain and questionnaire scores over time, for the member and their
PT."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from exercise_tracker import access, audit, clock
from exercise_tracker.views import role_required
from members.models import Member, Role
from members.selectors import walks as walk_selectors
from members.selectors.outcomes import (
    score_series,
    session_history,
)
from programs.selectors.lessons import member_lessons

HISTORY_WEEKS = 12


# --- history ----------------------------------------------------------------------------------

STATUS_SYMBOLS = {
    "completed": ("✓", "Done"),
    "partial": ("◐", "Partly done"),
    "skipped": ("✕", "Skipped"),
}


def _history_context(member: Member, *, own: bool) -> dict[str, Any]:
    today = clock.local_today(member)
    # Whole weeks, Monday first, ending with the week of today.
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=HISTORY_WEEKS - 1)
    sessions = session_history(member=member, start=start, end=today)
    by_day = {row["date"]: row for row in sessions}
    weeks = []
    for w in range(HISTORY_WEEKS):
        days = []
        for d in range(7):
            day = start + timedelta(days=w * 7 + d)
            row = by_day.get(day)
            status = row["status"] if row else ""
            symbol, word = STATUS_SYMBOLS.get(status, ("", "No session logged"))
            days.append(
                {
                    "date": day,
                    "status": status or "none",
                    "symbol": symbol,
                    "word": word if day <= today else "",
                    "future": day > today,
                    "today": day == today,
                }
            )
        weeks.append({"start": start + timedelta(days=w * 7), "days": days})
    counts = {
        status: sum(1 for r in sessions if r["status"] == status) for status in STATUS_SYMBOLS
    }
    pain = [
        {
            "date": row["date"].isoformat(),
            "before": row["pain_before"],
            "after": row["pain_after"],
        }
        for row in sessions
        if row["pain_before"] is not None or row["pain_after"] is not None
    ]
    series = [s.as_dict() for s in score_series(member=member, since=start)]
    lessons = member_lessons(member)
    if own:
        # Neutral for the member: the bands (the ODI's "crippling", "bed-bound") are for the PT.
        for one in series:
            one["points"] = [{**p, "band": None} for p in one["points"]]
    tolerance = walk_selectors.tolerance(member, start=start, end=today)
    return {
        "member": member,
        "own": own,
        "tolerance": tolerance,
        "symptom_checks": walk_selectors.check_history(member, start=start)[::-1],
        "today": today,
        "start": start,
        "weeks": weeks,
        "counts": counts,
        "legend": STATUS_SYMBOLS.values(),
        "chart_data": {"pain": pain, "series": series, "walks": tolerance.chart()},
        "pain": pain,
        "series": series,
        "lessons": lessons,
        "read_count": sum(1 for row in lessons if row.read_at is not None),
    }


@role_required(Role.MEMBER)
def member_history(request: HttpRequest) -> HttpResponse:
    member = access.own_member(request.user)
    context = _history_context(member, own=True)
    return render(request, "members/history.html", context)


@role_required(Role.THERAPIST, Role.STAFF)
def member_history_for_staff(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(access.visible_members(request.user), pk=member_id)
    audit.record_read_by_staff(request=request, member_id=member.pk, object_type="members.history")
    context = _history_context(member, own=False)
    return render(request, "members/history.html", context)
