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


def pending_for_plan(user: Any, plan_id: int) -> list[ProgressionSuggestion]:
    """The pending suggestions of one plan the user may see (the plan builder shows them)."""
    return list(
        suggestions_for(user).filter(plan_id=plan_id, status=SuggestionStatus.PENDING)
    )
