"""A retry storm sends one message: twenty identical POSTs racing in real threads, on
PostgreSQL and on the embedded SQLite default alike (as the sessions' storm test does)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection

from members.models import Notification
from messaging.models import Message, MessageNotice
from tests.conftest import World, bearer_client
from tests.messaging.helpers import thread_of

THREADS = 20


def _storm(
    world: World, url: str, body: dict[str, Any], headers: dict[str, Any]
) -> list[tuple[int, Any]]:
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def post() -> None:
        try:
            client = bearer_client(world.member.user)
            barrier.wait(timeout=30)
            response = client.post(url, body, format="json", **headers)
            with lock:
                answers.append((response.status_code, response.json()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(answers) == THREADS
    return answers


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_posts_with_one_client_id_send_one_message(world: World) -> None:
    url = f"/api/v1/threads/{thread_of(world.member).pk}/messages/"
    body = {"client_id": str(uuid.uuid4()), "text": "Is it fine to walk in the cold?"}

    answers = _storm(world, url, body, headers={})

    assert Message.objects.count() == 1
    assert MessageNotice.objects.count() == 1
    assert Notification.objects.filter(user=world.pt.user).count() == 1
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (THREADS - 1) + [201], answers
    assert len({data["id"] for _, data in answers}) == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_posts_with_one_idempotency_key_send_one_message(world: World) -> None:
    url = f"/api/v1/threads/{thread_of(world.member).pk}/messages/"
    body = {"client_id": str(uuid.uuid4()), "text": "Is it fine to walk in the cold?"}

    answers = _storm(world, url, body, headers={"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())})

    assert Message.objects.count() == 1
    created = [data for status, data in answers if status == 201]
    assert created, answers
    assert len({data["id"] for data in created}) == 1
    assert {status for status, _ in answers} <= {201, 409}
