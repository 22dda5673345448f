"""A retry storm stores one session: twenty identical POSTs racing each other in real threads,
on PostgreSQL and on the embedded SQLite default alike (the test settings put SQLite's test
database in a file, so the threads meet its real locking: WAL, busy timeout, BEGIN IMMEDIATE;
without them these POSTs answer 500 "database is locked")."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection

from members.models import SessionEntry, SessionLog
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import plan_with_items, session_body

THREADS = 20


def _storm(world: World, body: dict[str, Any], headers: dict[str, Any]) -> list[tuple[int, Any]]:
    """THREADS identical POSTs released at once; each thread its own connection."""
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            client = bearer_client(world.member.user)
            barrier.wait(timeout=30)
            response = client.post("/api/v1/sessions/", body, format="json", **headers)
            with lock:
                answers.append((response.status_code, response.json()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(answers) == THREADS
    return answers


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_posts_with_one_client_id_store_one_session(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=6)
    body = session_body(world.member, items)

    answers = _storm(world, body, headers={})

    assert SessionLog.objects.filter(member=world.member).count() == 1
    assert SessionEntry.objects.filter(session__member=world.member).count() == 6
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (THREADS - 1) + [201], statuses
    assert len({data["id"] for _, data in answers}) == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_posts_with_one_idempotency_key_store_one_session(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=6)
    body = session_body(world.member, items)

    answers = _storm(world, body, headers={"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())})

    assert SessionLog.objects.filter(member=world.member).count() == 1
    assert SessionEntry.objects.filter(session__member=world.member).count() == 6
    # One ran; the others got its answer replayed, or 409 while it was still running.
    created = [data for status, data in answers if status == 201]
    assert created, answers
    assert len({data["id"] for data in created}) == 1
    assert {status for status, _ in answers} <= {201, 409}
    assert all("still being processed" in data["detail"] for s, data in answers if s == 409)
