"""Redis down when a reminder fires: the dispatcher records the fire but cannot queue its send.
When the broker is back, the next ticks queue it again (within the grace window) and it is sent
once; later ticks send nothing twice."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time

import pytest
from django.test import TestCase
from kombu.exceptions import OperationalError as BrokerDown

from members.models import DeliveryStatus, Notification, ReminderDelivery
from members.services.reminder_dispatch import dispatch_due_reminders
from members.services.reminder_send import send_delivery
from members.services.reminders import create_reminder
from tests import factories


def z(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, 2, hour, minute, tzinfo=UTC)


@pytest.mark.django_db
def test_a_fire_during_a_broker_outage_is_sent_once_when_it_returns() -> None:
    member = factories.MemberFactory.create(timezone="America/New_York")
    create_reminder(member=member, local_time=time(8, 0), now=z(11))  # 12:00 UTC

    def broker_down(ids: list[int]) -> None:
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with contextlib.suppress(BrokerDown), TestCase.captureOnCommitCallbacks(execute=True):
        dispatch_due_reminders(now=z(12), enqueue=broker_down)
    delivery = ReminderDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    ReminderDelivery.objects.update(created_at=z(12))  # the test's clock

    # The broker is back: beat ticks every minute; each queued send runs at once.
    outcomes: list[str] = []
    for minute in range(1, 20):
        tick = z(12, minute)

        def send_now(ids: list[int], tick: datetime = tick) -> None:
            outcomes.extend(send_delivery(delivery_id=pk, now=tick) for pk in ids)

        with TestCase.captureOnCommitCallbacks(execute=True):
            dispatch_due_reminders(now=tick, enqueue=send_now)

    assert outcomes == ["sent"]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert Notification.objects.filter(user=member.user).count() == 1
