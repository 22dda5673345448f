"""The outbox of progression evaluations: a change the rules should read (a session logged or
corrected, a plan revised) writes the member's `PendingEvaluation` row in its own transaction,
and beat's sweep queues the evaluations (`programs.evaluate_progression`).

Before, each change published the task to the broker after its commit: 0.86 ms of CPU in the
session POST (a sixth of it), and a change committed while the broker was away, or by a process
that died between the commit and the publish, was never evaluated. Now the row is one more part
of the change's own statement (the session POST on PostgreSQL: `request_from`) or one upsert
(`request`), and what is written is evaluated once the broker is there.

- A change inserts the row, or adds one to its version and clears `queued_at` when it exists.
- The sweep (`queue_pending`, beat's "queue-progression-evaluations" every 15 seconds) claims
  the rows not queued, oldest first (rows locked and skipped by a concurrent sweep), marks them
  queued and publishes one task per row with its version. A row queued longer than
  REQUEUE_AFTER ago (a worker died with the task, the broker lost it) is queued again; when the
  broker refuses, the rest wait for the next tick.
- The evaluation (`evaluate_pending`) runs the rules and deletes the row only at the version it
  was queued for, in one transaction: a change committed meanwhile has a newer version, so its
  row stays for the next sweep. Evaluating twice adds nothing (programs.services.suggestions).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q
from django.utils import timezone

from programs.models import PendingEvaluation

# A queued evaluation not done by then was lost (the task's own retries end within a minute):
# queued again. One that fails every time (not a passing database error) is tried again at this
# pace, each failure in the worker's log, and its row stays.
REQUEUE_AFTER = timedelta(minutes=15)
# Rows claimed per sweep: at beat's 15 seconds, 4,000 members a minute.
BATCH = 1000


def _upsert_sql(vendor: str, source: str | None) -> str:
    made = _sql.get((vendor, source))
    if made is None:
        quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
        table = quote(PendingEvaluation._meta.db_table)
        columns = ", ".join(quote(c) for c in ("member_id", "requested_at", "version"))
        # With a source (a WITH query's name): a row only when that query returned one.
        rows = (
            f"SELECT %s, %s, 1 FROM {quote(source)}"  # noqa: S608 (a WITH query's name)
            if source
            else "VALUES (%s, %s, 1)"
        )
        made = _sql[(vendor, source)] = (
            f"INSERT INTO {table} ({columns}) {rows} "
            f"ON CONFLICT ({quote('member_id')}) DO UPDATE SET "
            f"{quote('version')} = {table}.{quote('version')} + 1, {quote('queued_at')} = NULL"
        )
    return made


_sql: dict[tuple[str, str | None], str] = {}


def request(member_id: int) -> None:
    """The member's logs or plan changed in this transaction: evaluate them after it commits.
    One statement."""
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(connection.vendor, None), [member_id, timezone.now()])


def request_from(source: str, member_id: int) -> tuple[str, list[Any]]:
    """PostgreSQL: `request` as a part (SQL, parameters) of a data-modifying WITH statement,
    writing the row only when the WITH query named `source` returned a row (a session stored,
    not a retry's conflict)."""
    return _upsert_sql("postgresql", source), [member_id, timezone.now()]


def queue_pending(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Beat's sweep: queues an evaluation for each row not queued (or queued too long ago),
    oldest first, at most `limit`. Returns how many the broker took."""
    from exercise_tracker.queueing import publish
    from programs.tasks import evaluate_progression

    moment = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            PendingEvaluation.objects.select_for_update(skip_locked=True)
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=moment - REQUEUE_AFTER))
            .order_by("requested_at", "member_id")
            .values_list("member_id", "version")[:limit]
        )
        if not claimed:
            return 0
        PendingEvaluation.objects.filter(member_id__in=[m for m, _ in claimed]).update(
            queued_at=moment
        )
    for done, (member_id, version) in enumerate(claimed):
        if not publish(evaluate_progression, member_id, version):
            # The broker is away: the rest are not queued and wait for the next sweep.
            PendingEvaluation.objects.filter(
                member_id__in=[m for m, _ in claimed[done:]], queued_at=moment
            ).update(queued_at=None)
            return done
    return len(claimed)


@transaction.atomic
def evaluate_pending(*, member_id: int, version: int | None = None) -> int:
    """The task's work: the rules over the member's active plan, and their row deleted at
    `version` (a newer version, a change since, stays for the next sweep). One transaction.
    Without a version (a task queued before the outbox existed), nothing is deleted. Returns
    how many suggestions are new."""
    from programs.services.suggestions import evaluate_member

    added = evaluate_member(member_id=member_id)
    if version is not None:
        PendingEvaluation.objects.filter(member_id=member_id, version=version).delete()
    return added
