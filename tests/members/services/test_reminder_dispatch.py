"""The dispatcher: due schedules found by their next fire, one delivery per (schedule, local date,
slot), next fires advanced in the member's zone, sends queued after commit, catch-up within the
grace window, and a query count that does not grow with the number due."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import DeliveryStatus, Member, ReminderDelivery, ReminderSchedule, SkipReason
from members.services.reminder_dispatch import DispatchResult, dispatch_due_reminders
from tests import factories
from tests.members.reminder_helpers import Collector, dispatch, reminder
from tests.services import require_postgres


def z(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def member_in(zone: str = "America/New_York") -> Member:
    return factories.MemberFactory.create(timezone=zone)


@pytest.fixture
def on_commit():
    return dispatch


@pytest.mark.django_db
def test_a_new_reminder_fires_next_at_its_local_time() -> None:
    member = member_in("Europe/Berlin")
    schedule = reminder(member, time(8, 0), now=z(2025, 6, 2, 5, 0))  # 07:00 CEST
    assert schedule.next_fire_at == z(2025, 6, 2, 6, 0)
    assert schedule.timezone == "Europe/Berlin"
    later = reminder(member, time(6, 30), now=z(2025, 6, 2, 5, 0))
    assert later.next_fire_at == z(2025, 6, 3, 4, 30)  # 06:30 today has passed


@pytest.mark.django_db
def test_a_due_reminder_is_recorded_once_queued_after_commit_and_moved_to_tomorrow(
    on_commit,
) -> None:
    schedule = reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11))
    not_yet = reminder(member_in(), time(9, 0), now=z(2025, 6, 2, 11))

    result, queued = on_commit(
        z(
            2025,
            6,
            2,
            12,
            0,
        )
    )  # 08:00 EDT

    delivery = ReminderDelivery.objects.get()
    assert (delivery.schedule_id, delivery.local_date, delivery.slot) == (
        schedule.pk,
        date(2025, 6, 2),
        "08:00",
    )
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.due_at == z(2025, 6, 2, 12)
    assert queued == [delivery.pk]
    assert result.claimed == 1 and result.queued == 1
    schedule.refresh_from_db()
    not_yet.refresh_from_db()
    assert schedule.next_fire_at == z(2025, 6, 3, 12)
    assert not_yet.next_fire_at == z(2025, 6, 2, 13)

    # The next tick, a minute later: nothing due, nothing recorded again.
    result, queued = on_commit(z(2025, 6, 2, 12, 1))
    assert (result.claimed, queued, ReminderDelivery.objects.count()) == (0, [], 1)


@pytest.mark.django_db
def test_sends_wait_for_the_commit(django_capture_on_commit_callbacks) -> None:
    reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11))
    collector = Collector()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dispatch_due_reminders(now=z(2025, 6, 2, 12), enqueue=collector)
    assert collector.ids == []  # nothing reached the broker before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert collector.ids == [ReminderDelivery.objects.get().pk]


@pytest.mark.django_db
def test_disabled_reminders_are_not_due() -> None:
    reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11), enabled=False)
    assert ReminderSchedule.objects.get().next_fire_at is None
    result, _ = dispatch(z(2025, 6, 3, 12))
    assert result.claimed == 0


SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _queries(now: datetime, **kwargs) -> list[str]:
    """The statements of one tick, without the savepoints the test's own transaction adds
    (outside a test each batch is a transaction of its own: BEGIN and COMMIT only)."""
    with CaptureQueriesContext(connection) as ctx:
        dispatch(now, **kwargs)
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(SAVEPOINTS)]


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_number_due(django_assert_max_num_queries) -> None:
    start = z(2025, 6, 2, 11)
    for _ in range(3):
        reminder(member_in(), time(8, 0), now=start)
    few = _queries(z(2025, 6, 2, 12))
    # anything due?, select (claim), insert, update, the inserted ids; the lost-send sweep.
    assert [sql.split()[0] for sql in few] == [
        "SELECT",
        "SELECT",
        "INSERT",
        "UPDATE",
        "SELECT",
        "SELECT",
    ]
    for _ in range(40):
        reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 12, 30))
    assert ReminderSchedule.objects.filter(next_fire_at=z(2025, 6, 3, 12)).count() == 43
    many = _queries(z(2025, 6, 3, 12))
    assert len(many) == len(few)
    assert ReminderDelivery.objects.filter(local_date=date(2025, 6, 3)).count() == 43
    # None due: the due query and the sweep only, and no transaction.
    with django_assert_max_num_queries(2):
        dispatch(z(2025, 6, 3, 12, 1))


@pytest.mark.django_db
def test_batches_take_the_same_few_queries_each(django_assert_max_num_queries) -> None:
    for _ in range(7):
        reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11))
    statements = _queries(z(2025, 6, 2, 12), batch_size=3)
    assert len(statements) == 1 + 3 * 4 + 1  # anything due?, batches of 3, 3, 1, the sweep
    assert ReminderDelivery.objects.count() == 7
    with django_assert_max_num_queries(1 + 3 * 6 + 1):  # each batch 4, its test savepoint 2
        result, _ = dispatch(z(2025, 6, 3, 12), batch_size=3)
    assert result.batches == 3


# --- catch-up after downtime -------------------------------------------------------------------


@pytest.mark.django_db
def test_catch_up_within_the_grace_window_and_stale_beyond_it(on_commit) -> None:
    recent = reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11))
    old = reminder(member_in(), time(6, 0), now=z(2025, 6, 2, 9))

    # The dispatcher was down from 06:00 to 08:20 New York time (grace: 30 minutes).
    result, queued = on_commit(z(2025, 6, 2, 12, 20))

    sent = ReminderDelivery.objects.get(schedule=recent)
    stale = ReminderDelivery.objects.get(schedule=old)
    assert sent.status == DeliveryStatus.PENDING and queued == [sent.pk]
    assert (stale.status, stale.reason) == (DeliveryStatus.SKIPPED, SkipReason.STALE)
    assert result.stale == 1
    old.refresh_from_db()
    assert old.next_fire_at == z(2025, 6, 3, 10)


@pytest.mark.django_db
def test_days_of_downtime_leave_one_stale_record_and_resume_today(on_commit) -> None:
    schedule = reminder(member_in(), time(8, 0), now=z(2025, 6, 1, 11))
    assert schedule.next_fire_at == z(2025, 6, 1, 12)

    # Back on 4 June at 08:10: 1-3 June are long gone, 4 June's fire is 10 minutes old.
    _, queued = on_commit(z(2025, 6, 4, 12, 10))

    rows = list(ReminderDelivery.objects.order_by("local_date").values_list("local_date", "status"))
    assert rows == [
        (date(2025, 6, 1), DeliveryStatus.SKIPPED),
        (date(2025, 6, 4), DeliveryStatus.PENDING),
    ]
    assert len(queued) == 1
    schedule.refresh_from_db()
    assert schedule.next_fire_at == z(2025, 6, 5, 12)


@pytest.mark.django_db
def test_a_lost_send_is_queued_again(on_commit) -> None:
    reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11))
    dispatch(z(2025, 6, 2, 12))  # queued, but the message never reached a worker
    delivery = ReminderDelivery.objects.get()
    ReminderDelivery.objects.update(created_at=z(2025, 6, 2, 12))  # the test's clock
    assert dispatch(z(2025, 6, 2, 12, 4))[1] == []  # a slow queue is not a lost message

    result, queued = dispatch(z(2025, 6, 2, 12, 6))

    assert result.requeued == 1 and queued == [delivery.pk]


# --- the unique key and zone changes ----------------------------------------------------------


@pytest.mark.django_db
def test_a_fire_read_twice_is_recorded_and_queued_once(on_commit) -> None:
    schedule = reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11))
    _, first = on_commit(z(2025, 6, 2, 12))
    # A second dispatcher that read the schedule before the first one advanced it.
    ReminderSchedule.objects.filter(pk=schedule.pk).update(next_fire_at=z(2025, 6, 2, 12))

    result, second = on_commit(
        z(
            2025,
            6,
            2,
            12,
            0,
        )
    )

    assert len(first) == 1 and second == []
    assert result.already_recorded == 1
    assert ReminderDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_member_who_changed_zone_is_rescheduled_not_fired_at_the_old_time() -> None:
    member = member_in("America/New_York")
    schedule = reminder(member, time(8, 0), now=z(2025, 6, 2, 11))
    Member.objects.filter(pk=member.pk).update(timezone="Europe/Berlin")

    result, queued = dispatch(z(2025, 6, 2, 12))  # 08:00 New York = 14:00 Berlin

    assert result.zone_changed == 1 and queued == []
    schedule.refresh_from_db()
    assert schedule.timezone == "Europe/Berlin"
    assert schedule.next_fire_at == z(2025, 6, 3, 6)  # 08:00 CEST tomorrow


# --- the beat ticking through daylight saving changes -----------------------------------------


def _tick_through(start: datetime, end: datetime, every: timedelta) -> list[int]:
    queued: list[int] = []
    now = start
    while now <= end:
        _, ids = dispatch(now)
        queued.extend(ids)
        now += every
    return queued


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "at", "start", "dates", "fired_local"),
    [
        # New York, fall back: 01:30 happens twice on 2 November; one delivery that day.
        (
            "America/New_York",
            time(1, 30),
            z(2025, 11, 1, 0),
            [date(2025, 11, 1), date(2025, 11, 2), date(2025, 11, 3)],
            [time(1, 30), time(1, 30), time(1, 30)],
        ),
        # New York, spring forward: no 02:30 on 9 March; one delivery at 03:00.
        (
            "America/New_York",
            time(2, 30),
            z(2025, 3, 8, 0),
            [date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 10)],
            [time(2, 30), time(3, 0), time(2, 30)],
        ),
        # Berlin, fall back: 02:30 happens twice on 26 October.
        (
            "Europe/Berlin",
            time(2, 30),
            z(2025, 10, 24, 22),
            [date(2025, 10, 25), date(2025, 10, 26), date(2025, 10, 27)],
            [time(2, 30), time(2, 30), time(2, 30)],
        ),
        # Berlin, spring forward: no 02:30 on 30 March.
        (
            "Europe/Berlin",
            time(2, 30),
            z(2025, 3, 28, 22),
            [date(2025, 3, 29), date(2025, 3, 30), date(2025, 3, 31)],
            [time(2, 30), time(3, 0), time(2, 30)],
        ),
    ],
)
def test_a_beat_every_ten_minutes_over_a_dst_change_delivers_once_per_local_date(
    zone, at, start, dates, fired_local
) -> None:
    member = member_in(zone)
    reminder(member, at, now=start)
    queued = _tick_through(
        start, start + timedelta(hours=72) - timedelta(minutes=1), timedelta(minutes=10)
    )
    deliveries = list(ReminderDelivery.objects.order_by("due_at"))
    assert [d.local_date for d in deliveries] == dates
    assert [d.slot for d in deliveries] == [f"{at:%H:%M}"] * 3
    assert [d.due_at.astimezone(member.tz).time() for d in deliveries] == fired_local
    assert len(queued) == 3 and len(set(queued)) == 3
    assert all(d.status == DeliveryStatus.PENDING for d in deliveries)


# --- two dispatchers at once (PostgreSQL: row locks) ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_second_dispatcher_skips_the_rows_the_first_holds() -> None:
    require_postgres()
    for _ in range(5):
        reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11))
    now = z(2025, 6, 2, 12)
    first_holds, second_done = threading.Event(), threading.Event()
    results: dict[str, tuple[DispatchResult, list[int]]] = {}
    timings: dict[str, float] = {}

    def hold(schedules) -> None:
        first_holds.set()
        second_done.wait(timeout=20)

    def first() -> None:
        try:
            results["first"] = dispatch(now, on_claimed=hold)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_holds.wait(timeout=20)
            started = timezone.now()
            results["second"] = dispatch(now)
            timings["second"] = (timezone.now() - started).total_seconds()
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    first_result, first_ids = results["first"]
    second_result, second_ids = results["second"]
    assert second_result.claimed == 0 and second_ids == []  # skipped, did not wait
    assert timings["second"] < 5
    assert first_result.claimed == 5 and len(first_ids) == 5
    assert ReminderDelivery.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_racing_record_and_queue_each_fire_once() -> None:
    require_postgres()
    for _ in range(60):
        reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11))
    now = z(2025, 6, 2, 12)
    start = threading.Barrier(2)
    queued: list[list[int]] = [[], []]

    def run(index: int) -> None:
        try:
            start.wait(timeout=20)
            _, ids = dispatch(now, batch_size=7)
            queued[index] = ids
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    every = queued[0] + queued[1]
    assert len(every) == 60 and len(set(every)) == 60
    assert ReminderDelivery.objects.count() == 60
    assert not ReminderSchedule.objects.filter(next_fire_at__lte=now).exists()


@pytest.mark.django_db
def test_the_due_query_uses_the_partial_index() -> None:
    require_postgres()
    reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11))
    query = ReminderSchedule.objects.filter(enabled=True, next_fire_at__lte=z(2025, 6, 2, 12))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = query.explain()
    assert "reminder_due" in plan, plan


@pytest.mark.django_db
def test_a_zone_name_the_machine_does_not_know_does_not_stop_the_others() -> None:
    broken = member_in("America/New_York")
    reminder(broken, time(8, 0), now=z(2025, 6, 2, 11))
    fine = reminder(member_in(), time(8, 0), now=z(2025, 6, 2, 11))
    Member.objects.filter(pk=broken.pk).update(timezone="Mars/Olympus_Mons")

    result, queued = dispatch(z(2025, 6, 2, 12))

    assert queued == [ReminderDelivery.objects.get(schedule=fine).pk]
    assert result.zone_changed == 1  # rescheduled, in UTC until the zone is fixed
