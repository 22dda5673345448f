"""Alerts for PTs: raised when a session is logged (pain spike, "too hard" three sessions running)
and once a day (no session for days while a plan is active); acknowledged and resolved by PTs.

One active alert per member and finding (the partial unique constraints on Alert): a repeat of a
finding the PT has not resolved yet is not raised twice, whoever races whom. Inserts use
`bulk_create(ignore_conflicts=True)`, so the constraint, not a lookup first, is what holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from exercise_tracker import access, audit, clock
from exercise_tracker.models import AuditAction
from members.models import Alert, AlertKind, AlertStatus, SessionEntry, SessionLog
from members.models.alerts import ACTIVE_STATUSES
from members.models.logs import Feedback
from programs.models import Plan, PlanStatus

# Rules (shared/domain/CLINICAL.md and the issue): a pain spike is pain after 7 or more, or 2 or
# more points above pain before; "too hard" on one exercise in 3 sessions running; and no session
# for 3 days while a plan is active.
PAIN_SPIKE_AFTER = 7
PAIN_SPIKE_RISE = 2
TOO_HARD_RUN = 3
INACTIVE_DAYS = 3
# How far back "sessions running" looks: further back than this, a run is history, not a trend.
TOO_HARD_LOOKBACK_DAYS = 60


class AlertConflict(Exception):
    """The alert's state does not allow the action (acknowledging a resolved alert)."""


@dataclass(frozen=True)
class Finding:
    """An alert to raise: what, about which exercise, with numbers for the PT (never notes)."""

    kind: str
    details: dict[str, Any]
    exercise_id: int | None = None


def pain_spike(*, pain_before: int | None, pain_after: int | None) -> Finding | None:
    if pain_after is None:
        return None
    rise = pain_after - pain_before if pain_before is not None else None
    if pain_after >= PAIN_SPIKE_AFTER or (rise is not None and rise >= PAIN_SPIKE_RISE):
        return Finding(
            kind=AlertKind.PAIN_SPIKE,
            details={"pain_before": pain_before, "pain_after": pain_after, "rise": rise},
        )
    return None


def too_hard_runs(*, member_id: int, session: SessionLog, exercise_ids: set[int]) -> list[Finding]:
    """Exercises rated too hard in each of the member's last TOO_HARD_RUN sessions that had
    them done or partly done (this one included). One query, whatever the number of exercises."""
    if not exercise_ids:
        return []
    rows = (
        SessionEntry.objects.filter(
            session__member_id=member_id,
            exercise_id__in=exercise_ids,
            # A skipped exercise was not rated: it neither extends nor breaks a run.
            done=True,
            session__local_date__gte=session.local_date - timedelta(days=TOO_HARD_LOOKBACK_DAYS),
            session__local_date__lte=session.local_date,
        )
        .order_by("-session__local_date", "-session__created_at", "-session_id")
        .values_list("exercise_id", "feedback", "session_id", "session__local_date")
    )
    latest: dict[int, list[tuple[str, int, date]]] = {}
    for exercise_id, feedback, session_id, local_date in rows:
        run = latest.setdefault(exercise_id, [])
        if len(run) < TOO_HARD_RUN:
            run.append((feedback, session_id, local_date))
    findings = []
    for exercise_id, run in sorted(latest.items()):
        if len(run) == TOO_HARD_RUN and all(f == Feedback.TOO_HARD for f, _, _ in run):
            findings.append(
                Finding(
                    kind=AlertKind.TOO_HARD_STREAK,
                    exercise_id=exercise_id,
                    details={
                        "sessions": [session_id for _, session_id, _ in run],
                        "dates": [day.isoformat() for _, _, day in run],
                    },
                )
            )
    return findings


def raise_alerts(
    *, member_id: int, findings: Sequence[Finding], session: SessionLog | None = None
) -> int:
    """Inserts the findings as open alerts. One the member already has active is not doubled
    (the database skips the insert); a session's finding then brings it up to date instead:
    the newest figures, open again if the PT had acknowledged it, raised now. Returns how many
    were asked for (0 costs no query)."""
    if not findings:
        return 0
    therapist = access.primary_therapist(member_id)
    therapist_id = therapist.pk if therapist is not None else None
    Alert.objects.bulk_create(
        [
            Alert(
                member_id=member_id,
                therapist_id=therapist_id,
                kind=finding.kind,
                exercise_id=finding.exercise_id,
                session=session,
                details=finding.details,
            )
            for finding in findings
        ],
        ignore_conflicts=True,
    )
    if session is not None:
        for finding in findings:  # a finding or two per session, never a loop over members
            same = (
                Q(exercise_id=finding.exercise_id)
                if finding.exercise_id is not None
                else Q(exercise__isnull=True)
            )
            Alert.objects.filter(
                same, member_id=member_id, kind=finding.kind, status__in=ACTIVE_STATUSES
            ).exclude(session=session).update(
                session=session,
                details=finding.details,
                status=AlertStatus.OPEN,
                acknowledged_at=None,
                acknowledged_by=None,
                created_at=timezone.now(),
            )
    return len(findings)


def session_findings(
    *, session: SessionLog, too_hard_exercise_ids: set[int], pain: bool = True
) -> list[Finding]:
    """What a logged (or corrected) session gives rise to; `pain` False leaves the pain rule
    out (a correction that did not touch the pain scores)."""
    findings: list[Finding] = []
    spike = (
        pain_spike(pain_before=session.pain_before, pain_after=session.pain_after) if pain else None
    )
    if spike is not None:
        findings.append(
            Finding(
                kind=spike.kind,
                details={**spike.details, "date": session.local_date.isoformat()},
            )
        )
    findings += too_hard_runs(
        member_id=session.member_id, session=session, exercise_ids=too_hard_exercise_ids
    )
    return findings


# --- the daily check -------------------------------------------------------------------------


def inactive_members(*, now: datetime | None = None) -> dict[int, dict[str, Any]]:
    """Members with an active plan in force for the last INACTIVE_DAYS whole local days and no
    session on those days or today: member id → details. Two queries, whatever the number.

    Whole days in the member's own time zone: a member in Honolulu is not "inactive" because
    the UTC date turned. Rest days of a plan that skips weekdays count too; a plan on three
    days a week never leaves more than two days in a row without a session.
    """
    moment = now or timezone.now()
    plans = Plan.objects.filter(status=PlanStatus.ACTIVE).values_list(
        "member_id", "start_date", "end_date", "member__timezone"
    )
    candidates: dict[int, tuple[date, date]] = {}
    for member_id, start_date, end_date, zone in plans:
        today = clock.local_today(zone, moment)
        first_quiet_day = today - timedelta(days=INACTIVE_DAYS)
        if start_date <= first_quiet_day and (end_date is None or end_date >= today):
            candidates[member_id] = (today, start_date)
    if not candidates:
        return {}
    last_sessions: dict[int, date] = dict(
        SessionLog.objects.filter(member_id__in=list(candidates))
        .order_by()
        .values("member_id")
        .annotate(last=Max("local_date"))
        .values_list("member_id", "last")
    )
    found: dict[int, dict[str, Any]] = {}
    for member_id, (today, start_date) in candidates.items():
        last = last_sessions.get(member_id)
        if last is not None and last >= today - timedelta(days=INACTIVE_DAYS):
            continue
        quiet_since = last + timedelta(days=1) if last is not None else start_date
        found[member_id] = {
            "days_without_session": (today - quiet_since).days,
            "last_session": last.isoformat() if last is not None else None,
            "date": today.isoformat(),
        }
    return found


@transaction.atomic
def raise_inactivity_alerts(*, now: datetime | None = None) -> int:
    """The daily check: an INACTIVE alert for each member found by `inactive_members` who has
    none active yet. Safe to run any number of times a day (the constraint keeps one). Returns
    how many alerts were new."""
    found = inactive_members(now=now)
    if not found:
        return 0
    already = set(
        Alert.objects.filter(
            member_id__in=list(found), kind=AlertKind.INACTIVE, status__in=ACTIVE_STATUSES
        ).values_list("member_id", flat=True)
    )
    new = {member_id: details for member_id, details in found.items() if member_id not in already}
    if not new:
        return 0
    therapists = {m: t.pk for m, t in access.primary_therapists(new).items()}
    Alert.objects.bulk_create(
        [
            Alert(
                member_id=member_id,
                therapist_id=therapists.get(member_id),
                kind=AlertKind.INACTIVE,
                details=details,
            )
            for member_id, details in new.items()
        ],
        ignore_conflicts=True,
    )
    return len(new)


# --- a PT's actions -------------------------------------------------------------------------


@transaction.atomic
def acknowledge_alert(*, alert: Alert, user: Any, now: datetime | None = None) -> Alert:
    """The PT has seen it and is on it. Acknowledging twice changes nothing; a resolved alert
    cannot be acknowledged (AlertConflict)."""
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status == AlertStatus.RESOLVED:
        raise AlertConflict("This alert is already resolved.")
    if locked.status == AlertStatus.OPEN:
        locked.status = AlertStatus.ACKNOWLEDGED
        locked.acknowledged_at = now or timezone.now()
        locked.acknowledged_by = user
        locked.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        audit.record_write(
            by=user, action=AuditAction.UPDATE, member_id=locked.member_id, obj=locked
        )
    return locked


@transaction.atomic
def resolve_alert(*, alert: Alert, user: Any, now: datetime | None = None) -> Alert:
    """Done with it: the next occurrence of the same finding raises a new alert. Resolving
    twice changes nothing."""
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status != AlertStatus.RESOLVED:
        moment = now or timezone.now()
        if locked.acknowledged_at is None:
            locked.acknowledged_at = moment
            locked.acknowledged_by = user
        locked.status = AlertStatus.RESOLVED
        locked.resolved_at = moment
        locked.resolved_by = user
        locked.save(
            update_fields=[
                "status",
                "acknowledged_at",
                "acknowledged_by",
                "resolved_at",
                "resolved_by",
            ]
        )
        audit.record_write(
            by=user, action=AuditAction.UPDATE, member_id=locked.member_id, obj=locked
        )
    return locked
