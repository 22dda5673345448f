"""Reminders against real Redis and real Celery workers, on PostgreSQL: a due reminder reaches the
inbox exactly once when its send task runs twice, when the worker running it is killed mid-task
(acks late: the message comes back after the visibility timeout), and when two dispatchers run at
once; today's session logged and quiet hours skip it; a dispatcher that was down catches up.
Daylight saving changes with two dispatchers racing through the night, on PostgreSQL.

The worker reads committed rows only, hence `transactional_db`. Every test here makes its own
members (unique e-mail addresses), so counts in the shared worker log are per test.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
from django.db import connection
from django.utils import timezone

from members.models import (
    DeliveryStatus,
    Member,
    MemberPreferences,
    Notification,
    ReminderDelivery,
    ReminderSchedule,
    SkipReason,
)
from members.services.reminder_dispatch import dispatch_due_reminders
from members.services.reminders import create_reminder
from members.tasks import dispatch_due_reminders as dispatch_task
from members.tasks import queue_sends, send_reminder
from tests import factories
from tests.services import require_postgres

from .conftest import WorkerProcess

pytestmark = pytest.mark.integration

RESULT_TIMEOUT = 60


def wait_for(what: str, check: Callable[[], bool], timeout: float = RESULT_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def active_member(zone: str = "America/New_York") -> Member:
    """A member with an email address who logged yesterday (no gentle-message path)."""
    name = f"rem-{uuid.uuid4().hex[:10]}"
    member = factories.MemberFactory.create(
        timezone=zone, user__username=name, user__email=f"{name}@example.org"
    )
    yesterday = timezone.localtime(timezone.now(), member.tz).date() - timedelta(days=1)
    factories.SessionLogFactory.create(member=member, local_date=yesterday, status="completed")
    return member


def due_now(
    member: Member, *, channels: tuple[str, ...] = ("in_app",), ago: float = 0
) -> ReminderSchedule:
    """A reminder whose fire was `ago` seconds back (0: due this instant)."""
    schedule = create_reminder(
        member=member,
        local_time=clock(3, 33),
        channels=list(channels),
        now=timezone.now() - timedelta(days=2),
    )
    ReminderSchedule.objects.filter(pk=schedule.pk).update(
        next_fire_at=timezone.now() - timedelta(seconds=ago)
    )
    return schedule


def delivery_of(schedule: ReminderSchedule) -> ReminderDelivery:
    return ReminderDelivery.objects.get(schedule=schedule)


def status_is(schedule: ReminderSchedule, *statuses: str) -> Callable[[], bool]:
    return lambda: ReminderDelivery.objects.filter(schedule=schedule, status__in=statuses).exists()


def emails_to(worker: WorkerProcess, member: Member) -> int:
    """Emails the worker printed (console email backend) to this member."""
    return worker.output().count(f"To: {member.user.email}")


# --- exactly once ------------------------------------------------------------------------------


def test_a_due_reminder_reaches_the_inbox_once_when_its_send_runs_three_times(
    celery_worker_process: WorkerProcess, transactional_db: None
) -> None:
    member = active_member()
    schedule = due_now(member, channels=("in_app", "email"))

    result = dispatch_due_reminders(
        enqueue=queue_sends
    )  # sends are queued to Redis after the commit
    assert result.queued == 1
    delivery = delivery_of(schedule)
    again = [send_reminder.delay(delivery.pk) for _ in range(2)]

    assert [r.get(timeout=RESULT_TIMEOUT) for r in again] == ["sent", "sent"]
    wait_for("the delivery sent", status_is(schedule, DeliveryStatus.SENT))
    wait_for("the worker's email output", lambda: emails_to(celery_worker_process, member) >= 1)
    time.sleep(1)  # a late duplicate would show by now
    assert Notification.objects.filter(user=member.user).count() == 1
    assert emails_to(celery_worker_process, member) == 1
    delivery.refresh_from_db()
    assert delivery.channels_sent == ["in_app", "email"]


def test_a_worker_killed_mid_send_is_redelivered_and_the_reminder_arrives_once(
    _session_celery_worker: WorkerProcess,
    start_celery_worker: Callable[..., WorkerProcess],
    transactional_db: None,
) -> None:
    # Only the workers of this test may take the message.
    if _session_celery_worker.is_running():
        _session_celery_worker.stop()
    short = {"CELERY_VISIBILITY_TIMEOUT": "12", "CELERY_TASK_TIME_LIMIT": "10"}
    # Its sends pause inside their transaction once the in-app notification is written.
    doomed = start_celery_worker(**short, app="tests.integration.pausing_worker")
    member = active_member()
    schedule = due_now(member)

    dispatch_due_reminders(enqueue=queue_sends)
    received = time.monotonic()
    # The send decided, wrote the in-app notification in its open transaction, then paused.
    wait_for("the send to pause", lambda: "reminder send paused" in doomed.output(), 30)
    doomed.kill(signal.SIGKILL)

    delivery = delivery_of(schedule)
    assert delivery.status == DeliveryStatus.SENDING  # decided, committed
    assert not Notification.objects.filter(user=member.user).exists()  # rolled back
    # Redis hands an unacknowledged message out again once the visibility timeout has passed.
    time.sleep(max(0.0, received + 13 - time.monotonic()))
    rescuer = start_celery_worker(**short)

    wait_for("the redelivered send", status_is(schedule, DeliveryStatus.SENT))
    assert "members.send_reminder" in rescuer.output()  # it ran there, from the old message
    assert Notification.objects.filter(user=member.user).count() == 1
    delivery.refresh_from_db()
    assert delivery.channels_sent == ["in_app"]


def test_two_dispatchers_at_once_on_real_workers_deliver_each_reminder_once(
    start_celery_worker: Callable[..., WorkerProcess], transactional_db: None
) -> None:
    start_celery_worker(concurrency=2)
    members = [active_member() for _ in range(12)]
    schedules = [due_now(member) for member in members]

    ticks = [dispatch_task.delay(), dispatch_task.delay()]
    outcomes = [tick.get(timeout=RESULT_TIMEOUT) for tick in ticks]

    assert sum(o["queued"] for o in outcomes) == 12
    assert sum(o["claimed"] for o in outcomes) >= 12
    for schedule in schedules:
        wait_for(f"schedule {schedule.pk} sent", status_is(schedule, DeliveryStatus.SENT))
    assert ReminderDelivery.objects.filter(schedule__in=schedules).count() == 12
    assert Notification.objects.filter(user__member_profile__in=members).count() == 12


# --- skips and catch-up, on the worker's real clock --------------------------------------------


def test_skipped_when_todays_session_is_logged_or_in_quiet_hours(
    celery_worker_process: WorkerProcess, transactional_db: None
) -> None:
    done = active_member()
    done_today = timezone.localtime(timezone.now(), done.tz).date()
    factories.SessionLogFactory.create(member=done, local_date=done_today, status="completed")
    resting = active_member("Europe/Berlin")
    # Both reminders first: made after the quiet hours, the resting member's (at 03:33) would
    # be refused whenever the run's hour put 03:33 inside them.
    skipped_done, skipped_quiet = due_now(done), due_now(resting)
    local_now = timezone.localtime(timezone.now(), resting.tz)
    # Quiet hours around the member's current time (set directly: the service would refuse
    # them over an existing reminder's time).
    MemberPreferences.objects.update_or_create(
        member=resting,
        defaults={
            "quiet_hours_start": (local_now - timedelta(hours=1))
            .time()
            .replace(second=0, microsecond=0),
            "quiet_hours_end": (local_now + timedelta(hours=1))
            .time()
            .replace(second=0, microsecond=0),
        },
    )

    dispatch_due_reminders(enqueue=queue_sends)

    for schedule, reason in (
        (skipped_done, SkipReason.DONE_TODAY),
        (skipped_quiet, SkipReason.QUIET_HOURS),
    ):
        wait_for("the skip", status_is(schedule, DeliveryStatus.SKIPPED))
        assert delivery_of(schedule).reason == reason
    assert not Notification.objects.filter(user__member_profile__in=[done, resting]).exists()


def test_a_dispatcher_back_from_downtime_sends_what_is_recent_and_skips_what_is_stale(
    celery_worker_process: WorkerProcess, transactional_db: None
) -> None:
    recent_member, old_member = active_member(), active_member()
    recent = due_now(recent_member, ago=10 * 60)  # 10 minutes late: inside the grace window
    old = due_now(old_member, ago=3 * 60 * 60)  # 3 hours late: stale

    outcome = dispatch_task.delay().get(timeout=RESULT_TIMEOUT)

    assert outcome["stale"] >= 1
    wait_for("the recent one sent", status_is(recent, DeliveryStatus.SENT))
    stale = delivery_of(old)
    assert (stale.status, stale.reason) == (DeliveryStatus.SKIPPED, SkipReason.STALE)
    assert Notification.objects.filter(user=recent_member.user).count() == 1
    assert not Notification.objects.filter(user=old_member.user).exists()
    old.refresh_from_db()
    assert old.next_fire_at is not None and old.next_fire_at > timezone.now()


# --- daylight saving, two dispatchers racing through the night (PostgreSQL) --------------------


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("America/New_York", datetime(2025, 11, 1, 0, tzinfo=UTC)),  # fall back, 2 November
        ("America/New_York", datetime(2025, 3, 8, 0, tzinfo=UTC)),  # spring forward, 9 March
        ("Europe/Berlin", datetime(2025, 10, 24, 22, tzinfo=UTC)),  # fall back, 26 October
        ("Europe/Berlin", datetime(2025, 3, 28, 22, tzinfo=UTC)),  # spring forward, 30 March
    ],
)
def test_two_dispatchers_through_a_dst_night_record_one_fire_per_local_date(
    transactional_db: None, zone: str, start: datetime
) -> None:
    require_postgres()
    members = [factories.MemberFactory.create(timezone=zone) for _ in range(3)]
    for member, at in zip(members, (clock(1, 30), clock(2, 30), clock(2, 0)), strict=True):
        create_reminder(member=member, local_time=at, now=start)
    queued: list[int] = []
    lock = threading.Lock()

    def collect(ids: list[int]) -> None:
        with lock:
            queued.extend(ids)

    def beat(offset: int) -> None:
        # Two schedulers ticking every 10 minutes over three days, one 5 minutes behind.
        try:
            now = start + timedelta(minutes=offset)
            while now < start + timedelta(hours=72):
                dispatch_due_reminders(now=now, enqueue=collect)
                now += timedelta(minutes=10)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat, args=(m,)) for m in (0, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert len(queued) == len(set(queued)) == 9
    for member in members:
        dates = list(
            ReminderDelivery.objects.filter(member=member)
            .order_by("local_date")
            .values_list("local_date", flat=True)
        )
        first = (start + timedelta(hours=12)).astimezone(member.tz).date()
        assert dates == [first, first + timedelta(days=1), first + timedelta(days=2)], (
            zone,
            dates,
        )
