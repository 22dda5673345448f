"""Celery tasks of the programs app: thin, idempotent, taking ids and calling services."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from programs.services.images import make_thumbnails as make

# Transient: the database or the storage's network went away for a moment. A file Pillow
# cannot read is not transient and is never retried.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    name="programs.make_thumbnails",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def make_thumbnails(image_id: int) -> bool:
    """Makes an exercise image's thumbnails; does nothing when they exist or the row is gone."""
    return make(image_id=image_id)


def queue_thumbnails(image_id: int) -> None:
    """The image service's queue: one task per new image (no result subscription: with the
    broker away the upload is not held up; beat's sweep queues it later)."""
    make_thumbnails.apply_async((image_id,), ignore_result=True)


@shared_task(name="programs.queue_missing_thumbnails")
def queue_missing_thumbnails() -> int:
    """Beat, every 10 minutes: thumbnails not queued while the broker was down."""
    from programs.services.images import queue_missing_thumbnails as queue

    return queue()


@shared_task(
    name="programs.evaluate_progression",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def evaluate_progression(member_id: int) -> int:
    """The progression rules over a member's active plan after a session is logged or a plan
    revised (queued after the commit). Idempotent: a second run adds nothing."""
    from programs.services.suggestions import evaluate_member

    return evaluate_member(member_id=member_id)
