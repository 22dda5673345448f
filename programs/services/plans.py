"""Writes about plans and templates: create a plan (revision 1), revise it, create a template.

Every change of a plan is a new PlanRevision; item versions are never updated except to close
them (`valid_to_revision`). The parts live beside: checking the items a PT sends
(`plan_items`), the words of a revision's changes (`plan_changes`), and the session estimate
and warnings (`programs.rules.estimates`), advice that does not block saving (a long session,
an extension-biased exercise for a member with stenosis).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from exercise_tracker import access, audit, clock, readcache
from exercise_tracker.models import AuditAction
from exercise_tracker.rows import insert_rows
from members.models import Condition, Member, User
from members.services import adherence
from programs.models import (
    Plan,
    PlanItem,
    PlanRevision,
    PlanStatus,
    PlanTemplate,
    TemplateItem,
)
from programs.models.templates import mask_to_days
from programs.rules.doses import dose_label
from programs.rules.estimates import DraftItem, plan_warnings
from programs.selectors.plans import current_items, current_items_by_id
from programs.services import lessons as lesson_services
from programs.services import suggestions
from programs.services.plan_changes import item_changes
from programs.services.plan_items import (
    GIVEN_DOSE,
    CleanItem,
    ItemInput,
    clean_items,
)


class PlanConflict(Exception):
    """The member already has another active plan (answered 409)."""


class Unset:
    """The value of an argument the caller did not give (PATCH semantics)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


@dataclass
class PlanResult:
    plan: Plan
    revision: PlanRevision | None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    estimated_minutes: float = 0.0
    # A new plan's items in force, as written (with their exercises): the answer needs no read.
    items: list[PlanItem] | None = None


# --- writes -----------------------------------------------------------------------------------


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
    """Saves under the one-active-plan constraint: a race lost answers like the check does.
    Only an active plan can break it: any other is saved without the savepoint (two round trips
    fewer)."""
    if plan.status != PlanStatus.ACTIVE:
        plan.save()
        return
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as exc:
        if "one_active_plan_per_member" in str(exc) or "UNIQUE" in str(exc).upper():
            raise PlanConflict("This member already has an active plan.") from exc
        raise


def _write_items(plan: Plan, items: list[CleanItem], revision: int, at: datetime) -> list[PlanItem]:
    """The new item versions in one INSERT (as bulk_create: no signals; the plan's writes bump
    the member's read-cache version)."""
    written = [
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
    insert_rows(written)
    return written


def _result(plan: Plan, revision: PlanRevision | None) -> PlanResult:
    warnings, minutes = plan_warnings(member=plan.member, items=list(current_items(plan)))
    if revision is not None and warnings:
        # Kept with the revision: what the PT was warned of when they saved.
        revision.warnings = warnings
        revision.save(update_fields=["warnings"])
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
    lessons: Sequence[int] | None = None,
) -> PlanResult:
    """Writes a plan and its revision 1. Without `items`, a template's items are copied;
    without `lessons`, the template's suggested lessons (lesson ids otherwise).
    `at` is when this happened (default now): the seed uses it to write a history."""
    at = at or timezone.now()
    member = access.visible_member(user, member_id)
    if member is None:
        raise ValidationError({"member": ["No member in your caseload has this id."]})
    # One query: whether the user is one of the member's PTs now, and their PT profile.
    therapist = access.care_team_therapist(user, member)
    if therapist is None:
        raise ValidationError({"member": ["No member in your caseload has this id."]})
    therapist.user = user  # the same row: the author's name needs no query
    template: PlanTemplate | None = None
    if template_id is not None:
        template = access.usable_template(user, template_id)
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
    if lessons is None and template is not None:
        lessons = lesson_services.template_lesson_ids(template)
    chosen_lessons = lesson_services.clean_lesson_ids(user=user, ids=lessons or [])

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
    else:  # only an active plan can break the one-active-plan constraint
        insert_rows([plan])
    # The rows below are written without signals: what their receivers did (read_versions).
    readcache.member_changed(member.pk)
    written = _write_items(plan, cleaned, 1, at)
    changes = [f"Created from template “{template.name}”" if template else "Created"]
    changes += [f"Added {item.exercise.name}" for item in cleaned]
    changes += lesson_services.set_plan_lessons(
        plan=plan, lessons=chosen_lessons, at=at, new_plan=True
    )
    changes.append(f"Status: {status}")
    # The items in force are the ones just written (in memory, with their exercises, in the
    # order current_items reads them): the warnings go in with the revision's insert.
    in_force = sorted(written, key=lambda item: (item.order, item.pk))
    warnings, minutes = plan_warnings(member=member, items=in_force)
    revision = PlanRevision(
        plan=plan,
        number=1,
        author=user,
        created_at=at,
        effective_date=clock.local_date(member, at),
        reason=reason.strip() or "Plan created",
        status=status,
        start_date=start_date,
        end_date=end_date,
        changes=changes,
        warnings=warnings,
    )
    insert_rows([revision])
    if status != PlanStatus.DRAFT:  # a draft prescribes nothing: no figure changes
        adherence.refresh_member(member=member, since=min(start_date, revision.effective_date))
    audit.record_write(by=user, action=AuditAction.CREATE, member_id=member.pk, obj=plan)
    return PlanResult(
        plan=plan, revision=revision, warnings=warnings, estimated_minutes=minutes, items=in_force
    )


def template_items_as_input(template: PlanTemplate) -> list[ItemInput]:
    """The template's items as a plan's input, in their order: one query, compiled once."""
    from exercise_tracker.compiled import SENTINELS, compiled

    names = ("exercise_id", "days_mask", *GIVEN_DOSE)

    def build() -> Any:
        return (
            TemplateItem.objects.filter(template_id=SENTINELS[0])
            .order_by("order", "id")
            .values_list(*names)
        )

    items = []
    for row in compiled(("template_items_as_input",), build).rows([template.pk]):
        exercise_id, days_mask, *dose = row
        items.append(
            cast(
                ItemInput,
                {
                    "exercise": exercise_id,
                    "days_of_week": mask_to_days(days_mask),
                    **dict(zip(GIVEN_DOSE, dose, strict=True)),
                },
            )
        )
    return items


ALLOWED_STATUS_CHANGES: dict[str, set[str]] = {
    PlanStatus.DRAFT: {PlanStatus.ACTIVE, PlanStatus.COMPLETED},
    PlanStatus.ACTIVE: {PlanStatus.PAUSED, PlanStatus.COMPLETED},
    PlanStatus.PAUSED: {PlanStatus.ACTIVE, PlanStatus.COMPLETED},
    PlanStatus.COMPLETED: {PlanStatus.ACTIVE},
}


def _apply_fields(plan: Plan, **given: Any) -> list[str]:
    """Sets the plan's own fields given (not UNSET) and different, checking each; returns the
    words of the changes. The plan is not saved."""
    changes: list[str] = []
    status, title = given["status"], given["title"]
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
    start_date, end_date = given["start_date"], given["end_date"]
    if not isinstance(start_date, Unset) and start_date != plan.start_date:
        changes.append(f"Start date: {plan.start_date} → {start_date}")
        plan.start_date = start_date
    if not isinstance(end_date, Unset) and end_date != plan.end_date:
        changes.append(f"End date: {plan.end_date or 'none'} → {end_date or 'none'}")
        plan.end_date = end_date
    _check_dates(plan.start_date, plan.end_date)
    goals, note_to_member = given["goals"], given["note_to_member"]
    if not isinstance(goals, Unset) and goals != plan.goals:
        changes.append("Goals changed")
        plan.goals = goals
    if not isinstance(note_to_member, Unset) and note_to_member != plan.note_to_member:
        changes.append("Note to member changed")
        plan.note_to_member = note_to_member
    return changes


def _check_after(last: PlanRevision | None, at: datetime) -> None:
    if last is not None and at < last.created_at:
        # Only the seed and tests pass `at`; history is written forwards, never before itself.
        raise ValueError("A revision cannot be made before the plan's last revision.")


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
    lessons: Sequence[int] | Unset = UNSET,
) -> PlanResult:
    """Makes the next revision. Arguments left UNSET keep their value; `items` is the whole new
    list (an item with its `id` kept or changed, one without added, one left out ended);
    `lessons` the whole list of lesson ids."""
    at = at or timezone.now()
    # Lock the plan row: two PTs revising at once get consecutive numbers, not a clash.
    plan = Plan.objects.select_for_update().select_related("member__user").get(pk=plan.pk)
    _therapist_of(user, plan.member)
    if not reason or not reason.strip():
        raise ValidationError({"reason": ["Say why the plan changes: the reason is kept."]})
    old_status, old_start = plan.status, plan.start_date
    changes = _apply_fields(
        plan,
        status=status,
        title=title,
        start_date=start_date,
        end_date=end_date,
        goals=goals,
        note_to_member=note_to_member,
    )
    _check_after(PlanRevision.objects.filter(plan=plan).order_by("-number").first(), at)
    number = plan.revision + 1
    current = current_items_by_id(plan)
    to_end: list[PlanItem] = []
    to_write: list[CleanItem] = []
    remaining = len(current)
    if not isinstance(items, Unset):
        cleaned = clean_items(user=user, raw_items=items, current=current)
        diff = item_changes(current, cleaned)
        changes += diff.changes
        to_end, to_write, remaining = diff.to_end, diff.to_write, len(cleaned)
    prescribing = bool(changes)  # lessons prescribe nothing: adherence need not be rebuilt
    if not isinstance(lessons, Unset):
        chosen = lesson_services.clean_lesson_ids(user=user, ids=lessons)
        changes += lesson_services.set_plan_lessons(plan=plan, lessons=chosen, at=at)

    if not changes:
        raise ValidationError({"non_field_errors": ["Nothing changed: no revision was made."]})
    if plan.status == PlanStatus.ACTIVE:
        if remaining == 0:
            raise ValidationError({"items": ["An active plan needs at least one exercise."]})
        if old_status != PlanStatus.ACTIVE:
            _check_one_active(plan)

    plan.revision = number
    _save_plan(plan)
    readcache.member_changed(plan.member_id)  # the plan's and the member's today's answers
    PlanItem.objects.filter(pk__in=[item.pk for item in to_end]).update(valid_to_revision=number)
    _write_items(plan, to_write, number, at)
    revision = PlanRevision.objects.create(
        plan=plan,
        number=number,
        author=user,
        created_at=at,
        effective_date=clock.local_date(plan.member, at),
        reason=reason.strip(),
        status=plan.status,
        start_date=plan.start_date,
        end_date=plan.end_date,
        changes=changes,
    )
    # The days the new revision governs, and those an earlier start date now reaches (a draft
    # that stays a draft prescribes nothing).
    if prescribing and not old_status == plan.status == PlanStatus.DRAFT:
        adherence.refresh_member(
            member=plan.member, since=min(old_start, plan.start_date, revision.effective_date)
        )
    # Pending progression suggestions were made on the plan as it was: closed, and suggested
    # again after the commit where they still hold.
    suggestions.plan_revised(plan=plan)
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
    progression_criteria: str = "",
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
        progression_criteria=progression_criteria,
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


@dataclass
class Preview:
    warnings: list[dict[str, Any]]
    estimated_minutes: float
    labels: list[str]


def preview_items(
    *, user: User, member_id: int, raw_items: Sequence[ItemInput], plan_id: int | None = None
) -> Preview:
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
        current = current_items_by_id(plan)
    cleaned = clean_items(user=user, raw_items=raw_items, current=current)
    warnings, minutes = plan_warnings(
        member=member, items=[DraftItem(c.exercise, c.dose) for c in cleaned]
    )
    labels = [dose_label(c.dose, dosing=c.exercise.dosing) for c in cleaned]
    return Preview(warnings=warnings, estimated_minutes=minutes, labels=labels)
