"""Reminder tasks: the minute dispatcher (beat) and the send of one delivery. Thin: they take ids
and call the services, which re-read the state and do nothing when the work is done.

Loaded by workers through CELERY_IMPORTS (settings), beside the apps' tasks modules.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db import OperationalError

from members.channels import TransientChannelError
from members.services.reminder_dispatch import dispatch_due_reminders as dispatch
from members.services.reminder_send import mark_failed, send_delivery

# Only what may work on a later try: a mail or SMS server that did not answer, a database
# connection that dropped. A bug is not retried (it would fail the same way, forever).
TRANSIENT = (TransientChannelError, OperationalError)


@shared_task(name="members.dispatch_due_reminders")
def dispatch_due_reminders() -> dict[str, int]:
    """Runs every minute from beat; two at once are safe (see the service)."""
    return dispatch().as_dict()


class SendTask(Task):
    """Records the delivery as failed once the retries are used up (or on a bug)."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        delivery_id = kwargs.get("delivery_id") if kwargs else None
        if delivery_id is None and args:
            delivery_id = args[0]
        if delivery_id is not None:
            mark_failed(delivery_id=int(delivery_id))


@shared_task(
    name="members.send_reminder",
    base=SendTask,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_reminder(delivery_id: int) -> str:
    """Sends one delivery if it still needs it; answers sent, skipped, failed or gone."""
    return send_delivery(delivery_id=delivery_id)
