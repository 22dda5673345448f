"""Celery tasks of the members app: thin and idempotent, taking ids and calling the services,
which re-read the state and do nothing when the work is done.

- `members.dispatch_due_reminders` (beat, every minute) and `members.send_reminder` (one
  delivery, acks late, retried with backoff on transient errors only);
- `members.raise_inactivity_alerts` (beat, daily);
- `members.roll_over_adherence` (beat, every 15 minutes): members whose local day has ended get
  their adherence figures rebuilt.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from members.services.channels import TransientChannelError
from members.services.reminder_dispatch import dispatch_due_reminders as dispatch
from members.services.reminder_send import mark_failed, send_delivery

logger = logging.getLogger(__name__)

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


@shared_task(
    name="members.roll_over_adherence",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def roll_over_adherence() -> int:
    """Rebuilds the figures of members whose local day has ended since their last refresh
    (their sessions of that day have all come due). Idempotent: a second run finds nobody."""
    from members.services.adherence import roll_over

    return roll_over()


# Sends retry only what may work on a later try: a mail or SMS server that did not answer, a
# database connection that dropped. A bug is not retried (it would fail the same way, forever).
TRANSIENT = (TransientChannelError, OperationalError)


def queue_sends(delivery_ids: list[int]) -> None:
    """Puts one send task per delivery on the broker (the dispatcher's `enqueue`).

    Nobody waits for a send's result (the delivery row says what became of it), so none is
    subscribed to: with Redis down, subscribing to the result blocked for 20 s of reconnects and
    then raised a RuntimeError; now the publish fails at once with the broker's error, the
    delivery stays pending, and a tick after Redis is back queues it again (within the grace
    window)."""
    for delivery_id in delivery_ids:
        send_reminder.apply_async((delivery_id,), ignore_result=True)


@shared_task(name="members.dispatch_due_reminders")
def dispatch_due_reminders() -> dict[str, int]:
    """Runs every minute from beat; two at once are safe (see the service)."""
    return dispatch(enqueue=queue_sends).as_dict()


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


# An invitation is retried when the mail or SMS server did not take it; a resend in between
# makes the retry a no-op (its token is no longer the invitation's).
@shared_task(
    name="members.send_invitation",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_invitation(invitation_id: int, token: str) -> str:
    """Emails (and texts) one invitation's link; answers sent, skipped or gone."""
    from members.services.invitations import send_invitation as send

    return send(invitation_id=invitation_id, token=token)


@shared_task(
    name="members.send_password_reset",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def send_password_reset(user_id: int) -> bool:
    """Emails a password-reset link to one account; gone or inactive accounts get nothing."""
    from members.services.accounts import send_reset_email

    return send_reset_email(user_id=user_id)


@shared_task(
    name="members.close_discharged_accounts",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def close_discharged_accounts() -> int:
    """The daily close of accounts whose read-only access after discharge has run out.
    Idempotent: a closed episode is not found again. Returns how many accounts were closed."""
    from members.services.discharge import close_expired_accounts

    return close_expired_accounts()


@shared_task(
    name="members.run_member_import",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=3,
)
def run_member_import(job_id: int) -> str:
    """Enrols the members of a CSV file uploaded on the import page (checked before queuing).
    Idempotent: members already enrolled are left as they are; a finished import does nothing."""
    from members.services.imports import run_import

    return run_import(job_id=job_id)
