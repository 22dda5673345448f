"""A PT's caseload: their members with adherence figures, open alerts first, and the alerts
not yet resolved (pain among them: the read is audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exercise_tracker import audit
from members.models import Alert, Member
from members.models.alerts import ACTIVE_STATUSES
from members.selectors import adherence
from members.selectors.alerts import alert_message, alerts_for
from programs.selectors import plans

# The caseload page lists at most this many alerts not yet resolved (the API pages through all).
CASELOAD_ALERTS = 50


@dataclass
class Caseload:
    members: list[tuple[Member, Any]]  # each with its dashboard row (None: no figures yet)
    summary: Any
    alerts: list[tuple[Alert, str]]
    # member id → walking tolerance of the last weeks (members who recorded walks only)
    walking: dict[int, Any] = field(default_factory=dict)


def caseload(user: Any) -> Caseload:
    # Each member with the plan the PT works on and their open alerts (one query).
    members = plans.caseload_members(user)
    # The dashboard's figures for the caseload, in its order (at risk first); members with
    # new alerts before everyone else.
    board = adherence.dashboard(user, adherence.Filters(), with_weeks=False, page_size=None)
    place = {row.member_id: index for index, row in enumerate(board.rows)}
    figures = {row.member_id: row for row in board.rows}
    # Members with open alerts come first: they are who the PT should look at today.
    rows = sorted(members, key=lambda m: (-m.open_alerts, place.get(m.pk, len(place))))
    alerts = alerts_for(user).filter(status__in=ACTIVE_STATUSES)[:CASELOAD_ALERTS]
    audit.record_read_by_staff(user=user, member_id=None, object_type="members.caseload")
    return Caseload(
        members=[(member, figures.get(member.pk)) for member in rows],
        summary=board.summary(),
        alerts=[(alert, alert_message(alert)) for alert in alerts],
        walking=board.walking,
    )
