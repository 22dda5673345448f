"""Reminder channels behind one interface: in-app (a Notification row), email (Django's email
backend), SMS (a pluggable backend named by settings.REMINDER_SMS_BACKEND; console by default).

A channel raises ChannelUnavailable when it can never send to this member (no address): that is
recorded and not retried. TransientChannelError is for a server that may answer later: the send
task retries it with backoff. Anything else is a bug and is not retried.
"""

from __future__ import annotations

import smtplib
import sys
import threading
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from members.models import Channel, MemberPreferences, Notification, ReminderDelivery, User

SMS_MAX_CHARS = 160


@dataclass(frozen=True)
class Message:
    """What a reminder says. `body` and `sms` never hold clinical details (no condition, pain,
    notes or doses): they leave the app by email and text message."""

    kind: str
    title: str
    body: str
    sms: str
    link: str


class ChannelUnavailable(Exception):
    """This channel cannot reach the member (no email address, no phone number)."""


class TransientChannelError(Exception):
    """The channel's server did not take the message this time; retrying may work."""


class Sender(Protocol):
    name: str

    def send(
        self,
        *,
        delivery: ReminderDelivery,
        user: User,
        preferences: MemberPreferences | None,
        message: Message,
    ) -> None: ...


class InAppSender:
    """A row in the member's inbox; one per delivery, held by a unique key."""

    name = Channel.IN_APP.value

    def send(
        self,
        *,
        delivery: ReminderDelivery,
        user: User,
        preferences: MemberPreferences | None,
        message: Message,
    ) -> None:
        try:
            with transaction.atomic():
                Notification.objects.get_or_create(
                    delivery=delivery,
                    defaults={
                        "user": user,
                        "kind": message.kind,
                        "title": message.title,
                        "body": message.body,
                        "link": message.link,
                        "schedule_id": delivery.schedule_id,
                    },
                )
        except IntegrityError:
            # Another send of this delivery committed its notification first: it is there.
            pass


class EmailSender:
    name = Channel.EMAIL.value

    def send(
        self,
        *,
        delivery: ReminderDelivery,
        user: User,
        preferences: MemberPreferences | None,
        message: Message,
    ) -> None:
        if not user.email:
            raise ChannelUnavailable("no email address")
        site = settings.SITE_URL.rstrip("/")
        text = (
            f"{message.body}\n\nOpen Move Daily: {site}{message.link}\n\n"
            f"You get this because you set a reminder. Change or stop reminders: "
            f"{site}/settings/reminders/\n"
        )
        try:
            send_mail(message.title, text, None, [user.email], fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientChannelError(f"email: {exc.__class__.__name__}") from exc


class BaseSMSBackend:
    """Subclass and name it in REMINDER_SMS_BACKEND: `send(to, text)` delivers or raises
    TransientChannelError (retried) or ChannelUnavailable (recorded)."""

    def send(self, *, to: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    """Writes texts to standard output, like Django's console email backend."""

    _lock = threading.Lock()

    def send(self, *, to: str, text: str) -> None:
        with self._lock:
            sys.stdout.write(f"SMS to {to}: {text}\n")
            sys.stdout.flush()


class LocmemSMSBackend(BaseSMSBackend):
    """Keeps texts in `LocmemSMSBackend.outbox` (tests)."""

    outbox: ClassVar[list[tuple[str, str]]] = []

    def send(self, *, to: str, text: str) -> None:
        self.outbox.append((to, text))


def sms_backend() -> BaseSMSBackend:
    backend: BaseSMSBackend = import_string(settings.REMINDER_SMS_BACKEND)()
    return backend


class SmsSender:
    name = Channel.SMS.value

    def send(
        self,
        *,
        delivery: ReminderDelivery,
        user: User,
        preferences: MemberPreferences | None,
        message: Message,
    ) -> None:
        phone = preferences.sms_phone if preferences is not None else ""
        if not phone:
            raise ChannelUnavailable("no phone number for text messages")
        sms_backend().send(to=phone, text=message.sms[:SMS_MAX_CHARS])


SENDERS: dict[str, Sender] = {
    sender.name: sender for sender in (InAppSender(), EmailSender(), SmsSender())
}
# In-app first: it is in the database, cannot fail for want of an address, and is what the
# member sees when they open the app.
ORDER = (Channel.IN_APP.value, Channel.EMAIL.value, Channel.SMS.value)


def ordered(channels: list[str]) -> list[str]:
    return [name for name in ORDER if name in channels]
