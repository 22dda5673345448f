"""Writes about outcome measures: a member's scored questionnaire, a PT's schedule."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from exercise_tracker import audit, clock
from exercise_tracker.models import AuditAction
from members.models import Assessment, AssessmentSchedule, Instrument, Member, Therapist, User
from members.models.outcomes import MAX_EVERY_N_DAYS, MIN_EVERY_N_DAYS
from members.rules import scoring
from members.selectors import instruments
from members.services import adherence

# Like sessions: a phone that was offline for a week may still send what was filled in then.
MAX_BACKDATE_DAYS = 7


class ClientIdReused(Exception):
    """The client id names an assessment already stored with other answers (answered 409)."""

    def __init__(self, existing: Assessment) -> None:
        super().__init__("This client_id was already used for different answers.")
        self.existing = existing


def _check_instrument(instrument: str) -> None:
    if instrument not in Instrument.values:
        choices = ", ".join(Instrument.values)
        raise ValidationError({"instrument": [f"Choose one of: {choices}."]})


NOT_OFFERED = "This questionnaire is not offered until your clinic loads its wording."


def _check_offered(instrument: str) -> None:
    """Answers count only when they were given to worded questions: an instrument whose
    licensed wording the clinic has not loaded is not asked, and its answers are not taken."""
    definition = instruments.definition(instrument)
    if definition is None or not definition["offered"]:
        raise ValidationError({"instrument": [NOT_OFFERED]})


def _same_submission(existing: Assessment, instrument: str, result: scoring.Score) -> bool:
    return existing.instrument == instrument and existing.answers == result.answers


@transaction.atomic
def record_assessment(
    *,
    member: Member,
    instrument: str,
    answers: Any,
    client_id: uuid.UUID | None = None,
    local_date: date | None = None,
    now: datetime | None = None,
    by: User | None = None,
    seeded: bool = False,
) -> tuple[Assessment, bool]:
    """Scores the answers on the server and stores them. Returns (assessment, created): a retry
    with the same client_id and answers gives back the first one; other answers raise
    ClientIdReused. Bad answers raise ValidationError on `answers`; an instrument that is not
    offered (licensed wording not loaded) raises it on `instrument`. `by` (default: the member)
    is who answered, for the audit trail. `seeded` is for seed_demo's made-up history only (it
    stands for a clinic that had the wording); nothing a member sends sets it."""
    _check_instrument(instrument)
    if not seeded:
        _check_offered(instrument)
    try:
        result = scoring.score(instrument, answers)
    except scoring.UnscorableAnswers as exc:
        raise ValidationError({"answers": exc.messages}) from exc
    moment = now or timezone.now()
    today = clock.local_today(member, moment)
    day = local_date or today
    if day > today:
        raise ValidationError({"date": ["The date is in the future for your time zone."]})
    if day < today - timedelta(days=MAX_BACKDATE_DAYS):
        raise ValidationError(
            {"date": [f"Questionnaires older than {MAX_BACKDATE_DAYS} days cannot be added."]}
        )
    if client_id is not None:
        existing = Assessment.objects.filter(member=member, client_id=client_id).first()
        if existing is not None:
            if not _same_submission(existing, instrument, result):
                raise ClientIdReused(existing)
            return existing, False
    assessment = Assessment(
        member=member,
        instrument=instrument,
        answers=result.answers,
        score=result.score,
        score_value=result.value,
        band=result.band,
        local_date=day,
        completed_at=moment,
        client_id=client_id,
    )
    try:
        # A savepoint: a racing retry with the same client_id loses here, not the transaction.
        with transaction.atomic():
            assessment.save()
    except IntegrityError:
        existing = Assessment.objects.filter(member=member, client_id=client_id).first()
        if existing is None:
            raise
        if not _same_submission(existing, instrument, result):
            raise ClientIdReused(existing) from None
        return existing, False
    adherence.refresh_member(member=member, since=day, now=moment)  # a day with data
    audit.record_write(
        by=by or member.user, action=AuditAction.CREATE, member_id=member.pk, obj=assessment
    )
    return assessment, True


def _check_every_n_days(every_n_days: Any) -> int:
    if (
        isinstance(every_n_days, bool)
        or not isinstance(every_n_days, int)
        or not MIN_EVERY_N_DAYS <= every_n_days <= MAX_EVERY_N_DAYS
    ):
        raise ValidationError(
            {
                "every_n_days": [
                    f"Give a whole number of days from {MIN_EVERY_N_DAYS} to {MAX_EVERY_N_DAYS}."
                ]
            }
        )
    return int(every_n_days)


@transaction.atomic
def schedule_assessment(
    *,
    member: Member,
    instrument: str,
    every_n_days: int,
    therapist: Therapist | None,
    start_date: date | None = None,
    by: User | None = None,
) -> AssessmentSchedule:
    """Asks a member to fill in an instrument every N days from start_date (default: their
    today). A new schedule replaces the active one for that instrument: the PT's latest word.
    `by` (default: the therapist's user) is who asked, for the audit trail."""
    _check_instrument(instrument)
    every = _check_every_n_days(every_n_days)
    start = start_date or clock.local_today(member)
    AssessmentSchedule.objects.select_for_update().filter(
        member=member, instrument=instrument, active=True
    ).update(active=False)
    schedule = AssessmentSchedule.objects.create(
        member=member,
        instrument=instrument,
        every_n_days=every,
        start_date=start,
        created_by=therapist,
        active=True,
    )
    actor = by or (therapist.user if therapist is not None else None)
    audit.record_write(by=actor, action=AuditAction.CREATE, member_id=member.pk, obj=schedule)
    return schedule


@transaction.atomic
def update_schedule(
    *,
    schedule: AssessmentSchedule,
    by: User | None,
    every_n_days: int | None = None,
    start_date: date | None = None,
    active: bool | None = None,
) -> AssessmentSchedule:
    """Changes a schedule's rhythm or pauses it; turning one back on retires any other active
    schedule of the same instrument for that member."""
    locked = AssessmentSchedule.objects.select_for_update().get(pk=schedule.pk)
    if every_n_days is not None:
        locked.every_n_days = _check_every_n_days(every_n_days)
    if start_date is not None:
        locked.start_date = start_date
    if active is not None:
        if active and not locked.active:
            AssessmentSchedule.objects.filter(
                member_id=locked.member_id, instrument=locked.instrument, active=True
            ).exclude(pk=locked.pk).update(active=False)
        locked.active = active
    locked.save(update_fields=["every_n_days", "start_date", "active"])
    audit.record_write(by=by, action=AuditAction.UPDATE, member_id=locked.member_id, obj=locked)
    return locked
