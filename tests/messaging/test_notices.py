"""Notices of new messages: in the app at once; by email or text message after the delay if
still unread, one for several messages, outside quiet hours, sent once, never with content."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from members.models import MemberPreferences, Notification, NotificationKind, ReminderSchedule
from members.services.channels import LocmemSMSBackend
from messaging.models import MessageNotice, NoticeStatus
from messaging.services import messages, notices
from tests.conftest import World
from tests.messaging.helpers import send, thread_of

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _locmem_sms(settings) -> None:
    settings.REMINDER_SMS_BACKEND = "members.services.channels.LocmemSMSBackend"
    settings.MESSAGING_NOTICE_DELAY_MINUTES = 15
    settings.MESSAGING_QUIET_HOURS = ("21:00", "08:00")
    LocmemSMSBackend.outbox.clear()


def _at(hour: int, minute: int = 0) -> datetime:
    """A weekday afternoon or evening in New York (the factories' zone)."""
    return datetime(2026, 12, 2, hour, minute, tzinfo=NEW_YORK)


def _due(notice: MessageNotice, at: datetime) -> None:
    MessageNotice.objects.filter(pk=notice.pk).update(due_at=at)


def test_the_pt_is_notified_in_the_app_at_once_without_the_content(world: World) -> None:
    world.pt.user.email = "pt@example.org"
    world.pt.user.save()
    send(world.member.user, world.member, "My left calf cramps on the second walk")
    note = Notification.objects.get(user=world.pt.user)
    assert note.kind == NotificationKind.MESSAGE
    assert note.title == note.body == "You have a new message from a member"
    notice = MessageNotice.objects.get(recipient=world.pt.user)
    assert notice.status == NoticeStatus.PENDING
    assert notice.due_at - notice.created_at == pytest.approx(
        timedelta(minutes=15), abs=timedelta(seconds=5)
    )
    assert not Notification.objects.filter(user=world.member.user).exists()


def test_several_messages_make_one_notice_and_one_email_once(world: World) -> None:
    world.member.user.email = "member@example.org"
    world.member.user.save()
    for text in ("Keep the bridge at 10?", "Also the walk:", "make it 15 minutes"):
        send(world.pt.user, world.member, text)
    assert Notification.objects.filter(user=world.member.user).count() == 1
    notice = MessageNotice.objects.get(recipient=world.member.user)
    assert notice.last_message_id > notice.first_message_id
    _due(notice, _at(14))

    assert notices.send_due_notices(now=_at(13, 59)) == {}
    assert notices.send_due_notices(now=_at(14)) == {"sent": 1}
    assert notices.send_due_notices(now=_at(14, 1)) == {}  # sent once
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == "You have a new message from your care team"
    assert email.to == ["member@example.org"]
    for words in ("bridge", "walk", "15 minutes"):
        assert words not in email.body
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and notice.channels_sent == ["email"]

    # A later message opens a new notice.
    send(world.pt.user, world.member, "One more thing")
    assert MessageNotice.objects.filter(recipient=world.member.user, status="pending").count() == 1


def test_a_notice_read_in_time_is_not_sent(world: World) -> None:
    world.member.user.email = "member@example.org"
    world.member.user.save()
    send(world.pt.user, world.member, "How did the week go?")
    notice = MessageNotice.objects.get(recipient=world.member.user)
    messages.mark_read(thread=thread_of(world.member), by=world.member.user)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SKIPPED
    assert Notification.objects.get(user=world.member.user).read_at is not None
    _due(notice, _at(14))
    assert notices.send_due_notices(now=_at(14)) == {}
    assert mail.outbox == []


def test_a_withdrawn_message_is_not_notified_later(world: World) -> None:
    world.member.user.email = "member@example.org"
    world.member.user.save()
    sent = send(world.pt.user, world.member, "Wrong member, sorry")
    messages.withdraw_message(message=sent.message, by=world.pt.user)
    notice = MessageNotice.objects.get(recipient=world.member.user)
    _due(notice, _at(14))
    assert notices.send_due_notices(now=_at(14)) == {"skipped": 1}
    assert mail.outbox == []


def test_quiet_hours_defer_the_notice_to_their_end(world: World) -> None:
    world.member.user.email = "member@example.org"
    world.member.user.save()
    send(world.pt.user, world.member, "Evening reply")
    notice = MessageNotice.objects.get(recipient=world.member.user)
    _due(notice, _at(22, 30))
    assert notices.send_due_notices(now=_at(22, 30)) == {"deferred": 1}
    notice.refresh_from_db()
    assert notice.due_at == datetime(2026, 12, 3, 8, 0, tzinfo=NEW_YORK)
    assert mail.outbox == []
    assert notices.send_due_notices(now=datetime(2026, 12, 3, 7, 59, tzinfo=NEW_YORK)) == {}
    assert notices.send_due_notices(now=datetime(2026, 12, 3, 8, 0, tzinfo=NEW_YORK)) == {"sent": 1}


def test_a_members_own_quiet_hours_and_text_messages_are_used(world: World) -> None:
    MemberPreferences.objects.create(
        member=world.member,
        quiet_hours_start=time(13, 0),
        quiet_hours_end=time(15, 0),
        sms_phone="+15551234567",
    )
    ReminderSchedule.objects.create(
        member=world.member,
        local_time=time(9, 0),
        channels=["in_app", "sms"],
        timezone="America/New_York",
        next_fire_at=timezone.now() + timedelta(days=1),
    )
    send(world.pt.user, world.member, "Your plan is updated")
    notice = MessageNotice.objects.get(recipient=world.member.user)
    _due(notice, _at(14))
    assert notices.send_due_notices(now=_at(14)) == {"deferred": 1}
    assert notices.send_due_notices(now=_at(15)) == {"sent": 1}
    assert LocmemSMSBackend.outbox == [
        ("+15551234567", f"You have a new message from your care team. {_site()}/messages/")
    ]
    assert mail.outbox == []


def test_no_address_is_recorded_as_failed_not_retried(world: World) -> None:
    world.member.user.email = ""
    world.member.user.save()
    send(world.pt.user, world.member, "Hello")
    notice = MessageNotice.objects.get(recipient=world.member.user)
    _due(notice, _at(14))
    assert notices.send_due_notices(now=_at(14)) == {"failed": 1}
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED and "email" in notice.channel_errors


def test_the_task_runs_the_due_notices(world: World) -> None:
    from messaging.tasks import send_due_message_notices

    world.pt.user.email = "pt@example.org"
    world.pt.user.save()
    send(world.member.user, world.member, "Question about the stretch")
    MessageNotice.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    # Weekday afternoon or night: either sent now or deferred past quiet hours, never twice.
    first = send_due_message_notices.apply().get()
    second = send_due_message_notices.apply().get()
    assert sum(first.values()) == 1 and second in ({}, {"deferred": 1})
    assert len(mail.outbox) <= 1


def _site() -> str:
    from django.conf import settings

    return settings.SITE_URL.rstrip("/")
