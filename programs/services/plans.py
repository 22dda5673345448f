"""Writes about plans and templates: create a plan (revision 1), revise it, create a template.

Every change of a plan is a new PlanRevision; item versions are never updated except to close
them (`valid_to_revision`). Validation speaks to a PT: errors name the field (`items[2].reps`),
and advice that should not block saving (a long session, an extension-biased exercise for a
member with stenosis) comes back as warnings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypedDict, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from exercise_tracker import access, audit
from exercise_tracker.models import AuditAction
from members.models import Condition, Member, User
from members.services import adherence
from programs.models import (
    Dosing,
    Exercise,
    MovementBias,
    Plan,
    PlanItem,
    PlanRevision,
    PlanStatus,
    PlanTemplate,
    Side,
    TemplateItem,
)
from programs.models.templates import days_to_mask, mask_to_days

MAX_ITEMS = 30  # a hard limit against abuse; the clinical advice (6) is a warning
ADVISED_MAX_EXERCISES = 6
ADVISED_MAX_MINUTES = 30
# Session estimate: about 3 s a repetition, plus a short set-up per exercise.
SECONDS_PER_REP = 3
SETUP_SECONDS_PER_EXERCISE = 15
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# The dose fields of an item, in the order a PT reads them.
DOSE_FIELDS = (
    "sets",
    "reps",
    "hold_seconds",
    "duration_seconds",
    "rest_seconds",
    "side",
    "load",
    "target_rpe",
    "times_per_day",
    "days_mask",
    "note",
)
# What each dosing kind needs, and how to say it.
NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    Dosing.REPS: (("reps", "repetitions: give reps"),),
    Dosing.HOLD: (("hold_seconds", "timed holds: give hold_seconds"),),
    Dosing.REPS_HOLD: (
        ("reps", "repetitions with a hold: give reps"),
        ("hold_seconds", "repetitions with a hold: give hold_seconds"),
    ),
    Dosing.DURATION: (("duration_seconds", "duration: give duration_seconds"),),
}


class PlanConflict(Exception):
    """The member already has another active plan (answered 409)."""


class Unset:
    """The value of an argument the caller did not give (PATCH semantics)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


class DoseLike(Protocol):
    exercise: Exercise
    sets: int
    reps: int | None
    hold_seconds: int | None
    duration_seconds: int | None
    rest_seconds: int | None
    days_mask: int


@dataclass
class CleanItem:
    """A validated item of a request: the dose to write, and the version it replaces if any."""

    exercise: Exercise
    dose: dict[str, Any]
    order: int
    previous: PlanItem | None = None


@dataclass
class PlanResult:
    plan: Plan
    revision: PlanRevision | None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    estimated_minutes: float = 0.0


# --- estimates and warnings (pure) -----------------------------------------------------------


def item_seconds(item: DoseLike) -> int:
    """Seconds one sitting of this item takes: sets of reps (3 s each, plus any hold), of holds,
    or of a duration, the rests between sets, and a short set-up."""
    reps, hold, duration = item.reps, item.hold_seconds, item.duration_seconds
    if duration:
        per_set = duration
    elif reps:
        per_set = reps * (SECONDS_PER_REP + (hold or 0))
    else:
        per_set = hold or 0
    sets = max(item.sets or 1, 1)
    rests = (item.rest_seconds or 0) * (sets - 1)
    return sets * per_set + rests + SETUP_SECONDS_PER_EXERCISE


def estimate_minutes(items: Iterable[DoseLike]) -> float:
    """Minutes of the longest day's session (items on other weekdays do not add up)."""
    items = list(items)
    by_day = [
        sum(item_seconds(item) for item in items if item.days_mask & (1 << day)) for day in range(7)
    ]
    return round(max(by_day, default=0) / 60, 1)


def plan_warnings(
    *, member: Member, items: Sequence[DoseLike]
) -> tuple[list[dict[str, Any]], float]:
    """Advice a PT should see but may overrule. Returns (warnings, estimated minutes)."""
    warnings: list[dict[str, Any]] = []
    if member.condition == Condition.LUMBAR_SPINAL_STENOSIS:
        for index, item in enumerate(items):
            if item.exercise.movement_bias == MovementBias.EXTENSION:
                warnings.append(
                    {
                        "code": "extension_with_stenosis",
                        "field": f"items[{index}].exercise",
                        "message": (
                            f"{item.exercise.name} is extension-biased: it may provoke "
                            "symptoms of lumbar spinal stenosis."
                        ),
                    }
                )
    if len(items) > ADVISED_MAX_EXERCISES:
        warnings.append(
            {
                "code": "many_exercises",
                "field": "items",
                "message": (
                    f"{len(items)} exercises: adherence drops with programs of more than "
                    f"{ADVISED_MAX_EXERCISES}."
                ),
            }
        )
    minutes = estimate_minutes(items)
    if minutes > ADVISED_MAX_MINUTES:
        warnings.append(
            {
                "code": "long_session",
                "field": "items",
                "message": (
                    f"A session takes about {minutes:g} minutes: adherence drops with sessions "
                    f"over {ADVISED_MAX_MINUTES}."
                ),
            }
        )
    return warnings, minutes


# --- items: what depends on the exercise and the plan -------------------------------------


class ItemInput(TypedDict, total=False):
    """An item as a request gives it, its shape already checked (programs.inputs): numbers
    within the dose's ranges, `side` among Side's, text within its length, weekdays 0-6."""

    id: int | None
    exercise: int | None
    sets: int
    reps: int | None
    hold_seconds: int | None
    duration_seconds: int | None
    rest_seconds: int | None
    side: str
    load: str
    target_rpe: int | None
    times_per_day: int
    days_of_week: list[int]
    note: str


# The dose fields an item gives as they are stored (days come as `days_of_week`).
GIVEN_DOSE = tuple(name for name in DOSE_FIELDS if name != "days_mask")


def _defaults_of(exercise: Exercise) -> dict[str, Any]:
    """A new item starts from the exercise's default dose."""
    return {
        "sets": exercise.default_sets or 1,
        "reps": exercise.default_reps,
        "hold_seconds": exercise.default_hold_seconds,
        "duration_seconds": exercise.default_duration_seconds,
        "rest_seconds": exercise.default_rest_seconds,
        "side": exercise.default_side or Side.BOTH,
        "load": "",
        "target_rpe": None,
        "times_per_day": exercise.default_times_per_day or 1,
        "days_mask": days_to_mask(range(7)),
        "note": exercise.dose_note or "",
    }


def dose_of(item: PlanItem | TemplateItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in DOSE_FIELDS}


def clean_dose(
    *,
    exercise: Exercise,
    raw: ItemInput,
    where: str,
    base: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The dose of one item: `raw` over `base` (default: the exercise's default dose), checked
    against what the exercise's dosing kind needs. Returns (dose, errors)."""
    dose = dict(base if base is not None else _defaults_of(exercise))
    dose.update({name: raw[name] for name in GIVEN_DOSE if name in raw})  # type: ignore[literal-required]
    if "days_of_week" in raw:
        dose["days_mask"] = days_to_mask(raw["days_of_week"])
    errors: dict[str, list[str]] = {}
    for name, message in NEEDS.get(exercise.dosing, ()):
        if dose.get(name) is None:
            errors[f"{where}.{name}"] = [f"{exercise.name} is dosed in {message}."]
    return dose, errors


def clean_items(
    *,
    user: User,
    raw_items: Sequence[ItemInput],
    current: dict[int, PlanItem] | None = None,
) -> list[CleanItem]:
    """Checks a whole list of items against the plan and the library. `current` maps the ids
    of the versions in force (for a revision); an item with an `id` must name one of them.
    Every problem is reported at once, each on its field (`items[2].exercise`)."""
    current = current or {}
    errors: dict[str, list[str]] = {}
    exercise_ids = {raw.get("exercise") for raw in raw_items} - {None}
    exercises = access.visible_exercises(user).in_bulk(list(exercise_ids))
    seen_ids: set[int] = set()
    cleaned: list[CleanItem] = []
    for index, raw in enumerate(raw_items):
        where = f"items[{index}]"
        previous: PlanItem | None = None
        item_id = raw.get("id")
        if item_id is not None:
            previous = current.get(item_id)
            if previous is None or item_id in seen_ids:
                errors[f"{where}.id"] = ["Not an item in force in this plan."]
                continue
            seen_ids.add(item_id)
        exercise: Exercise | None
        exercise_id = raw.get("exercise")
        if exercise_id is None and previous is not None:
            exercise = previous.exercise
        else:
            exercise = exercises.get(exercise_id) if exercise_id is not None else None
            if exercise is None:
                errors[f"{where}.exercise"] = ["No exercise you can use has this id."]
                continue
        base = (
            dose_of(previous)
            if previous is not None and previous.exercise_id == exercise.pk
            else None
        )
        dose, item_errors = clean_dose(exercise=exercise, raw=raw, where=where, base=base)
        errors.update(item_errors)
        cleaned.append(CleanItem(exercise=exercise, dose=dose, order=index, previous=previous))
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- readable changes ------------------------------------------------------------------------


def _days_label(mask: int) -> str:
    days = mask_to_days(mask)
    if len(days) == 7:
        return "every day"
    return ", ".join(DAY_NAMES[day] for day in days)


def _value_label(name: str, value: Any) -> str:
    if name == "days_mask":
        return _days_label(value)
    if value is None or value == "":
        return "none"
    return str(value)


FIELD_LABELS = {
    "sets": "sets",
    "reps": "reps",
    "hold_seconds": "hold",
    "duration_seconds": "duration",
    "rest_seconds": "rest",
    "side": "side",
    "load": "load",
    "target_rpe": "target RPE",
    "times_per_day": "times a day",
    "days_mask": "days",
    "note": "note",
}


def _dose_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    parts = []
    for name in DOSE_FIELDS:
        if old.get(name) != new.get(name):
            if name == "note":
                parts.append("note changed")
            else:
                before, after = _value_label(name, old.get(name)), _value_label(name, new.get(name))
                parts.append(f"{FIELD_LABELS[name]} {before} → {after}")
    return parts


# --- writes ----------------------------------------------------------------------------------


def _local_date(member: Member, at: datetime) -> date:
    return timezone.localtime(at, member.tz).date()


def _therapist_of(user: User, member: Member) -> Any:
    if not access.is_care_team(user, member):
        raise PermissionDenied("Only a PT of the member's care team writes their plan.")
    return user.therapist_profile


def _check_dates(start_date: date, end_date: date | None) -> None:
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": ["The end date cannot be before the start date."]})


def _check_one_active(plan: Plan) -> None:
    others = Plan.objects.filter(member_id=plan.member_id, status=PlanStatus.ACTIVE)
    if plan.pk is not None:
        others = others.exclude(pk=plan.pk)
    other = others.first()
    if other is not None:
        raise PlanConflict(
            f"This member already has an active plan (“{other.title}”, id {other.pk}): "
            "pause or complete it first."
        )


def _save_plan(plan: Plan) -> None:
    """Saves under the one-active-plan constraint: a race lost answers like the check does."""
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as exc:
        if "one_active_plan_per_member" in str(exc) or "UNIQUE" in str(exc).upper():
            raise PlanConflict("This member already has an active plan.") from exc
        raise


def _write_items(plan: Plan, items: list[CleanItem], revision: int, at: datetime) -> None:
    PlanItem.objects.bulk_create(
        [
            PlanItem(
                plan=plan,
                key=item.previous.key if item.previous is not None else uuid.uuid4(),
                exercise=item.exercise,
                order=item.order,
                valid_from_revision=revision,
                created_at=at,
                **item.dose,
            )
            for item in items
        ]
    )


def _result(plan: Plan, revision: PlanRevision | None) -> PlanResult:
    items = list(
        PlanItem.objects.filter(plan=plan, valid_to_revision__isnull=True)
        .select_related("exercise")
        .order_by("order", "id")
    )
    warnings, minutes = plan_warnings(member=plan.member, items=items)
    return PlanResult(plan=plan, revision=revision, warnings=warnings, estimated_minutes=minutes)


@transaction.atomic
def create_plan(
    *,
    user: User,
    member_id: int,
    title: str,
    start_date: date,
    end_date: date | None = None,
    goals: str = "",
    note_to_member: str = "",
    status: str = PlanStatus.DRAFT,
    template_id: int | None = None,
    items: Sequence[ItemInput] | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> PlanResult:
    """Writes a plan and its revision 1. Without `items`, a template's items are copied.
    `at` is when this happened (default now): the seed uses it to write a history."""
    at = at or timezone.now()
    member = access.visible_members(user).filter(pk=member_id).first()
    if member is None:
        raise ValidationError({"member": ["No member in your caseload has this id."]})
    if not access.is_care_team(user, member):
        raise ValidationError({"member": ["No member in your caseload has this id."]})
    therapist = _therapist_of(user, member)
    template: PlanTemplate | None = None
    if template_id is not None:
        template = access.visible_templates(user).filter(pk=template_id, is_active=True).first()
        if template is None:
            raise ValidationError({"template": ["No template you can use has this id."]})
    if status not in PlanStatus.values:
        raise ValidationError({"status": [f"Choose one of: {', '.join(PlanStatus.values)}."]})
    if not title.strip():
        raise ValidationError({"title": ["Give the plan a title."]})
    _check_dates(start_date, end_date)
    organization_id = member.user.organization_id
    if organization_id is None:  # only staff have no organization, and they have no plans
        raise ValidationError({"member": ["This member belongs to no organization."]})
    if items is None and template is not None:
        items = template_items_as_input(template)
    cleaned = clean_items(user=user, raw_items=items or [])
    if status == PlanStatus.ACTIVE and not cleaned:
        raise ValidationError({"items": ["An active plan needs at least one exercise."]})

    plan = Plan(
        member=member,
        author=therapist,
        organization_id=organization_id,
        title=title.strip(),
        status=status,
        start_date=start_date,
        end_date=end_date,
        goals=goals,
        note_to_member=note_to_member,
        created_from=template,
        revision=1,
        created_at=at,
    )
    if status == PlanStatus.ACTIVE:
        _check_one_active(plan)
    _save_plan(plan)
    _write_items(plan, cleaned, 1, at)
    changes = [f"Created from template “{template.name}”" if template else "Created"]
    changes += [f"Added {item.exercise.name}" for item in cleaned]
    changes.append(f"Status: {status}")
    revision = PlanRevision.objects.create(
        plan=plan,
        number=1,
        author=user,
        created_at=at,
        effective_date=_local_date(member, at),
        reason=reason.strip() or "Plan created",
        status=status,
        start_date=start_date,
        end_date=end_date,
        changes=changes,
    )
    if status != PlanStatus.DRAFT:  # a draft prescribes nothing: no figure changes
        adherence.refresh_member(member=member, since=min(start_date, revision.effective_date))
    audit.record_write(by=user, action=AuditAction.CREATE, member_id=member.pk, obj=plan)
    return _result(plan, revision)


def template_items_as_input(template: PlanTemplate) -> list[ItemInput]:
    return [
        cast(
            ItemInput,
            {
                "exercise": item.exercise_id,
                "days_of_week": item.days_of_week,
                **{name: getattr(item, name) for name in GIVEN_DOSE},
            },
        )
        for item in template.items.order_by("order", "id")
    ]


ALLOWED_STATUS_CHANGES: dict[str, set[str]] = {
    PlanStatus.DRAFT: {PlanStatus.ACTIVE, PlanStatus.COMPLETED},
    PlanStatus.ACTIVE: {PlanStatus.PAUSED, PlanStatus.COMPLETED},
    PlanStatus.PAUSED: {PlanStatus.ACTIVE, PlanStatus.COMPLETED},
    PlanStatus.COMPLETED: {PlanStatus.ACTIVE},
}


@transaction.atomic
def revise_plan(
    *,
    user: User,
    plan: Plan,
    reason: str,
    title: str | Unset = UNSET,
    status: str | Unset = UNSET,
    start_date: date | Unset = UNSET,
    end_date: date | Unset | None = UNSET,
    goals: str | Unset = UNSET,
    note_to_member: str | Unset = UNSET,
    items: Sequence[ItemInput] | Unset = UNSET,
    at: datetime | None = None,
) -> PlanResult:
    """Makes the next revision. Arguments left UNSET keep their value; `items` is the whole new
    list (an item with its `id` kept or changed, one without added, one left out ended)."""
    at = at or timezone.now()
    # Lock the plan row: two PTs revising at once get consecutive numbers, not a clash.
    plan = Plan.objects.select_for_update().select_related("member__user").get(pk=plan.pk)
    _therapist_of(user, plan.member)
    if not reason or not reason.strip():
        raise ValidationError({"reason": ["Say why the plan changes: the reason is kept."]})
    changes: list[str] = []

    old_status, old_start = plan.status, plan.start_date
    if not isinstance(status, Unset) and status != plan.status:
        if status not in PlanStatus.values:
            raise ValidationError({"status": [f"Choose one of: {', '.join(PlanStatus.values)}."]})
        if status not in ALLOWED_STATUS_CHANGES[plan.status]:
            raise ValidationError(
                {"status": [f"A plan that is {plan.status} cannot become {status}."]}
            )
        changes.append(f"Status: {plan.status} → {status}")
        plan.status = status
    if not isinstance(title, Unset) and title.strip() != plan.title:
        if not title.strip():
            raise ValidationError({"title": ["Give the plan a title."]})
        changes.append(f"Title: “{plan.title}” → “{title.strip()}”")
        plan.title = title.strip()
    if not isinstance(start_date, Unset) and start_date != plan.start_date:
        changes.append(f"Start date: {plan.start_date} → {start_date}")
        plan.start_date = start_date
    if not isinstance(end_date, Unset) and end_date != plan.end_date:
        changes.append(f"End date: {plan.end_date or 'none'} → {end_date or 'none'}")
        plan.end_date = end_date
    _check_dates(plan.start_date, plan.end_date)
    if not isinstance(goals, Unset) and goals != plan.goals:
        changes.append("Goals changed")
        plan.goals = goals
    if not isinstance(note_to_member, Unset) and note_to_member != plan.note_to_member:
        changes.append("Note to member changed")
        plan.note_to_member = note_to_member

    last = PlanRevision.objects.filter(plan=plan).order_by("-number").first()
    if last is not None and at < last.created_at:
        # Only the seed and tests pass `at`; history is written forwards, never before itself.
        raise ValueError("A revision cannot be made before the plan's last revision.")
    number = plan.revision + 1
    current = {
        item.pk: item
        for item in PlanItem.objects.filter(plan=plan, valid_to_revision__isnull=True)
        .select_related("exercise")
        .order_by("order", "id")
    }
    to_end: list[PlanItem] = []
    to_write: list[CleanItem] = []
    if not isinstance(items, Unset):
        cleaned = clean_items(user=user, raw_items=items, current=current)
        kept_ids = {item.previous.pk for item in cleaned if item.previous is not None}
        old_positions = {pk: position for position, pk in enumerate(current)}
        # A move is a change of place among the items kept; shifts caused by an addition or a
        # removal are not news to the PT (they still write a version: `order` is in the row).
        kept_new = [i.previous.pk for i in cleaned if i.previous is not None]
        kept_old = sorted(kept_new, key=old_positions.__getitem__)
        moved_ids = {pk for pk, was in zip(kept_new, kept_old, strict=True) if pk != was}
        for item in cleaned:
            previous = item.previous
            if previous is None:
                changes.append(f"Added {item.exercise.name}")
                to_write.append(item)
            elif previous.exercise_id != item.exercise.pk:
                changes.append(f"Swapped {previous.exercise.name} for {item.exercise.name}")
                to_end.append(previous)
                # A different exercise is a different prescription: a new key, not a version.
                to_write.append(CleanItem(exercise=item.exercise, dose=item.dose, order=item.order))
            else:
                dose_changes = _dose_changes(dose_of(previous), item.dose)
                if previous.pk in moved_ids:
                    dose_changes.append(
                        f"moved {old_positions[previous.pk] + 1} → {item.order + 1}"
                    )
                if dose_changes:
                    changes.append(f"{item.exercise.name}: {', '.join(dose_changes)}")
                if dose_changes or previous.order != item.order:
                    to_end.append(previous)
                    to_write.append(item)
        for pk, previous in current.items():
            if pk not in kept_ids:
                changes.append(f"Removed {previous.exercise.name}")
                to_end.append(previous)
        remaining = len(cleaned)
    else:
        remaining = len(current)

    if not changes:
        raise ValidationError({"non_field_errors": ["Nothing changed: no revision was made."]})
    if plan.status == PlanStatus.ACTIVE:
        if remaining == 0:
            raise ValidationError({"items": ["An active plan needs at least one exercise."]})
        if old_status != PlanStatus.ACTIVE:
            _check_one_active(plan)

    plan.revision = number
    _save_plan(plan)
    PlanItem.objects.filter(pk__in=[item.pk for item in to_end]).update(valid_to_revision=number)
    _write_items(plan, to_write, number, at)
    revision = PlanRevision.objects.create(
        plan=plan,
        number=number,
        author=user,
        created_at=at,
        effective_date=_local_date(plan.member, at),
        reason=reason.strip(),
        status=plan.status,
        start_date=plan.start_date,
        end_date=plan.end_date,
        changes=changes,
    )
    # The days the new revision governs, and those an earlier start date now reaches (a draft
    # that stays a draft prescribes nothing).
    if not old_status == plan.status == PlanStatus.DRAFT:
        adherence.refresh_member(
            member=plan.member, since=min(old_start, plan.start_date, revision.effective_date)
        )
    audit.record_write(by=user, action=AuditAction.UPDATE, member_id=plan.member_id, obj=plan)
    return _result(plan, revision)


@transaction.atomic
def create_template(
    *,
    user: User,
    name: str,
    condition: str,
    phase: int | None = None,
    description: str = "",
    items: Sequence[ItemInput],
) -> PlanTemplate:
    """An organization's own template, written by one of its PTs."""
    if getattr(user, "therapist_profile", None) is None or user.organization_id is None:
        raise PermissionDenied("Only a PT writes their organization's templates.")
    if not name.strip():
        raise ValidationError({"name": ["Give the template a name."]})
    if condition not in Condition.values:
        raise ValidationError({"condition": [f"Choose one of: {', '.join(Condition.values)}."]})
    cleaned = clean_items(user=user, raw_items=items)
    if not cleaned:
        raise ValidationError({"items": ["A template needs at least one exercise."]})
    base = slugify(name)[:100] or "template"
    slug, n = base, 1
    while PlanTemplate.objects.filter(organization_id=user.organization_id, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    template = PlanTemplate.objects.create(
        name=name.strip(),
        slug=slug,
        condition=condition,
        phase=phase,
        description=description,
        organization_id=user.organization_id,
        created_by=user,
    )
    TemplateItem.objects.bulk_create(
        [
            TemplateItem(template=template, exercise=item.exercise, order=item.order, **item.dose)
            for item in cleaned
        ]
    )
    return template


def preview_items(
    *, user: User, member_id: int, raw_items: Sequence[ItemInput], plan_id: int | None = None
) -> tuple[list[dict[str, Any]], float]:
    """What saving these items would warn about, and the estimated session time, without
    writing anything: the plan builder asks as the PT edits. Raises ValidationError like a
    save would (fields named `items[2].reps`)."""
    member = access.visible_members(user).filter(pk=member_id).first()
    if member is None or not access.is_care_team(user, member):
        raise ValidationError({"member": ["No member in your caseload has this id."]})
    current: dict[int, PlanItem] = {}
    if plan_id is not None:
        plan = access.visible_plans(user).filter(pk=plan_id, member=member).first()
        if plan is None:
            raise ValidationError({"plan": ["No plan of this member has this id."]})
        current = {
            item.pk: item
            for item in PlanItem.objects.filter(plan=plan, valid_to_revision__isnull=True)
            .select_related("exercise")
            .order_by("order", "id")
        }
    cleaned = clean_items(user=user, raw_items=raw_items, current=current)
    return plan_warnings(member=member, items=[_DraftItem(c.exercise, c.dose) for c in cleaned])


class _DraftItem:
    """A cleaned item as `plan_warnings` reads it (DoseLike), never saved."""

    def __init__(self, exercise: Exercise, dose: dict[str, Any]) -> None:
        self.exercise = exercise
        self.sets: int = dose["sets"]
        self.reps: int | None = dose.get("reps")
        self.hold_seconds: int | None = dose.get("hold_seconds")
        self.duration_seconds: int | None = dose.get("duration_seconds")
        self.rest_seconds: int | None = dose.get("rest_seconds")
        self.days_mask: int = dose["days_mask"]
