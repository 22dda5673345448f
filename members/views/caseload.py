"""The PT's caseload page: members with their adherence figures and open alerts first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from exercise_tracker.views import role_required
from members.models import Role
from members.models.alerts import ACTIVE_STATUSES
from members.selectors import adherence
from members.selectors.alerts import alert_message, alerts_for
from programs.selectors import plans

# The caseload page lists at most this many alerts not yet resolved (the API pages through all).
CASELOAD_ALERTS = 50


@role_required(Role.THERAPIST)
def caseload(request: HttpRequest) -> HttpResponse:
    # Each member with the plan the PT works on and their open alerts (one query).
    members = plans.caseload_members(request.user)
    # The dashboard's figures for the caseload, in its order (at risk first); members with
    # new alerts before everyone else.
    board = adherence.dashboard(request.user, adherence.Filters(), with_weeks=False)
    place = {row.member_id: index for index, row in enumerate(board.rows)}
    figures = {row.member_id: row for row in board.rows}
    # Members with open alerts come first: they are who the PT should look at today.
    rows = sorted(members, key=lambda m: (-m.open_alerts, place.get(m.pk, len(place))))
    alerts = alerts_for(request.user).filter(status__in=ACTIVE_STATUSES)[:CASELOAD_ALERTS]
    return render(
        request,
        "pages/caseload.html",
        {
            "members": [(member, figures.get(member.pk)) for member in rows],
            "summary": board.summary(),
            "source_note": adherence.SOURCE_NOTE,
            "alerts": [(alert, alert_message(alert)) for alert in alerts],
        },
    )
