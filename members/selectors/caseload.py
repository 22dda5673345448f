"""A PT's caseload: their members with adherence figures, open alerts first, and the alerts
not yet resolved (pain among them: the read is audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from exercise_tracker import access, audit
from members.models import Alert, AlertStatus, Member
from members.models.alerts import ACTIVE_STATUSES
from members.selectors import adherence
from members.selectors.alerts import alert_message, alerts_for
from programs.models import Plan, PlanStatus

# The caseload page lists at most this many alerts not yet resolved (the API pages through all).
CASELOAD_ALERTS = 50


@dataclass
class Caseload:
    members: list[tuple[Member, Any]]  # each with its dashboard row (None: no figures yet)
    summary: Any
    alerts: list[tuple[Alert, str]]


def caseload(user: Any) -> Caseload:
    # The plan a PT works on for each member: the newest not completed (one subquery, no loop).
    current_plan = (
        Plan.objects.filter(member=OuterRef("pk"))
        .exclude(status=PlanStatus.COMPLETED)
        .order_by("-start_date", "-id")
    )
    # Members with open alerts come first: they are who the PT should look at today.
    open_alerts = (
        Alert.objects.filter(member=OuterRef("pk"), status=AlertStatus.OPEN)
        .order_by()
        .values("member")
        .annotate(n=Count("id"))
        .values("n")
    )
    members = (
        access.visible_members(user)
        .select_related("user")
        .annotate(
            plan_id=Subquery(current_plan.values("id")[:1]),
            plan_status=Subquery(current_plan.values("status")[:1]),
            open_alerts=Coalesce(Subquery(open_alerts), 0),
        )
    )
    # The dashboard's figures for the caseload, in its order (at risk first); members with
    # new alerts before everyone else.
    board = adherence.dashboard(user, adherence.Filters(), with_weeks=False)
    place = {row.member_id: index for index, row in enumerate(board.rows)}
    figures = {row.member_id: row for row in board.rows}
    rows = sorted(members, key=lambda m: (-m.open_alerts, place.get(m.pk, len(place))))
    alerts = alerts_for(user).filter(status__in=ACTIVE_STATUSES)[:CASELOAD_ALERTS]
    audit.record_read_by_staff(user=user, member_id=None, object_type="members.caseload")
    return Caseload(
        members=[(member, figures.get(member.pk)) for member in rows],
        summary=board.summary(),
        alerts=[(alert, alert_message(alert)) for alert in alerts],
    )
