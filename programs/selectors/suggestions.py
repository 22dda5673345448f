"""Reads of progression suggestions: a PT's caseload's, pending first, newest first; each read
is a fixed number of queries whatever the number of rows (the tests count them)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from exercise_tracker import access
from programs.models import ProgressionSuggestion, SuggestionStatus


def suggestions_for(user: Any) -> QuerySet[ProgressionSuggestion]:
    return (
        access.visible_suggestions(user)
        .select_related("member__user", "plan", "plan_item__exercise")
        .annotate(
            status_rank=Case(
                When(status=SuggestionStatus.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("status_rank", "-created_at", "-id")
    )


def pending_suggestions(user: Any, *, plan_id: int | None = None) -> list[ProgressionSuggestion]:
    """The pending suggestions the user may see (of one plan when given): the caseload page and
    the plan builder show them. One query."""
    qs = suggestions_for(user).filter(status=SuggestionStatus.PENDING)
    if plan_id is not None:
        qs = qs.filter(plan_id=plan_id)
    return list(qs.order_by("member__user__last_name", "member_id", "-created_at", "-id"))
