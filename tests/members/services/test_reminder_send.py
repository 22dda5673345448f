"""Sending a delivery: once however often the task runs, skipped (with the reason) when today's
session is logged or in quiet hours, the words (today's exercises, the streak, nothing
clinical by email or SMS), one gentle message and a PT alert after 3 missed days, channels that
cannot reach the member recorded, transient errors retried."""

from __future__ import annotations

import contextlib
import smtplib
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase

from exercise_tracker import celery_app
from members.models import (
    Alert,
    AlertKind,
    AlertStatus,
    CareAssignment,
    DeliveryKind,
    DeliveryStatus,
    Member,
    MemberPreferences,
    Notification,
    NotificationKind,
    ReminderDelivery,
    ReminderSchedule,
    SessionLog,
    SkipReason,
)
from members.services.channels import LocmemSMSBackend, TransientChannelError
from members.services.reminder_dispatch import dispatch_due_reminders
from members.services.reminder_send import send_delivery
from members.services.reminders import create_reminder, update_preferences
from members.tasks import send_reminder
from tests import factories
from tests.conftest import World
from tests.members.reminder_helpers import dispatch
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan
from tests.services import require_postgres

NY = "America/New_York"
# Monday 2 June 2025, 08:00 in New York (EDT, -4).
DAY = date(2025, 6, 2)
EIGHT = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.REMINDER_SMS_BACKEND = "members.services.channels.LocmemSMSBackend"
    LocmemSMSBackend.outbox.clear()
    yield LocmemSMSBackend.outbox
    LocmemSMSBackend.outbox.clear()


def make_reminder(
    member: Member, *, at: time = time(8, 0), created: datetime | None = None, **kwargs
) -> ReminderSchedule:
    """A reminder made a week before (so it is not new), due at `at` on DAY."""
    schedule = create_reminder(
        member=member, local_time=at, now=EIGHT - timedelta(hours=1), **kwargs
    )
    ReminderSchedule.objects.filter(pk=schedule.pk).update(
        created_at=created or EIGHT - timedelta(days=7)
    )
    schedule.refresh_from_db()
    return schedule


def due_delivery(schedule: ReminderSchedule, now: datetime = EIGHT) -> ReminderDelivery:
    """The delivery the dispatcher records for the schedule's next fire, at `now`."""
    due = ReminderSchedule.objects.get(pk=schedule.pk).next_fire_at
    assert due is not None
    dispatch(now)
    return ReminderDelivery.objects.get(schedule=schedule, due_at=due)


def log(member: Member, day: date, status: str = "completed") -> SessionLog:
    return factories.SessionLogFactory.create(member=member, local_date=day, status=status)


def recent_sessions(member: Member, days: int = 2) -> None:
    """Sessions on the days before DAY: an active member, not one who missed days."""
    for n in range(1, days + 1):
        log(member, DAY - timedelta(days=n))


# --- once ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_delivery_sends_once_however_often_the_task_runs(world: World) -> None:
    world.member.user.email = "sam@example.org"
    world.member.user.save()
    recent_sessions(world.member)
    schedule = make_reminder(world.member, channels=["in_app", "email"])
    delivery = due_delivery(schedule)

    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "sent"
    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "sent"
    assert send_reminder.delay(delivery.pk).get() == "sent"  # the task, eagerly

    assert Notification.objects.filter(user=world.member.user).count() == 1
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.channels_sent == ["in_app", "email"]
    assert delivery.sent_at == EIGHT


@pytest.mark.django_db
def test_a_deleted_reminder_is_gone_quietly(world: World) -> None:
    delivery = due_delivery(make_reminder(world.member))
    ReminderSchedule.objects.all().delete()
    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "gone"
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_sends_of_one_delivery_at_once_send_once(world: World) -> None:
    require_postgres()
    world.member.user.email = "sam@example.org"
    world.member.user.save()
    recent_sessions(world.member)
    delivery = due_delivery(make_reminder(world.member, channels=["in_app", "email"]))
    start = threading.Barrier(2)
    answers: list[str] = []

    def run() -> None:
        try:
            start.wait(timeout=20)
            answers.append(send_delivery(delivery_id=delivery.pk, now=EIGHT))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == ["sent", "sent"]
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


# --- the words -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_message_names_todays_exercises_and_the_streak_and_nothing_clinical(
    world: World, sms_outbox
) -> None:
    member = world.member
    member.user.email = "sam@example.org"
    member.user.save()
    MemberPreferences.objects.create(member=member, sms_phone="+15551230000")
    names = ["Knee to chest", "Pelvic tilt", "Cat camel", "Glute bridge"]
    exercises = [PlanExerciseFactory.create(name=name) for name in names]
    make_plan(
        pt=world.pt,
        member=member,
        items=[item(e, note="Stop if the leg pain spreads") for e in exercises],
        start=DAY - timedelta(days=10),
        note_to_member="Flexion-biased program for your stenosis",
    )
    for n in range(1, 5):  # 4 days in a row up to yesterday, with pain and notes
        factories.SessionLogFactory.create(
            member=member,
            local_date=DAY - timedelta(days=n),
            status="completed",
            pain_before=6,
            pain_after=7,
            notes="numb left foot",
        )
    delivery = due_delivery(make_reminder(member, channels=["in_app", "email", "sms"]))

    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "sent"

    note = Notification.objects.get(user=member.user)
    assert note.kind == NotificationKind.REMINDER
    assert note.title == "Time for your exercises"
    assert "Knee to chest, Pelvic tilt, Cat camel and 1 more" in note.body
    assert "4 days in a row" in note.body
    assert note.link == "/today/"
    (email,) = mail.outbox
    ((phone, text),) = sms_outbox
    assert phone == "+15551230000"
    assert "Knee to chest" in email.body and "4 days in a row" in email.body
    assert "Knee to chest" in text and len(text) <= 160
    for outside in (f"{email.subject} {email.body}", text):
        for clinical in ("stenosis", "Stenosis", "pain", "numb", "leg", "Flexion", "spreads"):
            assert clinical not in outside, (clinical, outside)
    assert "/settings/reminders/" in email.body  # how to change or stop them


@pytest.mark.django_db
def test_no_plan_and_no_streak_still_makes_a_kind_message(world: World) -> None:
    recent_sessions(world.member, days=0)
    delivery = due_delivery(make_reminder(world.member, created=EIGHT - timedelta(days=1)))
    send_delivery(delivery_id=delivery.pk, now=EIGHT)
    assert Notification.objects.get().body == (
        "A few minutes of your exercises today. Every session counts."
    )


# --- skips ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_reminder_once_todays_session_is_logged(world: World) -> None:
    recent_sessions(world.member)
    delivery = due_delivery(make_reminder(world.member))
    log(world.member, DAY, status="partial")

    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "skipped"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == (DeliveryStatus.SKIPPED, SkipReason.DONE_TODAY)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_reminder_that_does_not_skip_when_done_is_sent_anyway(world: World) -> None:
    make_plan(
        pt=world.pt,
        member=world.member,
        items=[item(PlanExerciseFactory.create())],
        start=DAY - timedelta(days=10),
    )
    recent_sessions(world.member)
    delivery = due_delivery(make_reminder(world.member, skip_if_done=False))
    log(world.member, DAY)
    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "sent"
    # Today counts too; the streak is the today page's (prescribed days done in a row).
    assert "3 days in a row" in Notification.objects.get().body


@pytest.mark.django_db
def test_nothing_is_sent_inside_quiet_hours(world: World) -> None:
    recent_sessions(world.member)
    # 21:50 reminder; quiet hours 22:00-07:00; the send runs late, at 22:05.
    schedule = make_reminder(world.member, at=time(21, 50))
    update_preferences(member=world.member, quiet_hours_start=time(22), quiet_hours_end=time(7))
    fire = datetime(2025, 6, 3, 1, 50, tzinfo=UTC)
    delivery = due_delivery(schedule, now=fire)

    assert send_delivery(delivery_id=delivery.pk, now=fire + timedelta(minutes=15)) == "skipped"
    delivery.refresh_from_db()
    assert delivery.reason == SkipReason.QUIET_HOURS
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_send_that_comes_too_late_is_stale(world: World) -> None:
    recent_sessions(world.member)
    delivery = due_delivery(make_reminder(world.member))
    assert send_delivery(delivery_id=delivery.pk, now=EIGHT + timedelta(minutes=31)) == "skipped"
    delivery.refresh_from_db()
    assert delivery.reason == SkipReason.STALE


@pytest.mark.django_db
def test_a_reminder_switched_off_after_dispatch_is_not_sent(world: World) -> None:
    recent_sessions(world.member)
    schedule = make_reminder(world.member)
    delivery = due_delivery(schedule)
    ReminderSchedule.objects.filter(pk=schedule.pk).update(enabled=False, next_fire_at=None)
    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "skipped"
    delivery.refresh_from_db()
    assert delivery.reason == SkipReason.DISABLED


# --- three missed days -----------------------------------------------------------------------


def _next_day(schedule: ReminderSchedule, days: int) -> ReminderDelivery:
    return due_delivery(schedule, now=EIGHT + timedelta(days=days))


@pytest.mark.django_db
def test_after_three_missed_days_one_gentle_message_and_an_alert_then_quiet(
    world: World,
) -> None:
    member = world.member
    CareAssignment.objects.update(start_date=DAY - timedelta(days=60))  # PT on DAY
    log(member, DAY - timedelta(days=4))  # last session: Thursday; Fri, Sat, Sun missed
    schedule = make_reminder(member)

    delivery = due_delivery(schedule)
    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "sent"

    delivery.refresh_from_db()
    assert delivery.kind == DeliveryKind.GENTLE
    note = Notification.objects.get()
    assert (note.kind, note.title) == (NotificationKind.GENTLE, "We miss you")
    alert = Alert.objects.get(member=member)
    assert (alert.kind, alert.status, alert.therapist) == (
        AlertKind.INACTIVE,
        AlertStatus.OPEN,
        world.pt,
    )
    assert alert.details["last_session"] == "2025-05-29"
    assert alert.details["days_without_session"] == 3

    # Tuesday and Wednesday: no daily nagging, no second alert.
    for days in (1, 2):
        later = _next_day(schedule, days)
        assert send_delivery(delivery_id=later.pk, now=EIGHT + timedelta(days=days)) == "skipped"
        later.refresh_from_db()
        assert later.reason == SkipReason.PAUSED
    assert Notification.objects.count() == 1
    assert Alert.objects.count() == 1

    # They come back on Wednesday evening: Thursday's reminder is an ordinary one again.
    log(member, DAY + timedelta(days=2))
    thursday = _next_day(schedule, 3)
    assert send_delivery(delivery_id=thursday.pk, now=EIGHT + timedelta(days=3)) == "sent"
    thursday.refresh_from_db()
    assert thursday.kind == DeliveryKind.REMINDER


@pytest.mark.django_db
def test_a_new_member_is_not_told_they_were_missed(world: World) -> None:
    schedule = make_reminder(world.member, created=EIGHT - timedelta(days=2))
    send_delivery(delivery_id=due_delivery(schedule).pk, now=EIGHT)
    assert Notification.objects.get().kind == NotificationKind.REMINDER
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_an_inactivity_alert_already_open_is_not_raised_again(world: World) -> None:
    Alert.objects.create(member=world.member, kind=AlertKind.INACTIVE, therapist=world.pt)
    schedule = make_reminder(world.member)
    send_delivery(delivery_id=due_delivery(schedule).pk, now=EIGHT)
    assert Notification.objects.get().kind == NotificationKind.GENTLE
    assert Alert.objects.count() == 1


@pytest.mark.django_db
def test_two_reminders_of_one_member_send_one_gentle_message(world: World) -> None:
    morning = make_reminder(world.member, at=time(8, 0))
    noon = make_reminder(world.member, at=time(8, 1))
    first = due_delivery(morning)
    second = due_delivery(noon, now=EIGHT + timedelta(minutes=1))
    assert send_delivery(delivery_id=first.pk, now=EIGHT + timedelta(minutes=1)) == "sent"
    assert send_delivery(delivery_id=second.pk, now=EIGHT + timedelta(minutes=1)) == "skipped"
    assert Notification.objects.filter(kind=NotificationKind.GENTLE).count() == 1


# --- channels ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_channel_that_cannot_reach_the_member_is_recorded_and_the_rest_sent(
    world: World,
) -> None:
    recent_sessions(world.member)
    world.member.user.email = "sam@example.org"
    world.member.user.save()
    schedule = make_reminder(world.member, channels=["in_app", "email"])
    world.member.user.email = ""  # removed by the clinic after the reminder was set
    world.member.user.save()
    delivery = due_delivery(schedule)

    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "sent"

    delivery.refresh_from_db()
    assert delivery.channels_sent == ["in_app"]
    assert delivery.channel_errors == {"email": "no email address"}
    assert mail.outbox == []


@pytest.mark.django_db
def test_no_channel_that_can_send_fails_the_delivery(world: World) -> None:
    recent_sessions(world.member)
    update_preferences(member=world.member, sms_phone="+15551230000")
    schedule = make_reminder(world.member, channels=["sms"])
    MemberPreferences.objects.filter(member=world.member).update(sms_phone="")
    delivery = due_delivery(schedule)
    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "failed"
    delivery.refresh_from_db()
    assert delivery.reason == SkipReason.NO_CHANNEL


@pytest.mark.django_db
def test_a_mail_server_that_fails_once_is_retried_without_a_second_notification(
    world: World,
) -> None:
    recent_sessions(world.member)
    world.member.user.email = "sam@example.org"
    world.member.user.save()
    delivery = due_delivery(make_reminder(world.member, channels=["in_app", "email"]))
    real_send = mail.send_mail
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise smtplib.SMTPServerDisconnected("gone")
        return real_send(*args, **kwargs)

    with (
        mock.patch("members.services.channels.send_mail", side_effect=flaky),
        mock.patch("members.services.reminder_send.timezone.now", return_value=EIGHT),
    ):
        result = send_reminder.apply(args=(delivery.pk,), throw=False)

    assert result.get() == "sent"
    assert calls["n"] == 2
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


@contextlib.contextmanager
def as_a_worker() -> Iterator[None]:
    """A failure is handled (on_failure), not raised into the caller, as in a worker."""
    conf = celery_app.conf
    saved = conf.task_eager_propagates
    conf.task_eager_propagates = False
    try:
        yield
    finally:
        conf.task_eager_propagates = saved


@pytest.mark.django_db
def test_a_delivery_whose_retries_ran_out_is_recorded(world: World) -> None:
    recent_sessions(world.member)
    world.member.user.email = "sam@example.org"
    world.member.user.save()
    delivery = due_delivery(make_reminder(world.member, channels=["email"]))
    with (
        mock.patch(
            "members.services.channels.send_mail", side_effect=smtplib.SMTPServerDisconnected()
        ),
        mock.patch("members.services.reminder_send.timezone.now", return_value=EIGHT),
        mock.patch.object(send_reminder, "max_retries", 1),
        as_a_worker(),
    ):
        result = send_reminder.apply(args=(delivery.pk,))
    assert result.status == "FAILURE"
    assert isinstance(result.result, TransientChannelError)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == (DeliveryStatus.FAILED, SkipReason.ERROR)


# --- deactivated accounts -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_deactivated_member_gets_no_reminder_recorded_or_sent(world: World) -> None:
    world.member.user.email = "sam@example.org"
    world.member.user.save()
    recent_sessions(world.member)
    schedule = make_reminder(world.member, channels=["in_app", "email"])
    due = schedule.next_fire_at
    world.member.user.is_active = False
    world.member.user.save(update_fields=["is_active"])
    queued: list[int] = []
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = dispatch_due_reminders(now=EIGHT, enqueue=queued.extend)
    assert (result.inactive, queued) == (1, [])
    assert not ReminderDelivery.objects.exists()
    schedule.refresh_from_db()
    assert schedule.next_fire_at is not None and due is not None
    assert schedule.next_fire_at > EIGHT  # moved on, not claimed again every minute


@pytest.mark.django_db
def test_an_account_deactivated_after_the_dispatch_is_not_sent_to(world: World) -> None:
    world.member.user.email = "sam@example.org"
    world.member.user.save()
    recent_sessions(world.member)
    delivery = due_delivery(make_reminder(world.member, channels=["in_app", "email"]))
    world.member.user.is_active = False
    world.member.user.save(update_fields=["is_active"])
    assert send_delivery(delivery_id=delivery.pk, now=EIGHT) == "skipped"
    assert not Notification.objects.exists()
    assert mail.outbox == []
