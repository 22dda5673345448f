"""A PT's accept and dismiss buttons for progression suggestions (caseload page and plan
builder): plain forms, no script. Back to the page the PT came from."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from exercise_tracker import access
from exercise_tracker.views import role_required
from members.models import Role
from programs.services import suggestions as services


def _back(request: HttpRequest, plan_id: int) -> HttpResponse:
    if request.POST.get("back") == "builder":
        return redirect("programs:plan-edit", plan_id=plan_id)
    return redirect("caseload")


@require_POST
@role_required(Role.THERAPIST)
def suggestion_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ("accept", "dismiss"):
        raise Http404
    suggestion = get_object_or_404(
        access.visible_suggestions(request.user).select_related("member__user", "plan"), pk=pk
    )
    user = request.user
    try:
        if action == "accept":
            services.accept_suggestion(user=user, suggestion=suggestion)  # type: ignore[arg-type]
            messages.success(
                request,
                f"Accepted: {suggestion.member.user.display_name}'s plan has a new revision.",
            )
        else:
            services.dismiss_suggestion(
                user=user,  # type: ignore[arg-type]
                suggestion=suggestion,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "Suggestion dismissed; the reason is kept.")
    except services.StaleSuggestion:
        services.close_stale(suggestion=suggestion)
        messages.warning(request, "The plan changed after this suggestion was made: it is closed.")
    except services.SuggestionConflict as exc:
        messages.warning(request, str(exc))
    except ValidationError:
        messages.error(request, "Give a reason to dismiss a suggestion.")
    return _back(request, suggestion.plan_id)
