"""Pages for outcomes and history: questionnaires for members, the history of days done, pain
and scores over time for the member and their PT."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from exercise_tracker import access, audit
from exercise_tracker.views import role_required
from members import scoring
from members.models import Instrument, Member, Role
from members.selectors.outcomes import (
    CHRONOLOGY,
    due_assessments,
    previous_of,
    score_series,
    session_history,
)
from members.services import outcomes as services

HISTORY_WEEKS = 12

# --- questionnaire forms ----------------------------------------------------------------------
# Labels are short neutral topics in our own words: the wording of ODI and ZCQ is licensed and
# stays on the paper form the clinic holds the licence for.


@dataclass(frozen=True)
class Item:
    number: int
    label: str
    choices: tuple[tuple[int, str], ...]
    skippable: bool = True


@dataclass(frozen=True)
class Part:
    key: str
    title: str
    hint: str
    items: tuple[Item, ...]
    optional: bool = False


@dataclass(frozen=True)
class Questionnaire:
    instrument: str
    title: str
    intro: str
    parts: tuple[Part, ...] = field(default_factory=tuple)


def _scale(low: int, high: int, low_label: str, high_label: str) -> tuple[tuple[int, str], ...]:
    return tuple(
        (n, f"{n} {low_label}" if n == low else f"{n} {high_label}" if n == high else str(n))
        for n in range(low, high + 1)
    )


ODI_TOPICS = (
    "Pain intensity",
    "Personal care",
    "Lifting",
    "Walking",
    "Sitting",
    "Standing",
    "Sleeping",
    "Sex life",
    "Social life",
    "Travelling",
)
ZCQ_SEVERITY_TOPICS = (
    "Pain overall",
    "How often pain comes",
    "Back pain",
    "Leg pain",
    "Numbness or tingling in the legs",
    "Weakness in the legs",
    "Balance",
)
ZCQ_FUNCTION_TOPICS = (
    "Walking distance",
    "Walks for pleasure",
    "Shopping",
    "Walking around home",
    "Short walks",
)
ZCQ_SATISFACTION_TOPICS = (
    "Results overall",
    "Pain relief",
    "Walking distance",
    "Housework and yard work",
    "Leg strength",
    "Balance",
)

QUESTIONNAIRES: dict[str, Questionnaire] = {
    Instrument.NPRS: Questionnaire(
        Instrument.NPRS,
        "Pain rating",
        "Rate your usual pain over the last 24 hours.",
        (
            Part(
                "nprs",
                "",
                "",
                (Item(1, "Pain", _scale(0, 10, "no pain", "worst imaginable"), skippable=False),),
            ),
        ),
    ),
    Instrument.ODI: Questionnaire(
        Instrument.ODI,
        "Oswestry Disability Index",
        "For each section, choose the number from your clinic's Oswestry form that fits you "
        "today: 0 means no difficulty, 5 the most. Skip a section that does not apply.",
        (
            Part(
                "odi",
                "",
                "",
                tuple(
                    Item(n, topic, _scale(0, 5, "none", "most"))
                    for n, topic in enumerate(ODI_TOPICS, start=1)
                ),
            ),
        ),
    ),
    Instrument.ZCQ: Questionnaire(
        Instrument.ZCQ,
        "Zurich Claudication Questionnaire",
        "Choose the number from your clinic's Zurich form for each item. Higher numbers mean "
        "more trouble.",
        (
            Part(
                "severity",
                "Symptoms",
                "Over the last month; 1 none, 5 the most.",
                tuple(
                    Item(
                        n,
                        topic,
                        ((1, "1 good"), (3, "3 some trouble"), (5, "5 poor"))
                        if n == scoring.ZCQ_BALANCE_ITEM
                        else _scale(1, 5, "none", "most"),
                    )
                    for n, topic in enumerate(ZCQ_SEVERITY_TOPICS, start=1)
                ),
            ),
            Part(
                "function",
                "Physical function",
                "What you can do now; 1 easily, 4 not at all.",
                tuple(
                    Item(n, topic, _scale(1, 4, "easily", "not at all"))
                    for n, topic in enumerate(ZCQ_FUNCTION_TOPICS, start=1)
                ),
            ),
            Part(
                "satisfaction",
                "Satisfaction with treatment",
                "Only after treatment, when your physical therapist asks; 1 very satisfied, "
                "4 very dissatisfied. Leave all empty otherwise.",
                tuple(
                    Item(n, topic, _scale(1, 4, "very satisfied", "very dissatisfied"))
                    for n, topic in enumerate(ZCQ_SATISFACTION_TOPICS, start=1)
                ),
                optional=True,
            ),
        ),
    ),
    Instrument.PSFS: Questionnaire(
        Instrument.PSFS,
        "Patient-Specific Functional Scale",
        "Name 3 to 5 activities that are hard for you now, and rate each: 0 unable to do it, "
        "10 able to do it as before the problem.",
    ),
}
PSFS_ROWS = scoring.PSFS_MAX_ACTIVITIES
PSFS_SCALE = _scale(0, 10, "unable", "as before")


def _as_number(raw: str) -> Any:
    try:
        return int(raw)
    except ValueError:
        return raw  # scoring names the item that is not a number


def _answers_from_post(instrument: str, post: Any) -> Any:
    """The API's answer shape from the form's fields (e.g. odi-4, severity-7, psfs-score-2)."""
    if instrument == Instrument.PSFS:
        rows = []
        for n in range(1, PSFS_ROWS + 1):
            activity = post.get(f"psfs-activity-{n}", "").strip()
            raw = post.get(f"psfs-score-{n}", "")
            if activity or raw:
                rows.append({"activity": activity, "score": _as_number(raw) if raw else None})
        return rows
    questionnaire = QUESTIONNAIRES[instrument]
    parts: dict[str, list[Any]] = {}
    for part in questionnaire.parts:
        values = []
        for item in part.items:
            raw = post.get(f"{part.key}-{item.number}", "")
            values.append(None if raw in ("", "skip") else _as_number(raw))
        if part.optional and all(v is None for v in values):
            continue
        parts[part.key] = values
    if instrument == Instrument.ZCQ:
        return parts
    return parts[questionnaire.parts[0].key]


def _form_parts(form: Questionnaire, values: dict[str, str]) -> list[dict[str, Any]]:
    """The parts and items ready for the template: field names and what was chosen."""
    return [
        {
            "key": part.key,
            "title": part.title,
            "hint": part.hint,
            "optional": part.optional,
            "items": [
                {
                    "number": item.number,
                    "label": item.label,
                    "name": f"{part.key}-{item.number}",
                    "choices": [
                        {"value": str(value), "label": label} for value, label in item.choices
                    ],
                    "selected": values.get(f"{part.key}-{item.number}", ""),
                    "skippable": item.skippable,
                }
                for item in part.items
            ],
        }
        for part in form.parts
    ]


def _member_or_404(request: HttpRequest) -> Member:
    member = access.member_for(request.user)
    if member is None:
        raise Http404
    return member


@role_required(Role.MEMBER)
def questionnaires(request: HttpRequest) -> HttpResponse:
    member = _member_or_404(request)
    today = timezone.localtime(timezone.now(), member.tz).date()
    due = due_assessments(member=member, on=today)
    latest = {
        row.instrument: row
        for row in access.visible_assessments(request.user).order_by(*CHRONOLOGY)
    }
    rows = [
        {"instrument": i.value, "label": i.label, "latest": latest.get(i.value)} for i in Instrument
    ]
    return render(
        request, "members/questionnaire_list.html", {"due": due, "rows": rows, "member": member}
    )


@role_required(Role.MEMBER)
def questionnaire(request: HttpRequest, instrument: str) -> HttpResponse:
    if instrument not in QUESTIONNAIRES:
        raise Http404
    member = _member_or_404(request)
    form = QUESTIONNAIRES[instrument]
    errors: list[str] = []
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in request.POST}
        try:
            client_id = uuid.UUID(request.POST.get("client_id", ""))
        except ValueError:
            client_id = None
        try:
            assessment, _ = services.record_assessment(
                member=member,
                instrument=instrument,
                answers=_answers_from_post(instrument, request.POST),
                client_id=client_id,
            )
        except ValidationError as exc:
            errors = [message for messages in exc.message_dict.values() for message in messages]
        except services.ClientIdReused as exc:
            # A second tap that changed an answer: show the first result, which is stored.
            assessment = exc.existing
        if not errors:
            return redirect("questionnaire-result", pk=assessment.pk)
    context = {
        "form": form,
        "parts": _form_parts(form, values),
        "instrument": instrument,
        "errors": errors,
        "values": values,
        # A fresh id per form: a double tap or a resent form stores one questionnaire.
        "client_id": values.get("client_id") or uuid.uuid4(),
        "psfs_rows": [
            {
                "n": n,
                "activity": values.get(f"psfs-activity-{n}", ""),
                "score": values.get(f"psfs-score-{n}", ""),
            }
            for n in range(1, PSFS_ROWS + 1)
        ],
        "psfs_scale": PSFS_SCALE,
        "psfs_required": scoring.PSFS_MIN_ACTIVITIES,
    }
    status = 400 if errors else 200
    return render(request, "members/questionnaire.html", context, status=status)


@role_required(Role.MEMBER)
def questionnaire_result(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(access.visible_assessments(request.user), pk=pk)
    result = scoring.score(assessment.instrument, assessment.answers)
    previous = previous_of(assessment)
    change = (
        scoring.compare(
            assessment.instrument, Decimal(previous.score_value), Decimal(assessment.score_value)
        )
        if previous is not None
        else None
    )
    return render(
        request,
        "members/questionnaire_result.html",
        {
            "assessment": assessment,
            "result": result,
            "previous": previous,
            "change": change,
            "title": QUESTIONNAIRES[assessment.instrument].title,
        },
    )


# --- history ----------------------------------------------------------------------------------

STATUS_SYMBOLS = {
    "completed": ("✓", "Done"),
    "partial": ("◐", "Partly done"),
    "skipped": ("✕", "Skipped"),
}


def _history_context(member: Member) -> dict[str, Any]:
    today = timezone.localtime(timezone.now(), member.tz).date()
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
    return {
        "member": member,
        "today": today,
        "start": start,
        "weeks": weeks,
        "counts": counts,
        "legend": STATUS_SYMBOLS.values(),
        "chart_data": {"pain": pain, "series": series},
        "pain": pain,
        "series": series,
    }


@role_required(Role.MEMBER)
def member_history(request: HttpRequest) -> HttpResponse:
    member = _member_or_404(request)
    context = _history_context(member) | {"own": True}
    return render(request, "members/history.html", context)


@role_required(Role.THERAPIST, Role.STAFF)
def member_history_for_staff(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(access.visible_members(request.user), pk=member_id)
    audit.record_read_by_staff(request=request, member_id=member.pk, object_type="members.history")
    context = _history_context(member) | {"own": False}
    return render(request, "members/history.html", context)
