"""Progression suggestions: kept from the rules' findings (programs.rules.progression) after a
session is logged, and accepted (one plan revision) or dismissed (with a reason) by a PT of the
member's care team. Nothing here changes a plan by itself: only `accept_suggestion` does, when a
PT asks.

- `evaluate_member` runs after a session is logged or corrected and after a plan revision (a
  Celery task queued by beat's sweep of the outbox the change wrote to,
  programs.services.evaluations). Idempotent: one pending suggestion per plan, item key and
  rule is a database constraint (inserts skip a row that exists), and a pending one whose
  evidence moved on is brought up to date. A fixed number of queries per member.
- A suggestion is stale once the plan has a newer revision than the one it was made on: the
  revision closes it (`plan_revised`), accepting it answers a conflict, and the evaluation after
  that revision suggests again what still holds on the new plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from exercise_tracker import access, audit, clock
from exercise_tracker.models import AuditAction
from members.models import Member, SessionEntry, User
from programs.models import (
    Exercise,
    Plan,
    PlanItem,
    PlanStatus,
    ProgressionSuggestion,
    SuggestionRule,
    SuggestionStatus,
)
from programs.models.templates import mask_to_days
from programs.rules import progression as rules
from programs.selectors.plans import current_items
from programs.services import evaluations

# How far back the rules read: two weeks at the top and a baseline need about a month at most.
LOOKBACK_DAYS = 42
MAX_REASON = 500


class SuggestionConflict(Exception):
    """The suggestion is no longer pending (answered 409)."""


class StaleSuggestion(Exception):
    """The plan was revised after the suggestion was made (answered 409; it is closed)."""


# --- evaluation -------------------------------------------------------------------------------


def _version(exercise: Exercise | None, plan: Plan) -> rules.Version | None:
    """A harder or easier version the plan may use: active, global or the plan's organization's."""
    if exercise is None or not exercise.is_active:
        return None
    if exercise.organization_id is not None and exercise.organization_id != plan.organization_id:
        return None
    return rules.Version(
        id=exercise.pk,
        name=exercise.name,
        dosing=exercise.dosing,
        sets=exercise.default_sets or 1,
        reps=exercise.default_reps,
        hold_seconds=exercise.default_hold_seconds,
        duration_seconds=exercise.default_duration_seconds,
    )


def item_dose(item: PlanItem, plan: Plan) -> rules.ItemDose:
    exercise = item.exercise
    return rules.ItemDose(
        exercise_id=exercise.pk,
        exercise_name=exercise.name,
        dosing=exercise.dosing,
        sets=item.sets,
        reps=item.reps,
        hold_seconds=item.hold_seconds,
        duration_seconds=item.duration_seconds,
        harder=_version(exercise.progression, plan),
        easier=_version(exercise.regression, plan),
    )


ReadingKey = tuple[Any, int, int, int | None, int | None, int | None]


def readings_by_item(plan: Plan, since: date) -> dict[ReadingKey, list[rules.Reading]]:
    """The plan's readings since a date, oldest first, by (key, exercise, dose): one query."""
    rows = (
        SessionEntry.objects.filter(plan_item__plan=plan, done=True, session__local_date__gte=since)
        .order_by("session__local_date", "session__created_at", "session_id")
        .values_list(
            "plan_item__key",
            "exercise_id",
            "plan_item__sets",
            "plan_item__reps",
            "plan_item__hold_seconds",
            "plan_item__duration_seconds",
            "session_id",
            "id",
            "session__local_date",
            "session__created_at",
            "status",
            "feedback",
            "pain",
            "session__pain_after",
            "sets_done",
            "reps_done",
        )
    )
    grouped: dict[ReadingKey, list[rules.Reading]] = defaultdict(list)
    for (
        key,
        exercise,
        sets,
        reps,
        hold,
        duration,
        session,
        entry,
        day,
        at,
        status,
        feedback,
        pain,
        pain_after,
        sets_done,
        reps_done,
    ) in rows:
        grouped[(key, exercise, sets, reps, hold, duration)].append(
            rules.Reading(
                session_id=session,
                entry_id=entry,
                day=day,
                at=at,
                status=status,
                feedback=feedback,
                pain=pain,
                session_pain=pain_after,
                sets_done=sets_done,
                reps_done=reps_done,
            )
        )
    return grouped


def _dismissed_after(plan: Plan) -> dict[tuple[Any, str], datetime]:
    """The newest session of the dismissed suggestions, by (item key, rule): one query."""
    rows = (
        ProgressionSuggestion.objects.filter(plan=plan, status=SuggestionStatus.DISMISSED)
        .values("item_key", "rule")
        .annotate(newest=Max("last_session_at"))
        .order_by()
    )
    return {(row["item_key"], row["rule"]): row["newest"] for row in rows}


def _active_plan(member_id: int) -> Plan | None:
    return Plan.objects.filter(member_id=member_id, status=PlanStatus.ACTIVE).first()


def findings_for_plan(plan: Plan, today: date) -> list[tuple[PlanItem, rules.Finding]]:
    """What the rules find on each item in force of a plan: a fixed number of queries."""
    items = list(
        current_items(plan).select_related("exercise__progression", "exercise__regression")
    )
    if not items:
        return []
    readings = readings_by_item(plan, today - timedelta(days=LOOKBACK_DAYS))
    dismissed = _dismissed_after(plan)
    found: list[tuple[PlanItem, rules.Finding]] = []
    for item in items:
        mine = readings.get(
            (
                item.key,
                item.exercise_id,
                item.sets,
                item.reps,
                item.hold_seconds,
                item.duration_seconds,
            ),
            [],
        )
        if not mine:
            continue
        after = {
            rule: at for (key, rule), at in dismissed.items() if key == item.key and at is not None
        }
        found.extend(
            (item, finding) for finding in rules.evaluate(item_dose(item, plan), mine, after=after)
        )
    return found


@transaction.atomic
def evaluate_member(*, member_id: int, now: datetime | None = None) -> int:
    """Keeps the findings on the member's active plan as pending suggestions. Returns how many
    are new. Running it twice adds nothing."""
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        return 0
    plan = _active_plan(member_id)
    if plan is None:
        return 0
    # The plan row locked: an evaluation and a revision of the same plan take turns.
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    moment = now or timezone.now()
    found = findings_for_plan(plan, clock.local_today(member, moment))
    if not found:
        return 0
    pending = {
        (s.item_key, s.rule): s
        for s in ProgressionSuggestion.objects.filter(plan=plan, status=SuggestionStatus.PENDING)
    }
    new: list[ProgressionSuggestion] = []
    changed: list[ProgressionSuggestion] = []
    for item, finding in found:
        row = _row(plan, item, finding)
        same = pending.get((item.key, finding.rule))
        if same is None:
            new.append(row)
        elif same.evidence != row.evidence or same.proposal != row.proposal:
            for name in _UPDATABLE:
                setattr(same, name, getattr(row, name))
            changed.append(same)
    before = ProgressionSuggestion.objects.filter(plan=plan).count() if new else 0
    ProgressionSuggestion.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        ProgressionSuggestion.objects.bulk_update(changed, _UPDATABLE)
    return ProgressionSuggestion.objects.filter(plan=plan).count() - before if new else 0


_UPDATABLE = [
    "plan_item",
    "plan_revision",
    "proposal",
    "summary",
    "evidence",
    "last_session",
    "last_session_date",
    "last_session_at",
]


def _row(plan: Plan, item: PlanItem, finding: rules.Finding) -> ProgressionSuggestion:
    last = finding.last
    return ProgressionSuggestion(
        plan=plan,
        member_id=plan.member_id,
        plan_item=item,
        item_key=item.key,
        plan_revision=plan.revision,
        rule=finding.rule,
        proposal=finding.proposal,
        summary=finding.summary[:300],
        evidence=finding.evidence(),
        last_session_id=last.session_id,
        last_session_date=last.day,
        last_session_at=last.at,
    )


def plan_revised(*, plan: Plan) -> int:
    """Called by every plan revision: its pending suggestions are stale (the evaluation it asks
    for, programs.services.evaluations, suggests again what still holds). Returns how many were
    closed."""
    closed = ProgressionSuggestion.objects.filter(
        plan=plan, status=SuggestionStatus.PENDING
    ).update(status=SuggestionStatus.STALE, decided_at=timezone.now())
    evaluations.request(plan.member_id)
    return closed


# --- a PT's decisions -------------------------------------------------------------------------


def _check_pt(user: User, suggestion: ProgressionSuggestion) -> None:
    if not access.is_care_team(user, suggestion.member):
        raise PermissionDenied("PTs of the member's care team decide on suggestions.")


def _locked(suggestion: ProgressionSuggestion) -> ProgressionSuggestion:
    locked = (
        ProgressionSuggestion.objects.select_for_update()
        .select_related("plan", "plan_item", "member__user")
        .get(pk=suggestion.pk)
    )
    if locked.status != SuggestionStatus.PENDING:
        raise SuggestionConflict(
            f"This suggestion is {locked.get_status_display().lower()}: nothing to do."
        )
    return locked


def is_stale(suggestion: ProgressionSuggestion) -> bool:
    return (
        suggestion.plan.revision != suggestion.plan_revision
        or suggestion.plan.status != PlanStatus.ACTIVE
        or suggestion.plan_item.valid_to_revision is not None
    )


def close_stale(*, suggestion: ProgressionSuggestion) -> None:
    """Closes a suggestion whose plan moved on (its own transaction, before the 409)."""
    ProgressionSuggestion.objects.filter(pk=suggestion.pk, status=SuggestionStatus.PENDING).update(
        status=SuggestionStatus.STALE, decided_at=timezone.now()
    )


def item_input(item: PlanItem, proposal: dict[str, Any]) -> dict[str, Any]:
    """The revised item as the plan service takes it: the proposed exercise and dose, the item's
    own days and times a day kept."""
    dose = {k: v for k, v in (proposal.get("dose") or {}).items() if k in rules.DOSE_KEYS}
    given: dict[str, Any] = {
        "id": item.pk,
        "exercise": proposal["exercise"],
        "days_of_week": mask_to_days(item.days_mask),
        "times_per_day": item.times_per_day,
    }
    if proposal["exercise"] == item.exercise_id:
        given.update(dose)  # the same exercise: only the dose fields proposed change
    else:
        # Another exercise starts at its usual dose (its own dosing kind's numbers).
        given.update({k: v for k, v in dose.items() if v is not None})
    return given


def revision_reason(suggestion: ProgressionSuggestion) -> str:
    rule = SuggestionRule(suggestion.rule).label
    return f"Accepted suggestion ({rule}): {suggestion.summary}"[:MAX_REASON]


@dataclass
class Accepted:
    suggestion: ProgressionSuggestion
    revision_number: int


@transaction.atomic
def accept_suggestion(*, user: User, suggestion: ProgressionSuggestion) -> Accepted:
    """Makes the one plan revision the suggestion proposes, its reason taken from the rule.
    Raises StaleSuggestion when the plan was revised since (the caller closes it)."""
    from programs.services.plans import revise_plan

    _check_pt(user, suggestion)
    locked = _locked(suggestion)
    Plan.objects.select_for_update().filter(pk=locked.plan_id).first()
    locked.plan.refresh_from_db()
    locked.plan_item.refresh_from_db()
    if is_stale(locked):
        raise StaleSuggestion("The plan was changed after this suggestion was made.")
    items: list[dict[str, Any]] = [
        {"id": item.pk} if item.pk != locked.plan_item_id else item_input(item, locked.proposal)
        for item in current_items(locked.plan)
    ]
    locked.status = SuggestionStatus.ACCEPTED
    locked.decided_at = timezone.now()
    locked.decided_by = user
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    result = revise_plan(
        user=user,
        plan=locked.plan,
        reason=revision_reason(locked),
        items=items,  # type: ignore[arg-type]
    )
    locked.revision = result.revision
    locked.save(update_fields=["revision"])
    # Audited once, as the plan's revision (revise_plan's row; its reason names the rule).
    return Accepted(suggestion=locked, revision_number=result.plan.revision)


@transaction.atomic
def dismiss_suggestion(
    *, user: User, suggestion: ProgressionSuggestion, reason: str
) -> ProgressionSuggestion:
    """Closes a pending suggestion with the PT's reason; its evidence is not suggested again."""
    _check_pt(user, suggestion)
    if not reason or not reason.strip():
        raise ValidationError({"reason": ["Say why: the reason is kept with the suggestion."]})
    locked = _locked(suggestion)
    locked.status = SuggestionStatus.DISMISSED
    locked.dismiss_reason = reason.strip()[:MAX_REASON]
    locked.decided_at = timezone.now()
    locked.decided_by = user
    locked.save(update_fields=["status", "dismiss_reason", "decided_at", "decided_by"])
    audit.record_write(by=user, action=AuditAction.UPDATE, member_id=locked.member_id, obj=locked)
    return locked
