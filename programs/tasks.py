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
def evaluate_progression(member_id: int, version: int | None = None) -> int:
    """The progression rules over a member's active plan after a session is logged or a plan
    revised (queued by beat's sweep of the member's pending evaluation, at its `version`).
    Idempotent: a second run adds nothing."""
    from programs.services.evaluations import evaluate_pending

    return evaluate_pending(member_id=member_id, version=version)


@shared_task(name="programs.queue_pending_evaluations")
def queue_pending_evaluations() -> int:
    """Beat, every 15 seconds: one evaluation queued per member whose logs or plan changed."""
    from programs.services.evaluations import queue_pending

    return queue_pending()
