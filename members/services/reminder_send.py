"""Sending one reminder delivery, idempotently: whoever runs it (twice, in two workers, again
after a worker died) the member gets it once.

Three short transactions, each holding the delivery's row lock:
1. decide (pending → skipped with a reason, or → sending with the words fixed);
2. per channel: send it and record it in `channels_sent`, or roll back and retry later;
3. finish (sending → sent, or failed when no channel could send).
A delivery already sent, skipped or failed is left alone. In-app notifications are unique per
delivery in the database; email and SMS can repeat only if a worker dies between handing the
message over and committing the record of it, the window no system without two-phase commit
with the mail server closes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from exercise_tracker import access, clock
from members.models import (
    Alert,
    AlertKind,
    DeliveryKind,
    DeliveryStatus,
    Member,
    MemberPreferences,
    NotificationKind,
    ReminderDelivery,
    ReminderSchedule,
    SkipReason,
)
from members.models.alerts import ACTIVE_STATUSES
from members.rules import reminder_times
from members.selectors import reminders as selectors
from members.selectors.sessions import streak_for
from members.services import channels

from .reminder_dispatch import grace_window

logger = logging.getLogger(__name__)

MISSED_DAYS = 3  # days without a session after which reminders turn into one gentle message
MAX_NAMED_EXERCISES = 3
TODAY_PATH = "/today/"
FINAL = (DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.FAILED)


@dataclass(frozen=True)
class Words:
    title: str
    body: str


def _listed(names: list[str]) -> str:
    shown = names[:MAX_NAMED_EXERCISES]
    rest = len(names) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def reminder_words(*, names: list[str], streak: int) -> Words:
    """The reminder: today's exercises by name and the streak. Nothing clinical (no condition,
    pain, doses or notes): the same words go out by email and text message."""
    today = f"Today: {_listed(names)}." if names else "A few minutes of your exercises today."
    if streak >= 2:
        cheer = f" You have done them {streak} days in a row: keep it going!"
    elif streak == 1:
        cheer = " You did them yesterday: make it two days in a row."
    else:
        cheer = " Every session counts."
    return Words(title="Time for your exercises", body=today + cheer)


def gentle_words() -> Words:
    return Words(
        title="We miss you",
        body=(
            "It has been a few days. No pressure: even 5 minutes of your exercises helps. "
            "We let your physical therapist know, in case the plan needs a change. Reminders "
            "pause until you log your next session."
        ),
    )


def message_of(delivery: ReminderDelivery) -> channels.Message:
    kind = (
        NotificationKind.GENTLE
        if delivery.kind == DeliveryKind.GENTLE
        else NotificationKind.REMINDER
    )
    return channels.Message(
        kind=kind.value,
        title=delivery.title,
        body=delivery.body,
        sms=f"Move Daily: {delivery.body}",
        link=TODAY_PATH,
    )


# --- the entry point --------------------------------------------------------------------------


def send_delivery(*, delivery_id: int, now: datetime | None = None) -> str:
    """Sends the delivery if it still needs sending; answers what became of it."""
    now = now or timezone.now()
    status = _decide(delivery_id=delivery_id, now=now)
    if status != DeliveryStatus.SENDING:
        return status
    planned = (
        ReminderDelivery.objects.filter(pk=delivery_id).values_list("channels", flat=True).first()
    )
    for name in channels.ordered(list(planned or [])):
        _send_channel(delivery_id=delivery_id, channel=name)
    return _finish(delivery_id=delivery_id, now=now)


def _locked(delivery_id: int) -> ReminderDelivery | None:
    return (
        ReminderDelivery.objects.select_for_update(of=("self",))
        .select_related("schedule", "member__user")
        .filter(pk=delivery_id)
        .first()
    )


def _skip(delivery: ReminderDelivery, reason: str) -> str:
    delivery.status = DeliveryStatus.SKIPPED
    delivery.reason = reason
    delivery.save(update_fields=["status", "reason"])
    return DeliveryStatus.SKIPPED.value


@transaction.atomic
def _decide(*, delivery_id: int, now: datetime) -> str:
    delivery = _locked(delivery_id)
    if delivery is None:
        return "gone"  # the reminder was deleted since: nothing to send
    if delivery.status != DeliveryStatus.PENDING:
        return delivery.status  # sent, skipped, failed; or sending (carry on with channels)
    schedule, member = delivery.schedule, delivery.member
    if now - delivery.due_at > grace_window():
        return _skip(delivery, SkipReason.STALE)
    if not schedule.enabled or schedule.slot != delivery.slot or not member.user.is_active:
        # Switched off, changed, or the account was deactivated since the dispatcher ran.
        return _skip(delivery, SkipReason.DISABLED)
    # One member's sends decide one at a time: two reminders firing together must not both
    # send "the" gentle message.
    MemberPreferences.objects.get_or_create(member_id=member.pk)
    preferences = MemberPreferences.objects.select_for_update().get(member_id=member.pk)
    today = delivery.local_date
    if schedule.skip_if_done and selectors.logged_on(member_id=member.pk, day=today):
        ReminderSchedule.objects.filter(pk=schedule.pk).update(dismissals_in_row=0)
        return _skip(delivery, SkipReason.DONE_TODAY)
    local_now = now.astimezone(reminder_times.zone(member.timezone)).time()
    if reminder_times.in_quiet_hours(
        local_now, preferences.quiet_hours_start, preferences.quiet_hours_end
    ):
        return _skip(delivery, SkipReason.QUIET_HOURS)

    kind = DeliveryKind.REMINDER
    last = selectors.last_logged_date(member_id=member.pk, before=today)
    if _missed_days(schedule=schedule, member=member, last=last, today=today):
        if _gentle_sent_since(member_id=member.pk, last=last):
            return _skip(delivery, SkipReason.PAUSED)
        kind = DeliveryKind.GENTLE
        _raise_inactivity_alert(member=member, last=last, today=today)
        words = gentle_words()
    else:
        words = reminder_words(
            names=selectors.todays_exercise_names(member=member, today=today),
            streak=streak_for(member=member, today=today),
        )
    delivery.status = DeliveryStatus.SENDING
    delivery.kind = kind
    delivery.title, delivery.body = words.title, words.body
    delivery.channels = channels.ordered(list(schedule.channels))
    delivery.save(update_fields=["status", "kind", "title", "body", "channels"])
    return DeliveryStatus.SENDING.value


def _missed_days(
    *, schedule: ReminderSchedule, member: Member, last: date | None, today: date
) -> bool:
    """No session on the last MISSED_DAYS local dates, for a member reminded that long."""
    reminded_since = clock.local_date(member, schedule.created_at)
    if (today - reminded_since).days < MISSED_DAYS:
        return False
    return last is None or last < today - timedelta(days=MISSED_DAYS)


def _gentle_sent_since(*, member_id: int, last: date | None) -> bool:
    """Whether this absence already had its gentle message (any of the member's reminders)."""
    gentle = ReminderDelivery.objects.filter(
        member_id=member_id,
        kind=DeliveryKind.GENTLE,
        status__in=(DeliveryStatus.SENDING, DeliveryStatus.SENT),
    )
    if last is not None:
        gentle = gentle.filter(local_date__gt=last)
    return gentle.exists()


def _raise_inactivity_alert(*, member: Member, last: date | None, today: date) -> None:
    """The "no session for days" alert to the member's primary PT, unless one is active: the
    same kind and the same one-active-per-member rule as the logging rules' alert."""
    if Alert.objects.filter(
        member=member, kind=AlertKind.INACTIVE, status__in=ACTIVE_STATUSES
    ).exists():
        return
    therapist = access.primary_therapist(member, on=today)
    therapist_id = therapist.pk if therapist is not None else None
    days = (today - last).days - 1 if last is not None else None
    try:
        with transaction.atomic():
            Alert.objects.create(
                member=member,
                therapist_id=therapist_id,
                kind=AlertKind.INACTIVE,
                # The keys of the daily inactivity check's alerts (members.services.alerts).
                details={
                    "days_without_session": days if days is not None else MISSED_DAYS,
                    "last_session": last.isoformat() if last is not None else None,
                    "date": today.isoformat(),
                    "raised_by": "reminders",
                },
            )
    except IntegrityError:
        pass  # raised meanwhile by the daily inactivity check: one active alert is enough


@transaction.atomic
def _send_channel(*, delivery_id: int, channel: str) -> None:
    delivery = _locked(delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.SENDING:
        return
    if not delivery.member.user.is_active:
        # Deactivated between the decision and this channel: nothing more goes out.
        delivery.channel_errors = {**delivery.channel_errors, channel: "account deactivated"}
        delivery.save(update_fields=["channel_errors"])
        return
    if channel in delivery.channels_sent or channel in delivery.channel_errors:
        return  # done by an earlier run of this task
    preferences = MemberPreferences.objects.filter(member_id=delivery.member_id).first()
    try:
        channels.SENDERS[channel].send(
            delivery=delivery,
            user=delivery.member.user,
            preferences=preferences,
            message=message_of(delivery),
        )
    except channels.ChannelUnavailable as exc:
        delivery.channel_errors = {**delivery.channel_errors, channel: str(exc)}
    else:
        delivery.channels_sent = [*delivery.channels_sent, channel]
    delivery.save(update_fields=["channels_sent", "channel_errors"])


@transaction.atomic
def _finish(*, delivery_id: int, now: datetime) -> str:
    delivery = _locked(delivery_id)
    if delivery is None:
        return "gone"
    if delivery.status != DeliveryStatus.SENDING:
        return delivery.status
    if delivery.channels_sent:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.reason = SkipReason.NO_CHANNEL
    delivery.save(update_fields=["status", "sent_at", "reason"])
    return delivery.status


@transaction.atomic
def mark_failed(*, delivery_id: int, now: datetime | None = None) -> None:
    """After the last retry: what went out counts as sent; otherwise the delivery failed."""
    delivery = _locked(delivery_id)
    if delivery is None or delivery.status in FINAL:
        return
    if delivery.channels_sent:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now or timezone.now()
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.reason = SkipReason.ERROR
    delivery.save(update_fields=["status", "sent_at", "reason"])
