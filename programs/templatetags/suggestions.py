"""`{% pending_suggestions %}`: the pending progression suggestions on the caseload page (all of
the PT's) and in the plan builder (one plan's), with accept and dismiss buttons (plain forms)."""

from __future__ import annotations

from typing import Any

from django import template

from programs.models import SuggestionRule
from programs.selectors.suggestions import pending_suggestions

register = template.Library()


@register.inclusion_tag("programs/_suggestions.html", takes_context=True)
def pending_suggestions_card(
    context: template.Context, plan: Any = None, back: str = "caseload"
) -> dict[str, Any]:
    request = context["request"]
    rows = pending_suggestions(request.user, plan_id=plan.pk if plan is not None else None)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "rows": [(s, SuggestionRule(s.rule).label) for s in rows],
        "back": back,
        "in_builder": plan is not None,
    }
