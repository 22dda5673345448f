"""The member's today page: a card per exercise due, one tap to log the session.

The page's script sends the log to POST /api/v1/sessions/ and keeps it in the phone's storage
until the server took it; without the script, the form posts here and the same service logs it.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from exercise_tracker import access
from exercise_tracker.integers import MAX_ID, parse_int
from exercise_tracker.views import role_required
from members.models import Member, Role, SessionStatus
from members.models.logs import MAX_DURATION_SECONDS_DONE
from members.selectors.sessions import Today, TodayItem, today_for
from members.services import sessions as services

DEFAULT_RPE = 3  # "moderate": where most home programs sit


def _card(item: TodayItem) -> dict[str, Any]:
    """A today item with what its form fields need (duration in whole minutes)."""
    duration = item.dose["duration_seconds"]
    return {
        **item.as_dict(),
        "minutes": math.ceil(duration / 60) if duration else None,
        "max": {
            **item.max,
            "minutes": MAX_DURATION_SECONDS_DONE // 60,
        },
    }


def _form_number(raw: str | None) -> Any:
    """A form field as the service takes it: an int, None when empty, else the text (which the
    service then names as not a whole number)."""
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    number = parse_int(text, low=-MAX_ID)  # "²".isdigit() is true, and int("²") raises
    return text if number is None else number


def _entries_from_post(post: Any, today: Today) -> tuple[list[dict[str, Any]], int]:
    entries: list[dict[str, Any]] = []
    for item in today.items:
        pid = item.plan_item
        if post.get(f"done-{pid}") != "1":
            continue
        minutes = _form_number(post.get(f"minutes-{pid}"))
        entries.append(
            {
                "plan_item": pid,
                "sets_done": _form_number(post.get(f"sets-{pid}")),
                "reps_done": _form_number(post.get(f"reps-{pid}")),
                "hold_seconds_done": _form_number(post.get(f"hold-{pid}")),
                "duration_seconds_done": minutes * 60 if isinstance(minutes, int) else minutes,
                "feedback": post.get(f"feedback-{pid}") or None,
            }
        )
    return entries, len(today.items)


def _log_from_post(request: HttpRequest, member: Member, today: Today) -> list[str]:
    """Logs the posted form (the page without its script). Returns error lines, or []."""
    post = request.POST
    skipped = post.get("status") == SessionStatus.SKIPPED
    entries, total = ([], len(today.items)) if skipped else _entries_from_post(post, today)
    if skipped or not entries:
        status = SessionStatus.SKIPPED
    else:
        status = SessionStatus.COMPLETED if len(entries) == total else SessionStatus.PARTIAL
    try:
        client_id = uuid.UUID(post.get("client_id", ""))
    except ValueError:
        client_id = None
    try:
        services.log_session(
            member=member,
            local_date=today.date,
            client_id=client_id,
            status=status,
            pain_before=None if skipped else _form_number(post.get("pain_before")),
            pain_after=None if skipped else _form_number(post.get("pain_after")),
            rpe=None if skipped else _form_number(post.get("rpe")),
            notes=post.get("notes", ""),
            entries=entries,
        )
    except ValidationError as exc:
        return [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
    except services.ClientIdReused:
        pass  # a second tap of the same form: the first one is stored
    messages.success(
        request,
        "Noted: you skipped today. Rest well." if skipped else "Session logged. Well done!",
    )
    return []


@role_required(Role.MEMBER)
def today(request: HttpRequest) -> HttpResponse:
    member = access.own_member(request.user)
    plan_today = today_for(member, absolute=request.build_absolute_uri)
    errors: list[str] = []
    if request.method == "POST":
        errors = _log_from_post(request, member, plan_today)
        if not errors:
            return redirect("today")
    last = plan_today.last_scores
    context = {
        "member": member,
        "today": plan_today,
        "cards": [_card(item) for item in plan_today.items],
        "due": plan_today.due,
        "therapists": list(access.visible_therapists(request.user)),
        # One id per form: a double tap or a resent form stores one session.
        "client_id": uuid.uuid4(),
        "form_defaults": {
            # Last time's numbers are a closer guess than zero for someone in pain.
            "pain_before": last.get("pain_before") if last.get("pain_before") is not None else 0,
            "pain_after": last.get("pain_after") if last.get("pain_after") is not None else 0,
            "rpe": last.get("rpe") if last.get("rpe") is not None else DEFAULT_RPE,
        },
        "errors": errors,
    }
    return render(request, "members/today.html", context, status=400 if errors else 200)
