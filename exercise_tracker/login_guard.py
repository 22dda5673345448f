"""One password check at a time per username, so django-axes' failure limit holds under bursts.

django-axes checks the failure count, then the password is compared (slow on purpose), then the
failure is written. Requests that arrive together all pass the first step before any reaches the
third: 40 concurrent guesses let 55 passwords be compared against a limit of 20. Holding a
PostgreSQL advisory lock on the username across the three steps makes each attempt see the
failures of the one before. A caller that waits longer than LOCK_WAIT is refused (429), so a
burst cannot hold workers for long. SQLite (a laptop) has no such locks; it runs unguarded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection

# Namespace of these locks among the database's advisory locks (any fixed 32-bit number).
LOCK_NAMESPACE = 0x4C4F47  # "LOG"
LOCK_WAIT = "5s"
BUSY_MESSAGE = "Another sign-in to this account is in progress. Try again in a moment."


class LoginBusy(Exception):
    """Another sign-in for this username held the lock longer than LOCK_WAIT."""


def _lock_id(username: str) -> int:
    digest = hashlib.blake2b(username.strip().casefold().encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def one_attempt_at_a_time(username: str) -> Iterator[None]:
    """Runs the block (authentication and its bookkeeping) alone for this username."""
    if connection.vendor != "postgresql" or not username:
        yield
        return
    lock = [LOCK_NAMESPACE, _lock_id(username)]
    # A session lock, not a transaction's: the block's writes (the failure count above all)
    # must commit even when it ends in an exception, and be committed before the next waiter.
    with connection.cursor() as cursor:
        # set_config, not SET: a parameter is bound by the server too (SET takes none).
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", [LOCK_WAIT])
        try:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", lock)
        except OperationalError as exc:  # waited LOCK_WAIT: refuse rather than queue up
            raise LoginBusy from exc
        finally:
            cursor.execute("RESET lock_timeout")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", lock)
