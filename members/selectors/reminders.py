"""Reads for reminders: what today holds for a member (exercises, sessions logged), the member's
reminders and inbox. A fixed number of queries each, whatever the history. The streak in a
reminder's words is the today page's (members.selectors.sessions.streak_for)."""

from __future__ import annotations

from datetime import date
from typing import Any

from members.models import (
    Member,
    Notification,
    SessionLog,
)
from programs.selectors.schedule import prescribed_sessions


def todays_exercise_names(*, member: Member, today: date) -> list[str]:
    """Names of the exercises prescribed on the member's local date, in plan order, once each."""
    day = prescribed_sessions(member=member, start=today, end=today).get(today)
    names: list[str] = []
    for prescribed in day.items if day is not None else ():
        name = prescribed.item.exercise.name
        if name not in names:
            names.append(name)
    return names


def logged_on(*, member_id: int, day: date) -> bool:
    """Whether the member logged a session (any status) on that local date.

    Any status counts, "skipped" too: a member who told us about today has been reached, and a
    reminder after that is the nag that makes people switch reminders off."""
    return SessionLog.objects.filter(member_id=member_id, local_date=day).exists()


def last_logged_date(*, member_id: int, before: date) -> date | None:
    """The member's latest local date with any session log before `before`."""
    return (
        SessionLog.objects.filter(member_id=member_id, local_date__lt=before)
        .order_by("-local_date")
        .values_list("local_date", flat=True)
        .first()
    )


def unread_count(user: Any) -> int:
    """Unread in-app notifications: one indexed count on (user, read_at)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()
