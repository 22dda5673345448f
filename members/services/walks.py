"""Writes about walks and leg symptom check-ins: the member records them, alerts follow.

Dates are the member's local dates, today or up to MAX_BACKDATE_DAYS back (as sessions). Never
doubled: `client_id` is unique per member in the database; a retry with the same content finds
the first row (created False), other content raises ClientIdReused (answered 409). Each write
checks the rules of members.rules.walking and raises the PT's alerts in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from exercise_tracker import access, audit, clock
from exercise_tracker.models import AuditAction
from members.models import Alert, AlertKind, AlertStatus, Member, SymptomCheck, User, Walk
from members.models.alerts import ACTIVE_STATUSES, URGENT_KINDS
from members.models.walks import SYMPTOMS, SymptomSide
from members.rules import walking as rules
from members.services import alerts
from programs.models import PlanItem

MAX_BACKDATE_DAYS = 7
WALK_FIELDS = (
    "local_date",
    "plan_item_id",
    "minutes_to_symptoms",
    "total_minutes",
    "rests",
    "distance_m",
    "support",
)
CHECK_FIELDS = ("local_date", *SYMPTOMS, *(f"{s}_change" for s in SYMPTOMS))


class ClientIdReused(Exception):
    """The client_id names a row already stored with other content (answered 409)."""


@dataclass
class Logged:
    row: Any
    created: bool


def _check_date(member: Member, day: date, now: datetime | None) -> None:
    today = clock.local_today(member, now)
    if day > today:
        raise ValidationError(
            {"date": [f"This date is in the future in your time zone ({member.timezone})."]}
        )
    if day < today - timedelta(days=MAX_BACKDATE_DAYS):
        raise ValidationError(
            {"date": [f"Only the last {MAX_BACKDATE_DAYS} days can be recorded."]}
        )


def _same(existing: Model, new: Model, names: tuple[str, ...]) -> bool:
    return all(getattr(existing, name) == getattr(new, name) for name in names)


def _insert(row: Walk | SymptomCheck, names: tuple[str, ...]) -> Logged:
    """Inserts the row under a savepoint; the loser of a race (or a retry) gets the first."""
    model = type(row)
    existing = model.objects.filter(member_id=row.member_id, client_id=row.client_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                row.save(force_insert=True)
            return Logged(row=row, created=True)
        except IntegrityError:
            existing = model.objects.filter(
                member_id=row.member_id, client_id=row.client_id
            ).first()
            if existing is None:
                raise
    if not _same(existing, row, names):
        raise ClientIdReused
    return Logged(row=existing, created=False)


def raise_findings(member_id: int, findings: list[alerts.Finding]) -> None:
    """Opens the findings as alerts (one active per member and kind). One already active is
    brought up to date; an urgent one opens again even if the PT had acknowledged it."""
    if not findings:
        return
    alerts.raise_alerts(member_id=member_id, findings=findings)
    for finding in findings:
        changes: dict[str, Any] = {"details": finding.details}
        if finding.kind in URGENT_KINDS:
            changes |= {
                "status": AlertStatus.OPEN,
                "acknowledged_at": None,
                "acknowledged_by": None,
                "created_at": timezone.now(),
            }
        Alert.objects.filter(
            member_id=member_id,
            kind=finding.kind,
            exercise__isnull=True,
            status__in=ACTIVE_STATUSES,
        ).update(**changes)


# --- walks ------------------------------------------------------------------------------------


def _plan_item(member: Member, plan_item: int | None) -> PlanItem | None:
    if plan_item is None:
        return None
    found = PlanItem.objects.filter(
        pk=plan_item, plan__in=access.visible_plans(member.user).values("pk")
    ).first()
    if found is None:
        raise ValidationError({"plan_item": ["No item of your plan has this id."]})
    return found


def walk_points(member: Member, *, start: date, end: date) -> list[rules.WalkPoint]:
    """The member's walks between two local dates, as the rules read them (one query)."""
    rows = Walk.objects.filter(
        member=member, local_date__gte=start, local_date__lte=end
    ).values_list("local_date", "minutes_to_symptoms", "total_minutes")
    return [
        rules.WalkPoint(date=day, tolerance=total if to_symptoms is None else to_symptoms)
        for day, to_symptoms, total in rows
    ]


@transaction.atomic
def log_walk(
    *,
    member: Member,
    by: User | None = None,
    local_date: date,
    total_minutes: int,
    rests: int,
    minutes_to_symptoms: int | None = None,
    distance_m: int | None = None,
    support: str = "",
    plan_item: int | None = None,
    client_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Logged:
    """Stores a walk, audits it and raises the tolerance alert when the two-week fall by half
    is there (members.rules.walking)."""
    first = (
        Walk.objects.filter(member=member, client_id=client_id).first()
        if client_id is not None
        else None
    )
    # A retry may come after the backdating window closed: still the same walk.
    if first is None or first.local_date != local_date:
        _check_date(member, local_date, now)
    if minutes_to_symptoms is not None and minutes_to_symptoms > total_minutes:
        raise ValidationError(
            {
                "minutes_to_symptoms": [
                    "Symptoms cannot start after the walk ended: give at most the total minutes."
                ]
            }
        )
    item = _plan_item(member, plan_item)
    walk = Walk(
        member=member,
        local_date=local_date,
        client_id=client_id or uuid.uuid4(),
        plan_item=item,
        minutes_to_symptoms=minutes_to_symptoms,
        total_minutes=total_minutes,
        rests=rests,
        distance_m=distance_m,
        support=support or "",
    )
    logged = _insert(walk, WALK_FIELDS)
    if not logged.created:
        return logged
    today = clock.local_today(member, now)
    span = 2 * rules.WINDOW_DAYS - 1
    drop = rules.tolerance_drop(
        walk_points(member, start=today - timedelta(days=span), end=today), today=today
    )
    if drop is not None:
        raise_findings(
            member.pk, [alerts.Finding(kind=AlertKind.WALK_TOLERANCE_DROP, details=drop)]
        )
    audit.record_write(
        by=by or member.user, action=AuditAction.CREATE, member_id=member.pk, obj=walk
    )
    return logged


# --- leg symptom check-ins ----------------------------------------------------------------------


@dataclass
class CheckOutcome:
    """A check-in with what follows for the member: the emergency guidance on new or worsening
    weakness, and whether their PT was told."""

    check: SymptomCheck
    created: bool
    weakness_alarm: bool
    pt_told: bool


def check_values(check: SymptomCheck) -> dict[str, str]:
    return {name: getattr(check, name) for name in CHECK_FIELDS if name != "local_date"}


def previous_check(check: SymptomCheck) -> SymptomCheck | None:
    """The check-in before this one (by date, then by when it was made)."""
    earlier = SymptomCheck.objects.filter(member_id=check.member_id).exclude(pk=check.pk)
    return (
        (
            earlier.filter(local_date__lt=check.local_date)
            | earlier.filter(local_date=check.local_date, created_at__lt=check.created_at)
        )
        .order_by("-local_date", "-created_at", "-id")
        .first()
    )


def findings_for(check: SymptomCheck, previous: SymptomCheck | None) -> list[alerts.Finding]:
    current = check_values(check)
    before = check_values(previous) if previous is not None else None
    date_text = check.local_date.isoformat()
    findings = []
    weakness = rules.weakness_alarm(current, before)
    if weakness is not None:
        findings.append(
            alerts.Finding(kind=AlertKind.LEG_WEAKNESS, details={**weakness, "date": date_text})
        )
    numbness = rules.numbness_spreading(current, before)
    if numbness is not None:
        findings.append(
            alerts.Finding(
                kind=AlertKind.NUMBNESS_SPREADING, details={**numbness, "date": date_text}
            )
        )
    worse = rules.worse_twice_running(current, before)
    if worse is not None and previous is not None:
        findings.append(
            alerts.Finding(
                kind=AlertKind.SYMPTOMS_WORSE,
                details={
                    **worse,
                    "date": date_text,
                    "date_before": previous.local_date.isoformat(),
                },
            )
        )
    return findings


@transaction.atomic
def log_symptom_check(
    *,
    member: Member,
    by: User | None = None,
    local_date: date,
    numbness: str,
    tingling: str,
    weakness: str,
    numbness_change: str = "",
    tingling_change: str = "",
    weakness_change: str = "",
    client_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> CheckOutcome:
    """Stores a check-in, audits it and raises the PT's alerts it gives rise to."""
    values = {
        "numbness": numbness,
        "tingling": tingling,
        "weakness": weakness,
        "numbness_change": numbness_change or "",
        "tingling_change": tingling_change or "",
        "weakness_change": weakness_change or "",
    }
    errors = {
        f"{name}_change": ["Felt in a leg: say whether it is better, the same or worse."]
        for name in SYMPTOMS
        if values[name] != SymptomSide.NONE and not values[f"{name}_change"]
    }
    if errors:
        raise ValidationError(errors)
    first = (
        SymptomCheck.objects.filter(member=member, client_id=client_id).first()
        if client_id is not None
        else None
    )
    if first is None or first.local_date != local_date:
        _check_date(member, local_date, now)
    check = SymptomCheck(
        member=member, local_date=local_date, client_id=client_id or uuid.uuid4(), **values
    )
    logged = _insert(check, CHECK_FIELDS)
    stored: SymptomCheck = logged.row
    findings = findings_for(stored, previous_check(stored))
    if logged.created:
        raise_findings(member.pk, findings)
        audit.record_write(
            by=by or member.user, action=AuditAction.CREATE, member_id=member.pk, obj=stored
        )
    return CheckOutcome(
        check=stored,
        created=logged.created,
        weakness_alarm=any(f.kind == AlertKind.LEG_WEAKNESS for f in findings),
        pt_told=bool(findings),
    )
