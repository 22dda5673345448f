"""Episodes of care: a PT discharges a member (the active plan completed, reminders and remote
monitoring stopped, figures stop counting after that date), the member keeps read-only access
for DISCHARGE_ACCESS_DAYS, then a daily task closes the account; enrolling them again starts a
new episode, with everything from the old one kept. Each write leaves one audit row."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from exercise_tracker import access, audit
from exercise_tracker.authentication import forget_user
from exercise_tracker.models import AuditAction
from members.models import (
    CareAssignment,
    DischargeReason,
    Episode,
    Member,
    MonitoringEpisode,
    ReminderSchedule,
    Role,
    User,
)
from members.services import adherence
from members.services.accounts import end_tokens
from members.services.people import assign_care


class EpisodeConflict(Exception):
    """Discharging a discharged member, or enrolling again one who is in care (409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _local_today(member: Member, now: datetime) -> date:
    return timezone.localtime(now, member.tz).date()


def current_episode(member: Member) -> Episode | None:
    """The member's latest episode (open, or the one they were discharged from)."""
    return Episode.objects.filter(member=member).order_by("-started_on", "-id").first()


@transaction.atomic
def discharge_member(
    *,
    by: User,
    member: Member,
    reason: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Episode:
    """Ends the member's episode today (their local date), by one of their PTs, with a reason."""
    from programs.models import Plan, PlanStatus
    from programs.services.plans import revise_plan

    now = now or timezone.now()
    if not access.is_care_team(by, member):
        raise PermissionDenied("Only a PT of the member's care team discharges them.")
    if reason not in DischargeReason.values:
        raise ValidationError({"reason": [f"Choose one of: {', '.join(DischargeReason.values)}."]})
    member = Member.objects.select_for_update().select_related("user").get(pk=member.pk)
    if member.discharged_on is not None:
        raise EpisodeConflict(f"This member was discharged on {member.discharged_on.isoformat()}.")
    today = _local_today(member, now)
    episode = Episode.objects.filter(member=member, ended_on__isnull=True).first()
    if episode is None:  # enrolled before episodes were recorded
        episode = Episode(member=member, started_on=min(member.created_at.date(), today))
    label = DischargeReason(reason).label
    for plan in Plan.objects.filter(
        member=member, status__in=(PlanStatus.ACTIVE, PlanStatus.PAUSED)
    ).order_by("pk"):
        revise_plan(
            user=by, plan=plan, reason=f"Discharged: {label}.", status=PlanStatus.COMPLETED, at=now
        )
    ReminderSchedule.objects.filter(member=member).update(enabled=False, next_fire_at=None)
    for monitoring in MonitoringEpisode.objects.filter(member=member, end_date__isnull=True):
        monitoring.end_date = max(today, monitoring.start_date)
        monitoring.save(update_fields=["end_date"])
    episode.ended_on = today
    episode.reason = reason
    episode.discharged_by = by
    episode.discharged_at = now
    episode.access_until = today + timedelta(days=settings.DISCHARGE_ACCESS_DAYS)
    episode.save()
    member.discharged_on = today
    member.save(update_fields=["discharged_on"])
    adherence.refresh_member(member=member, since=today, now=now)
    audit.record(
        request=request, action=AuditAction.UPDATE, user=by, member_id=member.pk, obj=episode
    )
    return episode


@transaction.atomic
def start_episode(
    *,
    by: User,
    member: Member,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Episode:
    """Enrols a discharged member again: a new episode from today; their account is opened
    again if it was closed. Old plans, logs and episodes stay as they were. A PT who does it
    joins the member's care team as primary PT if nobody is."""
    now = now or timezone.now()
    member = Member.objects.select_for_update().select_related("user").get(pk=member.pk)
    if by.role not in (Role.THERAPIST, Role.COORDINATOR, Role.STAFF) or (
        by.role != Role.STAFF and by.organization_id != member.user.organization_id
    ):
        raise PermissionDenied("Only the member's clinic enrols them.")
    if member.discharged_on is None and Episode.objects.filter(member=member).exists():
        raise EpisodeConflict("This member is already in care.")
    today = _local_today(member, now)
    Episode.objects.filter(member=member, ended_on__isnull=True).update(ended_on=today)
    episode = Episode.objects.create(member=member, started_on=today)
    member.discharged_on = None
    member.save(update_fields=["discharged_on"])
    if not member.user.is_active:
        User.objects.filter(pk=member.user_id).update(is_active=True)
        forget_user(member.user_id)
    if (
        by.role == Role.THERAPIST
        and not CareAssignment.objects.filter(
            access.open_assignments(), member=member, is_primary=True
        ).exists()
    ):
        assign_care(member=member, therapist=by.therapist_profile, is_primary=True)
    adherence.refresh_member(member=member, since=today, now=now)
    audit.record(
        request=request, action=AuditAction.CREATE, user=by, member_id=member.pk, obj=episode
    )
    return episode


def close_expired_accounts(*, now: datetime | None = None) -> int:
    """Closes the accounts of members whose read-only access ran out (the daily task): the
    account is deactivated, its tokens end, its care assignments end. Running it twice closes
    nothing twice. Returns how many accounts were closed."""
    now = now or timezone.now()
    closed = 0
    due = Episode.objects.filter(
        account_closed_at__isnull=True,
        access_until__isnull=False,
        access_until__lt=now.date(),
    ).values_list("pk", flat=True)
    for episode_id in list(due):
        with transaction.atomic():
            episode = (
                Episode.objects.select_for_update()
                .select_related("member__user")
                .filter(pk=episode_id, account_closed_at__isnull=True)
                .first()
            )
            if episode is None:
                continue
            member = episode.member
            # Access runs to the end of the member's own local date.
            if _local_today(member, now) <= (episode.access_until or date.max):
                continue
            episode.account_closed_at = now
            episode.save(update_fields=["account_closed_at"])
            if member.discharged_on is None:
                continue  # enrolled again meanwhile: nothing to close
            User.objects.filter(pk=member.user_id).update(is_active=False)
            forget_user(member.user_id)
            end_tokens(user_id=member.user_id)
            for assignment in CareAssignment.objects.filter(member=member, end_date__isnull=True):
                if assignment.start_date < now.date():
                    assignment.end_date = now.date()
                    assignment.save(update_fields=["end_date"])
            audit.record(
                request=None,
                action=AuditAction.UPDATE,
                member_id=member.pk,
                obj=member.user,
                object_type="members.user.closed_after_discharge",
            )
            closed += 1
    return closed
