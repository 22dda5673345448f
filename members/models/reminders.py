"""Reminders: a member's schedules, their quiet hours, one delivery row per fire, the in-app inbox.

Times are stored as the member's local wall time and IANA zone; `next_fire_at` (UTC) is derived
from them by members.rules.reminder_times and is what the dispatcher's indexed query reads.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .people import Member

ALL_DAYS_MASK = 0b1111111  # bit 0 = Monday ... bit 6 = Sunday (date.weekday()), as plan items
MAX_REMINDERS_PER_MEMBER = 10
# Dismissals in a row after which the member is offered another time (once, until they act).
DISMISSALS_BEFORE_OFFER = 3


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class MemberPreferences(models.Model):
    """Member-level reminder settings: quiet hours and the number texts go to.

    A model of its own rather than fields on Member: reminders own it and its migrations, and a
    row exists only for members who set reminders. It is also the row a send locks, so that two
    reminders of one member firing together decide "the gentle message" once.
    """

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="preferences")
    # Local wall times; start > end wraps midnight (22:00-07:00). Both empty: no quiet hours.
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    sms_phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +15551234567.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "member preferences"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                    | (
                        Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False)
                        & ~Q(quiet_hours_start=models.F("quiet_hours_end"))
                    )
                ),
                name="preferences_quiet_hours_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"Preferences of member {self.member_id}"


class ReminderSchedule(models.Model):
    """One reminder: a local time on some days of the week, through some channels."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reminders")
    local_time = models.TimeField(help_text="Wall time in the member's time zone (minutes).")
    days_mask = models.PositiveSmallIntegerField(default=ALL_DAYS_MASK)
    channels = models.JSONField(default=list, help_text='Some of "in_app", "email", "sms".')
    enabled = models.BooleanField(default=True)
    skip_if_done = models.BooleanField(default=True)
    # The zone next_fire_at was computed in: when the member's zone changes, the dispatcher
    # sees the difference and recomputes instead of firing at the old zone's time.
    timezone = models.CharField(max_length=64)
    next_fire_at = models.DateTimeField(null=True, blank=True)
    dismissals_in_row = models.PositiveSmallIntegerField(default=0)
    other_time_offered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("local_time", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "local_time"], name="reminder_one_per_member_and_time"
            ),
            models.CheckConstraint(
                condition=Q(days_mask__gte=1, days_mask__lte=ALL_DAYS_MASK),
                name="reminder_days_mask_valid",
            ),
            models.CheckConstraint(
                condition=Q(enabled=False) | Q(next_fire_at__isnull=False),
                name="reminder_enabled_has_next_fire",
            ),
        ]
        indexes = [
            # The dispatcher's query: enabled and next_fire_at <= now. Partial, so its size
            # follows the enabled reminders and a tick with none due reads one index page.
            models.Index(fields=["next_fire_at"], condition=Q(enabled=True), name="reminder_due"),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.local_time:%H:%M} for member {self.member_id}"

    @property
    def days_of_week(self) -> list[int]:
        return [day for day in range(7) if self.days_mask & (1 << day)]

    @property
    def slot(self) -> str:
        return f"{self.local_time:%H:%M}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Queued"
    SENDING = "sending", "Sending"  # decided to send; channels recorded one by one
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class DeliveryKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    GENTLE = "gentle", "Gentle message after missed days"


class SkipReason(models.TextChoices):
    STALE = "stale", "Past the grace window (dispatcher was down)"
    DONE_TODAY = "done_today", "Today's session is already logged"
    QUIET_HOURS = "quiet_hours", "Inside the member's quiet hours"
    PAUSED = "paused_after_missed_days", "Paused after missed days (gentle message sent)"
    DISABLED = "disabled", "Reminder switched off or changed before sending"
    NO_CHANNEL = "no_channel", "No channel could send"
    ERROR = "error", "Sending failed after retries"


class ReminderDelivery(models.Model):
    """The record of one fire: (schedule, local date, slot) is unique, so however many tasks,
    workers or dispatchers handle a fire, one row exists and only its owner sends."""

    schedule = models.ForeignKey(
        ReminderSchedule, on_delete=models.CASCADE, related_name="deliveries"
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    local_date = models.DateField()
    slot = models.CharField(max_length=5, help_text="The scheduled local time, HH:MM.")
    due_at = models.DateTimeField(help_text="The instant it was due (UTC).")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    kind = models.CharField(
        max_length=10, choices=DeliveryKind.choices, default=DeliveryKind.REMINDER
    )
    reason = models.CharField(max_length=30, choices=SkipReason.choices, blank=True)
    # The message as decided once, so a retry sends the same words.
    title = models.CharField(max_length=120, blank=True)
    body = models.TextField(blank=True)
    channels = models.JSONField(default=list, help_text="The channels decided on at send time.")
    channels_sent = models.JSONField(default=list)
    channel_errors = models.JSONField(default=dict, blank=True)
    # Which dispatcher batch inserted the row: it queues the sends of its own rows only.
    dispatch_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-due_at", "-id")
        verbose_name_plural = "reminder deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "local_date", "slot"], name="reminder_delivery_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in DeliveryStatus]),
                name="reminder_delivery_status_valid",
            ),
        ]
        indexes = [
            # "Was a gentle message sent since the last session?" and the member's history.
            models.Index(fields=["member", "local_date"], name="reminder_delivery_member_date"),
            # The dispatcher's sweep for queued sends whose message was lost (broker restart).
            models.Index(
                fields=["due_at"],
                condition=Q(status="pending"),
                name="reminder_delivery_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slot} on {self.local_date} for schedule {self.schedule_id}: {self.status}"


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    GENTLE = "gentle_reminder", "We miss you"
    OTHER_TIME = "reminder_time_suggestion", "Another time for a reminder?"
    MESSAGE = "message", "Message"


class Notification(models.Model):
    """The in-app inbox of any user. Reading or dismissing never deletes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=1000)
    link = models.CharField(max_length=200, blank=True, help_text="A path in the app.")
    # The in-app channel writes at most one notification per delivery (unique when set).
    delivery = models.OneToOneField(
        ReminderDelivery,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notification",
    )
    schedule = models.ForeignKey(
        ReminderSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The unread count on every page: user = ? AND read_at IS NULL.
            models.Index(fields=["user", "read_at"], name="notification_user_read"),
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for user {self.user_id}"
