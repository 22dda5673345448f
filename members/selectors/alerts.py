"""Reads about alerts: a PT's alerts, open first, and the line each one says."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from exercise_tracker import access
from members.models import Alert, AlertKind, AlertStatus
from members.services.alerts import TOO_HARD_RUN


def alerts_for(user: Any) -> QuerySet[Alert]:
    """Alerts this user may see, open first, then acknowledged, then resolved; newest first."""
    return (
        access.visible_alerts(user)
        .select_related("member__user", "exercise")
        .annotate(
            status_rank=Case(
                When(status=AlertStatus.OPEN, then=Value(0)),
                When(status=AlertStatus.ACKNOWLEDGED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("status_rank", "-created_at", "-id")
    )


# messaging.rules.red_flags' sign names, as the PT reads them (no words of the member's).
RED_FLAG_SIGN_WORDS = {
    "bladder_bowel": "bladder or bowel control",
    "saddle_numbness": "numbness in the groin or inner thighs",
    "leg_weakness": "worsening leg weakness",
}


def alert_message(alert: Alert) -> str:
    """The finding in a line: numbers and dates only, never the member's notes."""
    details = alert.details or {}
    if alert.kind == AlertKind.PAIN_SPIKE:
        before = details.get("pain_before")
        text = f"Pain {details.get('pain_after')}/10 after a session"
        if details.get("date"):
            text += f" on {details['date']}"
        return text + (f" (was {before}/10 before)." if before is not None else ".")
    if alert.kind == AlertKind.TOO_HARD_STREAK:
        name = alert.exercise.name if alert.exercise is not None else "An exercise"
        return f"{name} rated too hard in {TOO_HARD_RUN} sessions running."
    if alert.kind == AlertKind.RED_FLAG:
        signs = [RED_FLAG_SIGN_WORDS.get(str(sign), str(sign)) for sign in details.get("signs", [])]
        about = f" ({', '.join(signs)})" if signs else ""
        return (
            f"Urgent: a message from the member mentions red-flag symptoms{about}. "
            "Read the conversation and contact them today."
        )
    days = details.get("days_without_session")
    last = details.get("last_session")
    text = f"No session for {days} days" if days is not None else "No recent session"
    return text + (f" (last on {last})." if last else " since the plan started.")
