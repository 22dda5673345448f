"""Demo reminders (seed_demo's "reminders" step): every demo member gets a reminder at a time of
their own (the members already live in several time zones), some with quiet hours, and a few
inbox notifications so the inbox and its unread count show something. Safe to run again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone

from members.models import (
    Channel,
    Member,
    MemberPreferences,
    Notification,
    NotificationKind,
    ReminderSchedule,
)
from members.rules.reminder_times import ALL_DAYS
from members.services.reminder_send import reminder_words
from members.services.reminders import create_reminder

TIMES = (time(7, 30), time(8, 0), time(12, 15), time(17, 45), time(18, 30), time(20, 0))
WEEKDAYS = (0, 1, 2, 3, 4)
DEMO_ORG_SLUGS = ("demo-clinic", "other-clinic")


@transaction.atomic
def seed_demo_reminders(*, say: Callable[[str], object] = print) -> int:
    """Creates what is missing; returns how many reminders were written."""
    members = list(
        Member.objects.filter(user__organization__slug__in=DEMO_ORG_SLUGS)
        .select_related("user")
        .order_by("pk")
    )
    have = set(
        ReminderSchedule.objects.filter(member__in=members).values_list("member_id", flat=True)
    )
    written = 0
    for index, member in enumerate(members):
        if member.pk in have:
            continue
        if index % 4 == 1:
            # Quiet hours for some, so the settings page shows them filled in.
            MemberPreferences.objects.update_or_create(
                member=member,
                defaults={"quiet_hours_start": time(21, 30), "quiet_hours_end": time(7, 0)},
            )
        channels = [Channel.IN_APP.value]
        if index % 4 == 0 and member.user.email:
            channels.append(Channel.EMAIL.value)
        create_reminder(
            member=member,
            local_time=TIMES[index % len(TIMES)],
            days_of_week=WEEKDAYS if index % 5 == 2 else ALL_DAYS,
            channels=channels,
        )
        written += 1
    _seed_inbox(members)
    say(f"  {written} reminders written")
    return written


def _seed_inbox(members: list[Member]) -> None:
    """Two notifications for demo_member (one unread), one for demo_member2."""
    wanted = {"demo_member": 2, "demo_member2": 1}
    now = timezone.now()
    for member in members:
        count = wanted.get(member.user.username)
        if count is None or Notification.objects.filter(user=member.user).exists():
            continue
        schedule = ReminderSchedule.objects.filter(member=member).first()
        words = reminder_words(names=[], streak=2)
        notes = [
            Notification(
                user=member.user,
                kind=NotificationKind.REMINDER,
                title=words.title,
                body=words.body,
                link="/today/",
                schedule=schedule,
                read_at=None if n == 0 else now - timedelta(days=n),
            )
            for n in range(count)
        ]
        created = Notification.objects.bulk_create(notes)
        for n, note in enumerate(created):
            # Yesterday's and today's, not all "just now".
            Notification.objects.filter(pk=note.pk).update(created_at=now - timedelta(days=n))
