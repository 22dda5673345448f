"""Helpers for reminder tests: one dispatcher tick as beat runs it, the sends it queued."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from django.test import TestCase

from members.models import Member, ReminderSchedule
from members.services.reminder_dispatch import DispatchResult, dispatch_due_reminders
from members.services.reminders import create_reminder


class Collector:
    """Stands in for the send queue: the delivery ids a tick queued (thread-safe)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, ids: Iterable[int]) -> None:
        with self.lock:
            self.ids.extend(ids)


def dispatch(now: datetime, **kwargs: Any) -> tuple[DispatchResult, list[int]]:
    """One tick; its after-commit callbacks (the sends) run as a real commit would run them
    (inside the test's transaction they are captured and run at the end)."""
    collector = Collector()
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = dispatch_due_reminders(now=now, enqueue=collector, **kwargs)
    return result, collector.ids


def reminder(
    member: Member, at: time, *, now: datetime | None = None, **kwargs: Any
) -> ReminderSchedule:
    """A reminder made through the service, as a member's settings page makes it."""
    return create_reminder(member=member, local_time=at, now=now, **kwargs)
