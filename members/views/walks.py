"""The member's walks and leg symptom check-ins: a walk form (on today when the plan has a
walking item, and on its own page), the weekly check-in, and what follows from it.

Nothing is pre-filled: every number and choice is the member's own answer. The forms go
through the same input shapes (members.walk_inputs) and services as the API. After a check-in
reporting leg weakness that is new or getting worse, the member reads the emergency guidance
(members.rules.safety's words).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from exercise_tracker import access, clock
from exercise_tracker.integers import MAX_ID, parse_int
from exercise_tracker.views import role_required
from members.models import Member, Role, SymptomChange, SymptomSide, User, WalkSupport
from members.models.walks import MAX_WALK_MINUTES, SYMPTOMS
from members.rules import safety
from members.selectors import walks as selectors
from members.services import walks as services
from members.walk_inputs import (
    SymptomCheckInputSerializer,
    WalkInputSerializer,
    check_values,
    walk_values,
)

OUTCOME_KEY = "symptoms.outcome"  # the session flag: what to show after the redirect
RECENT_WALKS = 10
SYMPTOM_WORDS = {
    "numbness": ("Numbness", "a dead or dulled feeling in the leg or foot"),
    "tingling": ("Tingling", "pins and needles"),
    "weakness": ("Weakness", "the leg gives way, or the foot drags or slaps"),
}
NUMBER_WORDS = {
    "minutes_to_symptoms": "Minutes before leg symptoms started",
    "total_minutes": "Total minutes walked",
    "rests": "Rests taken",
    "distance_m": "Distance",
    "support": "Leaned on",
    "date": "Date",
    "plan_item": "Walking exercise",
    "non_field_errors": "",
}


def _number(raw: str | None) -> Any:
    """A form field as the input shape takes it: an int, None when empty, else the text (which
    the shape then names as not a whole number)."""
    if raw is None or raw.strip() == "":
        return None
    number = parse_int(raw.strip(), low=-MAX_ID)
    return raw.strip() if number is None else number


def _client_id(post: Any) -> str | None:
    try:
        return str(uuid.UUID(post.get("client_id", "")))
    except ValueError:
        return None


def _lines(errors: dict[str, list[str]], words: dict[str, str]) -> list[str]:
    return [
        f"{words.get(field, field)}: {' '.join(map(str, msgs))}".lstrip(": ")
        for field, msgs in errors.items()
    ]


def walk_form(member: Member, *, post: Any = None, plan_item: int | None = None) -> dict[str, Any]:
    """What the walk form needs: a fresh client id, what was sent after a refused post."""
    post = post or {}
    return {
        "client_id": uuid.uuid4(),
        "plan_item": plan_item,
        "max_minutes": MAX_WALK_MINUTES,
        "supports": WalkSupport.choices,
        "values": {
            name: post.get(name, "")
            for name in (
                "symptoms",
                "minutes_to_symptoms",
                "total_minutes",
                "rests",
                "distance_m",
                "support",
            )
        },
    }


def _log_walk(request: HttpRequest, member: Member) -> list[str]:
    post = request.POST
    errors: list[str] = []
    came = post.get("symptoms", "")
    if came not in ("yes", "no"):
        errors.append("Leg symptoms: say whether they came on during the walk.")
    minutes_to_symptoms = _number(post.get("minutes_to_symptoms")) if came == "yes" else None
    if came == "yes" and minutes_to_symptoms is None:
        errors.append(f"{NUMBER_WORDS['minutes_to_symptoms']}: give the minutes.")
    errors += [
        f"{NUMBER_WORDS[name]}: give a number."
        for name in ("total_minutes", "rests")
        if _number(post.get(name)) is None
    ]
    if errors:
        return errors
    form = WalkInputSerializer(
        data={
            "client_id": _client_id(post),
            "date": clock.local_today(member).isoformat(),
            "minutes_to_symptoms": minutes_to_symptoms,
            "total_minutes": _number(post.get("total_minutes")),
            "rests": _number(post.get("rests")),
            "distance_m": _number(post.get("distance_m")),
            "support": post.get("support") or None,
            "plan_item": _number(post.get("plan_item")),
        }
    )
    if not form.is_valid():
        return _lines(dict(form.errors), NUMBER_WORDS)
    try:
        services.log_walk(
            member=member, by=cast(User, request.user), **walk_values(form.validated_data)
        )
    except ValidationError as exc:
        return _lines(exc.message_dict, NUMBER_WORDS)
    except services.ClientIdReused:
        pass  # a second tap of the same form: the first one is stored
    messages.success(request, "Walk recorded.")
    return []


@role_required(Role.MEMBER)
def walks_page(request: HttpRequest) -> HttpResponse:
    member = access.own_member(request.user)
    errors: list[str] = []
    if request.method == "POST":
        errors = _log_walk(request, member)
        if not errors:
            return redirect("today" if request.POST.get("next") == "today" else "walks")
    recent = list(selectors.walks_for(request.user)[:RECENT_WALKS])
    context = {
        "walk": walk_form(
            member,
            post=request.POST if errors else None,
            plan_item=_number(request.POST.get("plan_item")) if errors else None,
        ),
        "recent": recent,
        "errors": errors,
    }
    return render(request, "members/walks.html", context, status=400 if errors else 200)


# --- leg symptom check-ins ----------------------------------------------------------------------


def _symptom_fields(post: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "label": SYMPTOM_WORDS[name][0],
            "hint": SYMPTOM_WORDS[name][1],
            "sides": SymptomSide.choices,
            "changes": SymptomChange.choices,
            "side": post.get(name, ""),
            "change": post.get(f"{name}_change", ""),
        }
        for name in SYMPTOMS
    ]


def _log_check(request: HttpRequest, member: Member) -> list[str]:
    post = request.POST
    data: dict[str, Any] = {
        "client_id": _client_id(post),
        "date": clock.local_today(member).isoformat(),
    }
    errors: list[str] = []
    for name in SYMPTOMS:
        label = SYMPTOM_WORDS[name][0]
        side = post.get(name, "")
        if not side:
            errors.append(f"{label}: choose None, Left leg, Right leg or Both legs.")
        data[name] = side or None
        data[f"{name}_change"] = post.get(f"{name}_change") or None
        if side and side != SymptomSide.NONE and not data[f"{name}_change"]:
            errors.append(f"{label}: Felt in a leg: say whether it is better, the same or worse.")
    if errors:
        return errors
    form = SymptomCheckInputSerializer(data=data)
    words = {
        **{name: SYMPTOM_WORDS[name][0] for name in SYMPTOMS},
        **{f"{name}_change": SYMPTOM_WORDS[name][0] for name in SYMPTOMS},
        "date": "Date",
        "non_field_errors": "",
    }
    if not form.is_valid():
        return _lines(dict(form.errors), words)
    try:
        outcome = services.log_symptom_check(
            member=member, by=cast(User, request.user), **check_values(form.validated_data)
        )
    except ValidationError as exc:
        return _lines(exc.message_dict, words)
    except services.ClientIdReused:
        return []
    request.session[OUTCOME_KEY] = (
        "weakness" if outcome.weakness_alarm else "told" if outcome.pt_told else "noted"
    )
    return []


@role_required(Role.MEMBER)
def symptoms_page(request: HttpRequest) -> HttpResponse:
    member = access.own_member(request.user)
    errors: list[str] = []
    post: Any = {}
    if request.method == "POST":
        errors = _log_check(request, member)
        if not errors:
            return redirect("symptoms")
        post = request.POST
    today = clock.local_today(member)
    context = {
        "fields": _symptom_fields(post),
        "client_id": uuid.uuid4(),
        "errors": errors,
        "outcome": request.session.pop(OUTCOME_KEY, ""),
        "guidance": safety.WEAKNESS_GUIDANCE,
        "told": safety.SYMPTOMS_PT_TOLD,
        "due": selectors.check_due(member, today=today),
        "last": selectors.last_check(member),
        "recent": selectors.check_history(member, start=today - timedelta(weeks=8))[::-1],
    }
    return render(request, "members/symptoms.html", context, status=400 if errors else 200)


def today_context(member: Member, items: list[Any], today: Any) -> dict[str, Any]:
    """What the today page shows about walks and leg symptoms: the walk form when the plan has
    a walking item today, and the weekly check-in when it is due."""
    walking = next((item for item in items if selectors.is_walking_item(item.exercise)), None)
    return {
        "walking_item": walking,
        "walk": walk_form(member, plan_item=walking.plan_item) if walking is not None else None,
        "symptom_check_due": selectors.check_due(member, today=today),
    }
