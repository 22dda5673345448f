"""The member's today page: a card per exercise due, each with its precautions and steps, and a
log the member fills in themselves.

Nothing is assumed: each exercise is marked done, partly or skipped by the member (sets and reps
come from the dose only once it is marked done), feedback has no default, and pain before and
after are answered (0, "no pain", is one tap). "I did everything as prescribed" marks every
exercise done, as an explicit choice. After a painful session (the PT's pain-spike rule) the
member reads what to do now, not "Well done!".

The page's script sends the log to POST /api/v1/sessions/ and keeps it in the phone's storage
until the server took it; without the script, the form posts here and the same service logs it.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from exercise_tracker import access
from exercise_tracker.integers import MAX_ID, parse_int
from exercise_tracker.views import role_required
from members.inputs import SessionInputSerializer, logged_values
from members.models import EntryStatus, Member, Role, SessionStatus, User
from members.models.logs import MAX_DURATION_SECONDS_DONE, PAIN_MAX, RPE_MAX
from members.rules import safety
from members.selectors.sessions import Today, TodayItem, today_for
from members.services import sessions as services
from members.views.walks import today_context as walk_context
from programs.selectors.lessons import next_unread_lesson

PAIN_ADVICE_KEY = "today.pain_advice"  # the session flag: show the advice after the redirect
# (form field, dose key, entry field)
NUMBER_FIELDS = (
    ("sets", "sets", "sets_done"),
    ("reps", "reps", "reps_done"),
    ("hold", "hold_seconds", "hold_seconds_done"),
)


# Holds shorter than this are counted in one's head (ten 3-second holds): no timer for them.
TIMER_MIN_HOLD_SECONDS = 10


def timer_for(dose: dict[str, Any]) -> dict[str, Any] | None:
    """What the card's timer counts (members/timer.js): a hold of 10 s or more or a duration,
    then the rest between sets when the dose has one; a rest timer alone for other doses done
    in sets with a rest. None when there is nothing to count. The timer never logs anything."""
    sets = dose.get("sets") or 1
    rest = dose.get("rest_seconds") if sets > 1 else None
    hold, duration = dose.get("hold_seconds"), dose.get("duration_seconds")
    if hold and hold >= TIMER_MIN_HOLD_SECONDS:
        return {"kind": "hold", "work": hold, "rest": rest or None}
    if duration:
        return {"kind": "duration", "work": duration, "rest": rest or None}
    if rest:
        return {"kind": "rest", "work": None, "rest": rest}
    return None


def _card(item: TodayItem, post: Any) -> dict[str, Any]:
    """A today item with what its form fields need: the dose's numbers (the script fills them
    in once the exercise is marked done) and, after a refused post, what the member sent."""
    pid = item.plan_item
    duration = item.dose["duration_seconds"]
    minutes = math.ceil(duration / 60) if duration else None
    return {
        **item.as_dict(),
        "timer": timer_for(item.dose),
        "minutes": minutes,
        "max": {**item.max, "minutes": MAX_DURATION_SECONDS_DONE // 60},
        "status": EntryStatus.DONE
        if post.get("all_done") == "1"
        else post.get(f"status-{pid}", ""),
        "feedback": post.get(f"feedback-{pid}", ""),
        "values": {
            "sets": post.get(f"sets-{pid}", ""),
            "reps": post.get(f"reps-{pid}", ""),
            "hold": post.get(f"hold-{pid}", ""),
            "minutes": post.get(f"minutes-{pid}", ""),
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


def _entries_from_post(
    post: Any, today: Today, all_done: bool, errors: list[str]
) -> list[dict[str, Any]]:
    """One entry per exercise, with the status the member chose. "Done" with empty numbers
    means the dose as prescribed; "partly" takes the numbers given."""
    entries: list[dict[str, Any]] = []
    for item in today.items:
        pid = item.plan_item
        # "I did everything as prescribed" is the member's own answer for every exercise.
        status = EntryStatus.DONE if all_done else post.get(f"status-{pid}", "")
        if status not in EntryStatus.values:
            errors.append(f"{item.exercise['name']}: choose Done, Partly or Skipped.")
            continue
        if status == EntryStatus.SKIPPED:
            entries.append({"plan_item": pid, "status": status})
            continue
        dose = item.dose if status == EntryStatus.DONE else {}
        entry: dict[str, Any] = {"plan_item": pid, "status": status}
        for name, dose_name, field in NUMBER_FIELDS:
            value = _form_number(post.get(f"{name}-{pid}"))
            entry[field] = value if value is not None else dose.get(dose_name)
        minutes = _form_number(post.get(f"minutes-{pid}"))
        if minutes is None and dose.get("duration_seconds"):
            entry["duration_seconds_done"] = dose["duration_seconds"]
        else:
            entry["duration_seconds_done"] = minutes * 60 if isinstance(minutes, int) else minutes
        entry["feedback"] = post.get(f"feedback-{pid}") or None
        entries.append(entry)
    return entries


def session_status(entry_statuses: list[str]) -> str:
    """The session's status from what the member said of each exercise (the script's rule too)."""
    if entry_statuses and all(s == EntryStatus.DONE for s in entry_statuses):
        return SessionStatus.COMPLETED
    if all(s == EntryStatus.SKIPPED for s in entry_statuses):
        return SessionStatus.SKIPPED
    return SessionStatus.PARTIAL


def _log_from_post(request: HttpRequest, member: Member, today: Today) -> list[str]:
    """Logs the posted form (the page without its script). Returns error lines, or []."""
    post = request.POST
    skipped_today = post.get("status") == SessionStatus.SKIPPED
    errors: list[str] = []
    entries: list[dict[str, Any]] = []
    status: str = SessionStatus.SKIPPED
    pain_before = pain_after = rpe = None
    if not skipped_today:
        entries = _entries_from_post(post, today, post.get("all_done") == "1", errors)
        status = session_status([e["status"] for e in entries])
        pain_before = _form_number(post.get("pain_before"))
        pain_after = _form_number(post.get("pain_after"))
        rpe = _form_number(post.get("rpe"))
        if pain_before is None:
            errors.append("Pain before: choose a number (0 means no pain).")
        if pain_after is None and status != SessionStatus.SKIPPED:
            errors.append("Pain after: choose a number (0 means no pain).")
        if errors:
            return errors
    try:
        client_id: str | None = str(uuid.UUID(post.get("client_id", "")))
    except ValueError:
        client_id = None
    # The same shape check as the API's (members.inputs), then the same service.
    form = SessionInputSerializer(
        data={
            "client_id": client_id,
            "date": today.date.isoformat(),
            "status": status,
            "pain_before": pain_before,
            "pain_after": pain_after,
            "rpe": rpe,
            "notes": post.get("notes", ""),
            "entries": entries,
        }
    )
    if not form.is_valid():
        return [f"{field}: {' '.join(map(str, msgs))}" for field, msgs in form.errors.items()]
    data = form.validated_data
    try:
        services.log_session(
            member=member,
            by=cast(User, request.user),
            **logged_values(data),
        )
    except ValidationError as exc:
        return [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
    except services.ClientIdReused:
        pass  # a second tap of the same form: the first one is stored
    painful = isinstance(pain_after, int) and safety.needs_pain_advice(
        pain_before=pain_before if isinstance(pain_before, int) else None, pain_after=pain_after
    )
    if skipped_today or status == SessionStatus.SKIPPED:
        messages.success(request, "Noted: you skipped today. Rest well.")
    elif painful:
        request.session[PAIN_ADVICE_KEY] = True
        messages.info(request, "Session logged.")
    else:
        messages.success(request, "Session logged. Well done!")
    return []


@role_required(Role.MEMBER)
def today(request: HttpRequest) -> HttpResponse:
    member = access.own_member(request.user)
    plan_today = today_for(member, absolute=request.build_absolute_uri)
    errors: list[str] = []
    post: Any = {}
    if request.method == "POST":
        errors = _log_from_post(request, member, plan_today)
        if not errors:
            return redirect("today")
        post = request.POST
    context = {
        "member": member,
        "today": plan_today,
        "cards": [_card(item, post) for item in plan_today.items],
        "due": plan_today.due,
        "next_lesson": next_unread_lesson(request.user),
        "therapists": list(access.visible_therapists(request.user)),
        # One id per form: a double tap or a resent form stores one session.
        "client_id": uuid.uuid4(),
        # Nothing is pre-set: the member answers (a refused post keeps what they chose).
        "chosen": {name: post.get(name, "") for name in ("pain_before", "pain_after", "rpe")},
        "pain_scale": [str(n) for n in range(1, PAIN_MAX + 1)],
        "rpe_scale": [str(n) for n in range(0, RPE_MAX + 1)],
        "show_pain_advice": request.session.pop(PAIN_ADVICE_KEY, False),
        "errors": errors,
        **walk_context(member, plan_today.items, plan_today.date),
    }
    return render(request, "members/today.html", context, status=400 if errors else 200)
