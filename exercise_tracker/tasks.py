"""Service-level tasks: a heartbeat that proves a worker runs and reaches the database."""

from celery import shared_task
from django.db import connection


@shared_task(name="exercise_tracker.heartbeat")
def heartbeat(token: str) -> dict[str, object]:
    """Answers with the token and whether the worker reached the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        row = cursor.fetchone()
    return {"token": token, "database": bool(row and row[0] == 1)}


@shared_task(name="exercise_tracker.purge_idempotency_records")
def purge_idempotency_records() -> int:
    """Deletes stored Idempotency-Key responses past their week; safe to run any number of times."""
    from .idempotency import purge_expired

    return purge_expired()
