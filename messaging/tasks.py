"""Celery tasks of messaging: thin and idempotent, they call the services."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from exercise_tracker.queueing import publish

TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    name="messaging.make_message_thumbnail",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def make_message_thumbnail(message_id: int) -> bool:
    from messaging.services import messages

    return messages.make_thumbnail(message_id=message_id)


def queue_message_thumbnails(message_id: int) -> None:
    publish(make_message_thumbnail, message_id)


@shared_task(
    name="messaging.send_due_message_notices",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=3,
)
def send_due_message_notices() -> dict[str, int]:
    from messaging.services import notices

    return notices.send_due_notices()


@shared_task(name="messaging.queue_missing_message_thumbnails")
def queue_missing_message_thumbnails() -> int:
    from messaging.services import messages

    return messages.queue_missing_thumbnails()
