"""Queueing Celery tasks from a web request: after the commit, with no result subscription
(nobody waits on one), and never failing the request when the broker is away.

With Redis down, a plain `.delay()` subscribed to the task's result, retried for about 20 s and
then raised, so a committed enrolment or password reset answered 500. Here the publish is tried
once after the commit; when it fails, the request still succeeds and the work waits for its
sweeper (thumbnails, reminders) or for the person to ask again (resend an invitation, request
the reset again): README's Health paragraph says which.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def publish(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Puts one task on the broker now. False (and a warning) when the broker did not take it."""
    try:
        task.apply_async(args, kwargs, ignore_result=True)
    except Exception as exc:  # kombu's OperationalError, a Redis error: the broker is away
        logger.warning("task %s not queued (broker unavailable: %s)", task.name, type(exc).__name__)
        return False
    return True


def publish_after_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """`publish` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(publish, task, *args, **kwargs))
