"""Writes for remote therapeutic monitoring: episodes started with the member's consent and
ended, and the review minutes a PT records. One transaction each; only a PT of the member's
care team writes them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from exercise_tracker import access, audit, clock
from exercise_tracker.models import AuditAction
from members.models import Member, MonitoringEpisode, ReviewSource, ReviewTime, User
from members.models.adherence import MAX_REVIEW_MINUTES

# How far back a PT may date an episode's start or a review: a year of late paperwork, and
# no further (a typo in the year should not rewrite old billing periods).
MAX_DAYS_BACK = 365
MIN_REVIEW_MINUTES = 1


class AlreadyMonitored(ValidationError):
    """The member has an open episode: end it before starting another (the API answers 409)."""


def _require_care_team(user: User, member: Member) -> None:
    if not access.is_care_team(user, member):
        raise ValidationError({"member": ["Only a PT of the member's care team may do this."]})


def _lock(member: Member) -> None:
    # Starting, ending and recording for one member happen one after the other: an episode
    # cannot end while minutes are recorded inside it.
    Member.objects.select_for_update().filter(pk=member.pk).values_list("pk").first()


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


@transaction.atomic
def start_monitoring(
    *,
    user: User,
    member: Member,
    start_date: date,
    consent_at: datetime,
    now: datetime | None = None,
) -> MonitoringEpisode:
    """Opens a monitoring episode from `start_date` (the member's local date), with the time the
    member consented; `user` (their PT) is recorded as who took the consent."""
    _require_care_team(user, member)
    now = now or timezone.now()
    today = clock.local_today(member, now)
    errors: dict[str, list[str]] = {}
    if not isinstance(consent_at, datetime) or timezone.is_naive(consent_at):
        errors["consent_at"] = ["Give the date and time of consent with a UTC offset."]
    elif consent_at > now:
        errors["consent_at"] = ["Consent cannot be recorded ahead of time."]
    if not _is_date(start_date):
        errors["start_date"] = ["Give a date as YYYY-MM-DD."]
    elif start_date > today:
        errors["start_date"] = ["Monitoring cannot start in the future."]
    elif start_date < today - timedelta(days=MAX_DAYS_BACK):
        errors["start_date"] = [f"Monitoring can start at most {MAX_DAYS_BACK} days back."]
    elif "consent_at" not in errors:
        consented_on = clock.local_date(member, consent_at)
        if start_date < consented_on:
            errors["start_date"] = [
                f"Monitoring starts on or after consent (given on {consented_on.isoformat()})."
            ]
    if errors:
        raise ValidationError(errors)

    _lock(member)
    episodes = MonitoringEpisode.objects.filter(member=member)
    current = episodes.filter(end_date__isnull=True).first()
    if current is not None:
        raise AlreadyMonitored(
            {
                "member": [
                    f"Already monitored since {current.start_date.isoformat()}: "
                    "end that episode first."
                ]
            }
        )
    last_end = episodes.aggregate(last=Max("end_date"))["last"]
    if last_end is not None and start_date <= last_end:
        raise ValidationError(
            {
                "start_date": [
                    f"Start after the previous episode, which ended on {last_end.isoformat()}."
                ]
            }
        )
    try:
        with transaction.atomic():
            episode = MonitoringEpisode.objects.create(
                member=member,
                start_date=start_date,
                consent_at=consent_at,
                consent_recorded_by=user,
            )
    except IntegrityError as exc:  # the one-open-episode constraint, should a race get past
        raise AlreadyMonitored({"member": ["Already monitored: end that episode first."]}) from exc
    audit.record_write(by=user, action=AuditAction.CREATE, member_id=member.pk, obj=episode)
    return episode


@transaction.atomic
def end_monitoring(
    *, user: User, member: Member, end_date: date, now: datetime | None = None
) -> MonitoringEpisode:
    """Ends the member's open episode on `end_date` (their local date, the last day counted)."""
    _require_care_team(user, member)
    now = now or timezone.now()
    if not _is_date(end_date):
        raise ValidationError({"end_date": ["Give a date as YYYY-MM-DD."]})
    _lock(member)
    episode = MonitoringEpisode.objects.filter(member=member, end_date__isnull=True).first()
    if episode is None:
        raise ValidationError({"member": ["This member is not being monitored."]})
    if end_date > clock.local_today(member, now):
        raise ValidationError({"end_date": ["Monitoring cannot end in the future."]})
    if end_date < episode.start_date:
        raise ValidationError(
            {"end_date": [f"Give a date on or after the start ({episode.start_date.isoformat()})."]}
        )
    last_review = ReviewTime.objects.filter(member=member, date__gte=episode.start_date).aggregate(
        last=Max("date")
    )["last"]
    if last_review is not None and end_date < last_review:
        raise ValidationError(
            {"end_date": [f"Review time is recorded up to {last_review.isoformat()}: end later."]}
        )
    episode.end_date = end_date
    episode.save(update_fields=["end_date"])
    audit.record_write(by=user, action=AuditAction.UPDATE, member_id=member.pk, obj=episode)
    return episode


@transaction.atomic
def record_review_time(
    *,
    user: User,
    member: Member,
    date: date,
    minutes: int,
    live_interaction: bool,
    now: datetime | None = None,
    source: str = ReviewSource.MANUAL,
    note: str = "",
) -> ReviewTime:
    """Records minutes a PT of the care team spent on the member's monitoring data on `date`
    (the clinic's date), and whether there was a live, two-way interaction (call or video)."""
    _require_care_team(user, member)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        errors["minutes"] = ["Give a whole number of minutes."]
    elif not MIN_REVIEW_MINUTES <= minutes <= MAX_REVIEW_MINUTES:
        errors["minutes"] = [
            f"Give from {MIN_REVIEW_MINUTES} to {MAX_REVIEW_MINUTES} minutes (one sitting)."
        ]
    if not isinstance(live_interaction, bool):
        errors["live_interaction"] = ["Give true or false."]
    day = date
    # Review dates are the clinic's: the day the PT worked, in the organization's zone.
    today = clock.clinic_today(member, now)
    if not _is_date(day):
        errors["date"] = ["Give a date as YYYY-MM-DD."]
    elif day > today:
        errors["date"] = ["Review time cannot be recorded for a future date."]
    elif day < today - timedelta(days=MAX_DAYS_BACK):
        errors["date"] = [f"Review time can be recorded at most {MAX_DAYS_BACK} days back."]
    if errors:
        raise ValidationError(errors)

    _lock(member)
    covered = MonitoringEpisode.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day), member=member, start_date__lte=day
    ).exists()
    if not covered:
        raise ValidationError(
            {"date": ["The member was not being monitored on this date: start monitoring first."]}
        )
    entry = ReviewTime.objects.create(
        member=member,
        therapist=user.therapist_profile,
        date=day,
        minutes=minutes,
        live_interaction=live_interaction,
        source=source,
        note=note,
    )
    audit.record_write(by=user, action=AuditAction.CREATE, member_id=member.pk, obj=entry)
    return entry
