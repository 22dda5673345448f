"""Reads about alerts: a PT's alerts, open first, and the line each one says."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from exercise_tracker import access
from members.models import Alert, AlertKind, AlertStatus
from members.models.alerts import URGENT_KINDS
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
            ),
            # A possible red flag comes before the other alerts of its status.
            urgent_rank=Case(
                When(kind__in=URGENT_KINDS, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("status_rank", "urgent_rank", "-created_at", "-id")
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
    walking = _walking_message(alert.kind, details)
    if walking is not None:
        return walking
    days = details.get("days_without_session")
    last = details.get("last_session")
    text = f"No session for {days} days" if days is not None else "No recent session"
    return text + (f" (last on {last})." if last else " since the plan started.")


SIDE_WORDS = {"left": "the left leg", "right": "the right leg", "both": "both legs", "none": "none"}


def _walking_message(kind: str, details: dict[str, Any]) -> str | None:
    """The line of a walking or leg symptom alert (members.rules.walking), or None."""
    on = f" on {details['date']}" if details.get("date") else ""
    if kind == AlertKind.WALK_TOLERANCE_DROP:
        return (
            f"Walking tolerance halved: {details.get('median_last_7_days')} minutes before leg "
            f"symptoms over the last 7 days, against {details.get('median_days_8_14')} the week "
            "before (medians)."
        )
    if kind == AlertKind.LEG_WEAKNESS:
        where = SIDE_WORDS.get(str(details.get("weakness")), "a leg")
        why = (
            "new since the last check-in"
            if details.get("new")
            else "on more sides than last time"
            if details.get("more_sides")
            else "said to be worse"
        )
        return (
            f"URGENT: leg weakness in {where}, {why}{on}. "
            "The member was told to get emergency care."
        )
    if kind == AlertKind.NUMBNESS_SPREADING:
        where = SIDE_WORDS.get(str(details.get("numbness")), "a leg")
        before = SIDE_WORDS.get(str(details.get("numbness_before")), "")
        since = f" (was {before})" if details.get("more_sides") and before else ""
        return f"Numbness spreading: now in {where}{since}{on}."
    if kind == AlertKind.SYMPTOMS_WORSE:
        now = ", ".join(details.get("worse_now") or [])
        return f"Leg symptoms worse two check-ins running ({now} worse{on})."
    return None
