"""Telling the other side about a new message: in the app at once; by email or text message
after a delay if still unread, outside quiet hours, one notice for several messages, never
with the message's words or any clinical detail.

A member is reached on the channels of their reminders (members.services.channels' SMS
backend and Django's email) and, with none chosen, by email; a PT by email. Quiet hours are
the member's own (reminder settings), else settings.MESSAGING_QUIET_HOURS in the recipient's
zone: a notice due inside them waits until they end.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from members.models import (
    Channel,
    Member,
    MemberPreferences,
    Notification,
    NotificationKind,
    ReminderSchedule,
    Role,
    User,
)
from members.rules.reminder_times import fire_instant, in_quiet_hours, zone
from members.services.channels import SMS_MAX_CHARS, sms_backend
from messaging.models import AuthorSide, Message, MessageNotice, NoticeStatus, ReadMarker, Thread

logger = logging.getLogger(__name__)

MEMBER_NOTICE = "You have a new message from your care team"
STAFF_NOTICE = "You have a new message from a member"
# The conversation's page, for links in notifications (messaging's pages own the path).
MEMBER_LINK = "/messages/"
STAFF_LINK = "/messages/{thread_id}/"


def notice_text(recipient: User) -> str:
    return MEMBER_NOTICE if recipient.role == Role.MEMBER else STAFF_NOTICE


def notice_link(recipient: User, thread_id: int) -> str:
    return MEMBER_LINK if recipient.role == Role.MEMBER else STAFF_LINK.format(thread_id=thread_id)


def recipients_of(message: Message) -> list[User]:
    """The other side now: the member, or their PTs (active accounts only)."""
    from messaging.selectors.threads import care_team_of

    thread = message.thread
    if message.side == AuthorSide.CARE_TEAM:
        return [thread.member.user] if thread.member.user.is_active else []
    return [t.user for t in care_team_of(thread) if t.user.is_active]


def _delay() -> timedelta:
    return timedelta(minutes=settings.MESSAGING_NOTICE_DELAY_MINUTES)


def notify_new_message(*, message: Message, now: datetime | None = None) -> None:
    """Inside the send's transaction: an in-app notification for each recipient now (one
    unread per conversation: a second message does not pile up another), and a pending notice
    per recipient due after the delay, or the pending one extended to this message."""
    now = now or timezone.now()
    recipients = recipients_of(message)
    if not recipients:
        return
    thread_id = message.thread_id
    links = {u.pk: notice_link(u, thread_id) for u in recipients}
    already = set(
        Notification.objects.filter(
            user_id__in=list(links),
            kind=NotificationKind.MESSAGE,
            read_at__isnull=True,
            dismissed_at__isnull=True,
            link__in=list(set(links.values())),
        ).values_list("user_id", flat=True)
    )
    Notification.objects.bulk_create(
        [
            Notification(
                user=u,
                kind=NotificationKind.MESSAGE,
                title=notice_text(u),
                body=notice_text(u),
                link=links[u.pk],
            )
            for u in recipients
            if u.pk not in already
        ]
    )
    MessageNotice.objects.filter(
        thread_id=thread_id,
        recipient_id__in=list(links),
        status=NoticeStatus.PENDING,
        last_message_id__lt=message.pk,
    ).update(last_message_id=message.pk)
    MessageNotice.objects.bulk_create(
        [
            MessageNotice(
                thread_id=thread_id,
                recipient=u,
                key=f"msg-{thread_id}-{u.pk}-{message.pk}",
                first_message_id=message.pk,
                last_message_id=message.pk,
                due_at=now + _delay(),
            )
            for u in recipients
        ],
        # The one-pending-per-recipient constraint keeps the existing notice (extended above).
        ignore_conflicts=True,
    )


def cancel_read_notices(*, thread: Thread, user: Any, up_to: int) -> int:
    """The recipient read every message a pending notice was for: it is not needed; their
    in-app notifications of the conversation count as read too."""
    Notification.objects.filter(
        user_id=user.pk,
        kind=NotificationKind.MESSAGE,
        read_at__isnull=True,
        link=notice_link(user, thread.pk),
    ).update(read_at=timezone.now())
    return MessageNotice.objects.filter(
        thread=thread, recipient_id=user.pk, status=NoticeStatus.PENDING, last_message_id__lte=up_to
    ).update(status=NoticeStatus.SKIPPED)


# --- the delayed notice -----------------------------------------------------------------------


def _hhmm(value: str) -> time:
    return time.fromisoformat(value)


def quiet_window(recipient: User) -> tuple[ZoneInfo, time, time]:
    """The recipient's zone and quiet hours: a member's own when set, else the default."""
    start, end = (_hhmm(v) for v in settings.MESSAGING_QUIET_HOURS)
    member = (
        Member.objects.filter(user=recipient).first() if recipient.role == Role.MEMBER else None
    )
    if member is not None:
        prefs = MemberPreferences.objects.filter(member=member).first()
        if prefs is not None and prefs.quiet_hours_start and prefs.quiet_hours_end:
            start, end = prefs.quiet_hours_start, prefs.quiet_hours_end
        return zone(member.timezone), start, end
    name = recipient.timezone or getattr(recipient.organization, "timezone", "") or "UTC"
    return zone(name), start, end


def quiet_until(recipient: User, now: datetime) -> datetime | None:
    """When the recipient's quiet hours end, if `now` is inside them; else None."""
    tz, start, end = quiet_window(recipient)
    local = now.astimezone(tz)
    if not in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return None
    day = local.date()
    until = fire_instant(day, end, tz)
    if until <= now:
        until = fire_instant(day + timedelta(days=1), end, tz)
    return until


def channels_for(recipient: User) -> list[str]:
    """Email and/or text message: a member's reminder channels (email when they chose none
    outside the app); a PT's email."""
    if recipient.role != Role.MEMBER:
        return [Channel.EMAIL.value]
    chosen: set[str] = set()
    for channels in ReminderSchedule.objects.filter(
        member__user=recipient, enabled=True
    ).values_list("channels", flat=True):
        chosen.update(channels or [])
    outside = [c for c in (Channel.EMAIL.value, Channel.SMS.value) if c in chosen]
    return outside or [Channel.EMAIL.value]


def _still_unread(notice: MessageNotice) -> bool:
    """Whether a message the notice is for is still unread by the recipient (withdrawn ones do
    not count) and they are still in the conversation."""
    from exercise_tracker import access

    recipient = notice.recipient
    if (
        not recipient.is_active
        or not access.visible_threads(recipient).filter(pk=notice.thread_id).exists()
    ):
        return False
    marker = (
        ReadMarker.objects.filter(thread_id=notice.thread_id, user=recipient)
        .values_list("last_read_id", flat=True)
        .first()
    ) or 0
    side = AuthorSide.CARE_TEAM if recipient.role == Role.MEMBER else AuthorSide.MEMBER
    return Message.objects.filter(
        thread_id=notice.thread_id,
        side=side,
        withdrawn_at__isnull=True,
        id__gt=marker,
        id__lte=notice.last_message_id,
    ).exists()


def _send(channel: str, recipient: User, link: str) -> None:
    text = notice_text(recipient)
    site = settings.SITE_URL.rstrip("/")
    if channel == Channel.EMAIL.value:
        if not recipient.email:
            raise LookupError("no email address")
        body = f"{text}.\n\nRead it in Move Daily: {site}{link}\n"
        send_mail(text, body, None, [recipient.email], fail_silently=False)
        return
    prefs = MemberPreferences.objects.filter(member__user=recipient).first()
    phone = prefs.sms_phone if prefs is not None else ""
    if not phone:
        raise LookupError("no phone number for text messages")
    sms_backend().send(to=phone, text=f"{text}. {site}{link}"[:SMS_MAX_CHARS])


def send_notice(*, notice_id: int, now: datetime | None = None) -> str:
    """Decides and sends one due notice: "skipped" (read meanwhile), "deferred" (quiet hours),
    "sent", "failed", or "" when it was not due or not pending (a second run does nothing:
    the claim under the row lock is what makes the delivery key send once)."""
    now = now or timezone.now()
    with transaction.atomic():
        notice = (
            MessageNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient__organization")
            .filter(pk=notice_id, status=NoticeStatus.PENDING, due_at__lte=now)
            .first()
        )
        if notice is None:
            return ""
        if not _still_unread(notice):
            notice.status = NoticeStatus.SKIPPED
            notice.save(update_fields=["status"])
            return "skipped"
        until = quiet_until(notice.recipient, now)
        if until is not None:
            notice.due_at = until
            notice.save(update_fields=["due_at"])
            return "deferred"
        notice.status = NoticeStatus.SENT
        notice.sent_at = now
        notice.save(update_fields=["status", "sent_at"])
    # Claimed and committed: sent at most once, even if this process dies now.
    sent: list[str] = []
    errors: dict[str, str] = {}
    link = notice_link(notice.recipient, notice.thread_id)
    for channel in channels_for(notice.recipient):
        try:
            _send(channel, notice.recipient, link)
            sent.append(channel)
        except (LookupError, smtplib.SMTPException, OSError) as exc:
            errors[channel] = str(exc) or type(exc).__name__
        except Exception as exc:  # an SMS backend's own failure: recorded, not retried
            errors[channel] = type(exc).__name__
            logger.warning("message notice %s: %s failed", notice.pk, channel)
    status = NoticeStatus.SENT if sent else NoticeStatus.FAILED
    MessageNotice.objects.filter(pk=notice.pk).update(
        status=status, channels_sent=sent, channel_errors=errors
    )
    return str(status)


def send_due_notices(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Every minute (beat): the notices due now, each decided on its own."""
    now = now or timezone.now()
    ids = list(
        MessageNotice.objects.filter(status=NoticeStatus.PENDING, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for notice_id in ids:  # a task's batch: each notice needs its own lock and decision
        outcome = send_notice(notice_id=notice_id, now=now)
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts
