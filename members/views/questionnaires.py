"""Questionnaire pages for members: what is due, a form per instrument, and the result."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from exercise_tracker import access, clock
from exercise_tracker.integers import MAX_ID, parse_int
from exercise_tracker.views import role_required
from members.models import Instrument, Role, User
from members.rules import scoring
from members.rules.questionnaires import Questionnaire, member_lines, questionnaire_from
from members.selectors import instruments
from members.selectors.outcomes import CHRONOLOGY, due_assessments, previous_of
from members.services import outcomes as services


def _as_number(raw: str) -> Any:
    number = parse_int(raw.strip(), low=-MAX_ID)
    return raw if number is None else number  # scoring names the item that is not a number


def _answers_from_post(form: Questionnaire, post: Any) -> Any:
    """The API's answer shape from the form's fields (e.g. odi-4, severity-7, psfs-score-2)."""
    if form.activities is not None:
        rows = []
        for n in range(1, form.activities.max_items + 1):
            activity = post.get(f"psfs-activity-{n}", "").strip()
            raw = post.get(f"psfs-score-{n}", "")
            if activity or raw:
                rows.append({"activity": activity, "score": _as_number(raw) if raw else None})
        return rows
    parts: dict[str, list[Any]] = {}
    for part in form.parts:
        values = []
        for item in part.items:
            raw = post.get(f"{part.key}-{item.number}", "")
            values.append(None if raw in ("", "skip") else _as_number(raw))
        if part.optional and all(v is None for v in values):
            continue
        parts[part.key] = values
    if form.instrument == Instrument.ZCQ:
        return parts
    return parts[form.parts[0].key]


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
                    "text": item.text,
                    # Answers with their own words read as a list; a numbered scale with
                    # worded ends (NPRS) stays a row of numbers.
                    "worded": sum(label != str(value) for value, label in item.choices) * 2
                    > len(item.choices),
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
    today = clock.local_today(member)
    due = due_assessments(member=member, on=today)
    latest = {
        row.instrument: row
        for row in access.visible_assessments(request.user).order_by(*CHRONOLOGY)
    }
    offered = instruments.offered_codes()
    rows = [
        {"instrument": i.value, "label": i.label, "latest": latest.get(i.value)}
        for i in Instrument
        if i.value in offered
    ]
    return render(
        request, "members/questionnaire_list.html", {"due": due, "rows": rows, "member": member}
    )


@role_required(Role.MEMBER)
def questionnaire(request: HttpRequest, instrument: str) -> HttpResponse:
    definition = instruments.definition(instrument)
    if definition is None or not definition["offered"]:
        # Unknown, or licensed wording the clinic has not loaded: not asked without its words.
        raise Http404
    member = access.own_member(request.user)
    form = questionnaire_from(definition)
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
                answers=_answers_from_post(form, request.POST),
                client_id=client_id,
                by=cast(User, request.user),
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
        "activities": form.activities,
        "psfs_rows": [
            {
                "n": n,
                "activity": values.get(f"psfs-activity-{n}", ""),
                "score": values.get(f"psfs-score-{n}", ""),
                "required": n <= form.activities.min_items,
            }
            for n in range(1, form.activities.max_items + 1)
        ]
        if form.activities is not None
        else [],
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
            "lines": member_lines(assessment.instrument, assessment.score),
            "title": Instrument(assessment.instrument).label,
        },
    )
