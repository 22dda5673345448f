"""Writes about reminders: a member's schedules and quiet hours, reading and dismissing inbox
notifications (and offering another time to a member who keeps dismissing one)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from exercise_tracker import audit
from exercise_tracker.models import AuditAction
from members.models import (
    Channel,
    Member,
    MemberPreferences,
    Notification,
    NotificationKind,
    ReminderSchedule,
    User,
)
from members.models.reminders import DISMISSALS_BEFORE_OFFER, MAX_REMINDERS_PER_MEMBER
from members.rules import reminder_times

PHONE_PATTERN = re.compile(r"^\+[1-9][0-9]{7,14}$")
REMINDER_KINDS = (NotificationKind.REMINDER, NotificationKind.GENTLE)
SETTINGS_PATH = "/settings/reminders/"

# --- checks, each naming its field ------------------------------------------------------------


def _check_days(days: Iterable[Any]) -> list[int]:
    values = list(days)
    if not values:
        raise ValidationError({"days_of_week": ["Pick at least one day."]})
    if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in values):
        raise ValidationError(
            {"days_of_week": ["Each day is a number from 0 (Monday) to 6 (Sunday)."]}
        )
    repeated = sorted({d for d in values if values.count(d) > 1})
    if repeated:
        listed = ", ".join(str(d) for d in repeated)
        raise ValidationError({"days_of_week": [f"A day is listed more than once: {listed}."]})
    return sorted(values)


def _check_channels(
    channels: Iterable[Any], *, member: Member, preferences: MemberPreferences | None
) -> list[str]:
    values = list(channels)
    if not values:
        raise ValidationError({"channels": ["Pick at least one channel."]})
    unknown = [c for c in values if c not in Channel.values]
    if unknown:
        raise ValidationError(
            {"channels": [f"Choose from: {', '.join(Channel.values)} (not {unknown[0]!r})."]}
        )
    if len(set(values)) != len(values):
        raise ValidationError({"channels": ["A channel is listed more than once."]})
    if Channel.EMAIL in values and not member.user.email:
        raise ValidationError(
            {"channels": ["Your account has no email address: ask your clinic to add one."]}
        )
    if Channel.SMS in values and not (preferences and preferences.sms_phone):
        raise ValidationError(
            {"channels": ["Add a phone number for text messages first (sms_phone)."]}
        )
    return [c for c in Channel.values if c in values]


def _check_outside_quiet_hours(at: time, preferences: MemberPreferences | None) -> None:
    if preferences is None:
        return
    start, end = preferences.quiet_hours_start, preferences.quiet_hours_end
    if start is not None and end is not None and reminder_times.in_quiet_hours(at, start, end):
        raise ValidationError(
            {
                "local_time": [
                    f"{at:%H:%M} is inside your quiet hours ({start:%H:%M}-{end:%H:%M}): "
                    "pick another time or change your quiet hours."
                ]
            }
        )


def _next_fire(schedule: ReminderSchedule, now: datetime) -> datetime | None:
    if not schedule.enabled:
        return None
    found = reminder_times.next_fire(
        after=now,
        at=schedule.local_time,
        days=schedule.days_of_week,
        tz=reminder_times.zone(schedule.timezone),
    )
    return found[0] if found is not None else None


def preferences_of(member: Member) -> MemberPreferences | None:
    return MemberPreferences.objects.filter(member=member).first()


def _duplicate_time() -> ValidationError:
    return ValidationError({"local_time": ["You already have a reminder at this time."]})


# --- schedules --------------------------------------------------------------------------------


@transaction.atomic
def create_reminder(
    *,
    member: Member,
    local_time: time,
    days_of_week: Iterable[int] = reminder_times.ALL_DAYS,
    channels: Iterable[str] = (Channel.IN_APP,),
    enabled: bool = True,
    skip_if_done: bool = True,
    now: datetime | None = None,
    by: User | None = None,
) -> ReminderSchedule:
    """A new reminder, its next fire computed in the member's zone. Errors name their field.
    `by` (default: the member) is who set it, for the audit trail."""
    now = now or timezone.now()
    preferences, _ = MemberPreferences.objects.get_or_create(member=member)
    local_time = local_time.replace(second=0, microsecond=0)
    days = _check_days(days_of_week)
    chosen = _check_channels(channels, member=member, preferences=preferences)
    _check_outside_quiet_hours(local_time, preferences)
    if ReminderSchedule.objects.filter(member=member).count() >= MAX_REMINDERS_PER_MEMBER:
        raise ValidationError(
            {"non_field_errors": [f"You can have at most {MAX_REMINDERS_PER_MEMBER} reminders."]}
        )
    if ReminderSchedule.objects.filter(member=member, local_time=local_time).exists():
        raise ValidationError({"local_time": ["You already have a reminder at this time."]})
    schedule = ReminderSchedule(
        member=member,
        local_time=local_time,
        days_mask=reminder_times.days_to_mask(days),
        channels=chosen,
        enabled=enabled,
        skip_if_done=skip_if_done,
        timezone=member.timezone,
    )
    schedule.next_fire_at = _next_fire(schedule, now)
    try:
        with transaction.atomic():
            schedule.save()
    except IntegrityError as exc:  # the same time added twice at once
        raise _duplicate_time() from exc
    audit.record_write(
        by=by or member.user, action=AuditAction.CREATE, member_id=member.pk, obj=schedule
    )
    return schedule


@transaction.atomic
def update_reminder(
    *,
    schedule: ReminderSchedule,
    now: datetime | None = None,
    by: User | None = None,
    **changes: Any,
) -> ReminderSchedule:
    """Changes some of local_time, days_of_week, channels, enabled, skip_if_done. The row is
    locked, so a dispatcher tick in progress finishes first; the next fire is recomputed, and a
    member who acted on their reminder starts a fresh count of dismissals."""
    now = now or timezone.now()
    schedule = (
        ReminderSchedule.objects.select_for_update(of=("self",))
        .select_related("member__user")
        .get(pk=schedule.pk)
    )
    member = schedule.member
    preferences = preferences_of(member)
    if "local_time" in changes:
        schedule.local_time = changes["local_time"].replace(second=0, microsecond=0)
        duplicate = ReminderSchedule.objects.filter(
            member=member, local_time=schedule.local_time
        ).exclude(pk=schedule.pk)
        if duplicate.exists():
            raise ValidationError({"local_time": ["You already have a reminder at this time."]})
    if "days_of_week" in changes:
        schedule.days_mask = reminder_times.days_to_mask(_check_days(changes["days_of_week"]))
    if "channels" in changes:
        schedule.channels = _check_channels(
            changes["channels"], member=member, preferences=preferences
        )
    for flag in ("enabled", "skip_if_done"):
        if flag in changes:
            setattr(schedule, flag, bool(changes[flag]))
    if schedule.enabled:
        _check_outside_quiet_hours(schedule.local_time, preferences)
    schedule.timezone = member.timezone
    schedule.next_fire_at = _next_fire(schedule, now)
    schedule.dismissals_in_row = 0
    schedule.other_time_offered_at = None
    try:
        with transaction.atomic():
            schedule.save()
    except IntegrityError as exc:
        raise _duplicate_time() from exc
    audit.record_write(
        by=by or member.user, action=AuditAction.UPDATE, member_id=member.pk, obj=schedule
    )
    return schedule


@transaction.atomic
def delete_reminder(*, schedule: ReminderSchedule, by: User | None = None) -> None:
    """Deletes the reminder and its delivery records; inbox notifications stay (unlinked)."""
    audit.record_write(
        by=by or schedule.member.user,
        action=AuditAction.DELETE,
        member_id=schedule.member_id,
        obj=schedule,
    )
    ReminderSchedule.objects.filter(pk=schedule.pk).delete()


@transaction.atomic
def update_preferences(
    *, member: Member, by: User | None = None, **changes: Any
) -> MemberPreferences:
    """Quiet hours (`quiet_hours_start`, `quiet_hours_end`: both or neither) and `sms_phone`."""
    preferences, _ = MemberPreferences.objects.select_for_update().get_or_create(member=member)
    start = changes.get("quiet_hours_start", preferences.quiet_hours_start)
    end = changes.get("quiet_hours_end", preferences.quiet_hours_end)
    if (start is None) != (end is None):
        missing = "quiet_hours_end" if end is None else "quiet_hours_start"
        raise ValidationError(
            {missing: ["Give both the start and the end of quiet hours, or neither."]}
        )
    if start is not None and end is not None:
        start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
        if start == end:
            raise ValidationError(
                {"quiet_hours_end": ["Quiet hours must end at another time than they start."]}
            )
        clashing = [
            s
            for s in ReminderSchedule.objects.filter(member=member, enabled=True)
            if reminder_times.in_quiet_hours(s.local_time, start, end)
        ]
        if clashing:
            times = ", ".join(f"{s.local_time:%H:%M}" for s in clashing)
            raise ValidationError(
                {
                    "quiet_hours_start": [
                        f"Your reminder at {times} falls inside these quiet hours: "
                        "move or switch it off first."
                    ]
                }
            )
    phone = changes.get("sms_phone", preferences.sms_phone)
    phone = re.sub(r"[\s().-]", "", phone or "")
    if phone and not PHONE_PATTERN.match(phone):
        raise ValidationError(
            {"sms_phone": ["Give the number with its country code, e.g. +15551234567."]}
        )
    # At most a few reminders per member; JSON containment is not portable to SQLite.
    texting = [
        s for s in ReminderSchedule.objects.filter(member=member) if Channel.SMS in s.channels
    ]
    if not phone and texting:
        raise ValidationError(
            {"sms_phone": ["A reminder sends text messages: remove SMS from it first."]}
        )
    preferences.quiet_hours_start, preferences.quiet_hours_end = start, end
    preferences.sms_phone = phone
    preferences.save()
    audit.record_write(
        by=by or member.user, action=AuditAction.UPDATE, member_id=member.pk, obj=preferences
    )
    return preferences


# --- the inbox --------------------------------------------------------------------------------


def _locked_notification(*, user: User, notification_id: int) -> Notification:
    return Notification.objects.select_for_update().get(pk=notification_id, user=user)


@transaction.atomic
def mark_read(*, user: User, notification: Notification) -> Notification:
    """Marks it read. Reading a reminder counts as engaging with it: its dismissals restart."""
    notification = _locked_notification(user=user, notification_id=notification.pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        if notification.kind in REMINDER_KINDS and notification.schedule_id is not None:
            ReminderSchedule.objects.filter(pk=notification.schedule_id).update(dismissals_in_row=0)
    return notification


@transaction.atomic
def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def dismiss(*, user: User, notification: Notification) -> Notification:
    """Dismisses it ("not now"). The third reminder of one schedule dismissed in a row offers the
    member another time, once, in the inbox; a change to the reminder starts the count again."""
    notification = _locked_notification(user=user, notification_id=notification.pk)
    if notification.dismissed_at is not None:
        return notification
    now = timezone.now()
    notification.dismissed_at = now
    notification.read_at = notification.read_at or now
    notification.save(update_fields=["dismissed_at", "read_at"])
    if notification.kind != NotificationKind.REMINDER or notification.schedule_id is None:
        return notification
    schedule = (
        ReminderSchedule.objects.select_for_update(of=("self",))
        .filter(pk=notification.schedule_id)
        .first()
    )
    if schedule is None:
        return notification
    ReminderSchedule.objects.filter(pk=schedule.pk).update(
        dismissals_in_row=F("dismissals_in_row") + 1
    )
    schedule.refresh_from_db(fields=["dismissals_in_row", "other_time_offered_at"])
    if (
        schedule.dismissals_in_row >= DISMISSALS_BEFORE_OFFER
        and schedule.other_time_offered_at is None
    ):
        offer_other_time(schedule=schedule, user=user, now=now)
    return notification


def offer_other_time(*, schedule: ReminderSchedule, user: User, now: datetime) -> Notification:
    """An inbox note suggesting another time for a reminder the member keeps dismissing."""
    ReminderSchedule.objects.filter(pk=schedule.pk).update(other_time_offered_at=now)
    return Notification.objects.create(
        user=user,
        kind=NotificationKind.OTHER_TIME,
        title=f"Is {schedule.local_time:%H:%M} a good time for you?",
        body=(
            f"You dismissed the last {schedule.dismissals_in_row} reminders at "
            f"{schedule.local_time:%H:%M}. A time that fits your day works better: pick "
            "another one, or switch this reminder off."
        ),
        link=f"{SETTINGS_PATH}#reminder-{schedule.pk}",
        schedule=schedule,
    )
