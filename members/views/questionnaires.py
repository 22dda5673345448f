"""Questionnaire pages for members: what is due, a form per instrument, and the result."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from exercise_tracker import access
from exercise_tracker.integers import MAX_ID, parse_int
from exercise_tracker.views import role_required
from members.models import Instrument, Role
from members.rules import scoring
from members.rules.questionnaires import PSFS_ROWS, PSFS_SCALE, QUESTIONNAIRES, Questionnaire
from members.selectors.outcomes import CHRONOLOGY, due_assessments, previous_of
from members.services import outcomes as services


def _as_number(raw: str) -> Any:
    number = parse_int(raw.strip(), low=-MAX_ID)
    return raw if number is None else number  # scoring names the item that is not a number


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


@role_required(Role.MEMBER)
def questionnaires(request: HttpRequest) -> HttpResponse:
    member = access.own_member(request.user)
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
    member = access.own_member(request.user)
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
