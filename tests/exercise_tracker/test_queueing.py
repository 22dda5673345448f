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
