"""Celery tasks of the members app (the reminder tasks live in members/reminder_tasks.py): thin,
idempotent, calling services."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

# A database that went away for a moment may answer on the next try; a bug would not.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    name="members.raise_inactivity_alerts",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def raise_inactivity_alerts() -> int:
    """The daily check for members with an active plan and no session for 3 days. Running it
    twice (two beats, a redelivered message) raises nothing twice: one active alert per member
    and kind is a database constraint. Returns how many alerts were new."""
    from members.services.alerts import raise_inactivity_alerts as raise_alerts

    return raise_alerts()
