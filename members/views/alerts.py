"""A PT's alert buttons on the caseload page: acknowledge and resolve, without any script."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from exercise_tracker import access
from exercise_tracker.views import role_required
from members.models import Role
from members.services import alerts as services

ACTIONS = {
    "acknowledge": (services.acknowledge_alert, "Alert acknowledged."),
    "resolve": (services.resolve_alert, "Alert resolved."),
}


@require_POST
@role_required(Role.THERAPIST)
def alert_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    alert = get_object_or_404(access.visible_alerts(request.user), pk=pk)
    service, done = ACTIONS[action]
    try:
        service(alert=alert, user=request.user)
    except services.AlertConflict as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("caseload")
