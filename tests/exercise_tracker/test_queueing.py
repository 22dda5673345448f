"""Queueing from a request: a broker that is away leaves the request's answer alone."""

from __future__ import annotations

from typing import Any

import pytest
from kombu.exceptions import OperationalError as BrokerDown

from exercise_tracker.queueing import publish
from members.services.accounts import request_password_reset
from members.tasks import send_password_reset
from tests import factories


def _broker_down(*args: Any, **kwargs: Any) -> None:
    raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_publish_the_broker_refuses_is_logged_not_raised(monkeypatch, caplog) -> None:
    monkeypatch.setattr(send_password_reset, "apply_async", _broker_down)
    assert publish(send_password_reset, 1) is False
    assert "members.send_password_reset not queued (broker unavailable" in caplog.text


def test_a_publish_asks_for_no_result(monkeypatch) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        send_password_reset, "apply_async", lambda args, kwargs, **options: sent.append(options)
    )
    assert publish(send_password_reset, 1) is True
    assert sent == [{"ignore_result": True}]


@pytest.mark.django_db
def test_a_reset_asked_for_while_the_broker_is_down_still_answers(
    monkeypatch, caplog, django_capture_on_commit_callbacks
) -> None:
    factories.UserFactory.create(email="kim@example.org")
    monkeypatch.setattr(send_password_reset, "apply_async", _broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request_password_reset(email="kim@example.org")
    assert len(callbacks) == 1  # the send, tried after the commit and refused
    assert "not queued (broker unavailable" in caplog.text


def test_celery_reads_the_django_settings_and_later_changes_win() -> None:
    from django.conf import settings

    from exercise_tracker import celery_app

    conf = celery_app.conf
    assert conf.task_serializer == settings.CELERY_TASK_SERIALIZER
    assert conf.task_acks_late is settings.CELERY_TASK_ACKS_LATE is True
    assert conf.broker_url == settings.CELERY_BROKER_URL
    assert conf.task_default_queue == "celery"  # a Celery default, not a Django setting
    saved = conf.task_always_eager
    conf.task_always_eager = not saved
    try:
        assert conf.task_always_eager is (not saved)
    finally:
        conf.task_always_eager = saved


def test_the_redis_transport_sends_through_one_client_per_channel() -> None:
    """A publish reuses the channel's client (kombu made one per command); a channel whose pool
    was replaced (a disconnect) makes a new one; the message reaches Redis either way."""
    import uuid

    from kombu import Connection, Exchange, Queue

    from exercise_tracker.broker import Transport
    from tests.services import require_redis

    url = require_redis()
    queue = Queue(f"test-broker-{uuid.uuid4().hex}", Exchange("", type="direct"))
    with Connection(url, transport=Transport) as connection:
        channel: Any = connection.default_channel  # kombu's stubs name the abstract channel
        assert type(channel).__module__ == "exercise_tracker.broker"
        producer = connection.Producer(channel)
        producer.publish({"n": 1}, routing_key=queue.name, declare=[queue])
        first = channel._command_client
        producer.publish({"n": 2}, routing_key=queue.name)
        assert first is not None and channel._command_client is first
        assert channel._create_client(asynchronous=True) is not first  # the worker's: kombu's

        channel._pool = None  # what kombu does when the connection is lost
        producer.publish({"n": 3}, routing_key=queue.name)
        assert channel._command_client is not first
        assert channel._command_client.connection_pool is channel.pool

        bound = queue(channel)
        messages = [bound.get(no_ack=True) for _ in range(3)]
        got = [m.payload if m is not None else None for m in messages]
        assert got == [{"n": 1}, {"n": 2}, {"n": 3}]
        bound.delete()
