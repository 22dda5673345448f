"""Reads of plans: every page, endpoint and service that shows or checks a plan reads it here,
starting from exercise_tracker.access. Each read is a fixed number of queries, whatever the
number of items (the tests count them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from exercise_tracker import access
from members.models import Alert, AlertStatus
from programs.models import ExerciseImage, Plan, PlanItem, PlanStatus, PlanTemplate, TemplateItem
from programs.rules.estimates import plan_warnings

# The plan a member sees: the active one, else the most recent paused or completed one.
STATUS_RANK = Case(
    When(status=PlanStatus.ACTIVE, then=Value(0)),
    When(status=PlanStatus.PAUSED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


# --- items ------------------------------------------------------------------------------------


def current_items(plan: Plan | int) -> QuerySet[PlanItem]:
    """The item versions in force in a plan, in order, with their exercises (one query)."""
    return (
        PlanItem.objects.filter(plan=plan, valid_to_revision__isnull=True)
        .select_related("exercise")
        .order_by("order", "id")
    )


def current_items_by_id(plan: Plan | int) -> dict[int, PlanItem]:
    """The versions in force by id, in order: what a revision's items may name."""
    return {item.pk: item for item in current_items(plan)}


def items_prefetch(revision: int | None = None) -> Prefetch:
    """The items to show (in force now; every version when a revision is asked for, which
    `decorate` narrows), onto `all_or_current_items`."""
    items = PlanItem.objects.select_related("exercise").order_by("order", "id")
    if revision is None:
        items = items.filter(valid_to_revision__isnull=True)
    return Prefetch("items", queryset=items, to_attr="all_or_current_items")


def decorate(plan: Plan, revision: int | None = None) -> Plan:
    """Attaches what the API shows with a plan read with `items_prefetch`: the items (in force
    now, or at `revision`), the warnings and the estimated session time."""
    items: list[PlanItem] = plan.all_or_current_items  # type: ignore[attr-defined]
    if revision is not None:
        items = [item for item in items if item.in_force_at(revision)]
    plan.shown_items = items  # type: ignore[attr-defined]
    warnings, minutes = plan_warnings(member=plan.member, items=items)
    plan.warnings = warnings  # type: ignore[attr-defined]
    plan.estimated_minutes = minutes  # type: ignore[attr-defined]
    return plan


# --- the API --------------------------------------------------------------------------------


def api_plans(user: Any) -> QuerySet[Plan]:
    """The plans this user may read, newest first, with what the API names (member, author)."""
    return (
        access.visible_plans(user)
        .select_related("member__user", "author__user")
        .prefetch_related("plan_lessons")
        .order_by("-start_date", "-id")
    )


def api_plan(pk: int) -> Plan:
    """A plan just written, as the API answers it (the writer may see it: they just wrote it)."""
    plan = (
        Plan.objects.select_related("member__user", "author__user")
        .prefetch_related(items_prefetch(), "plan_lessons")
        .get(pk=pk)
    )
    return decorate(plan)


def written_plan(result: Any) -> Plan:
    """A plan just created, as the API answers it, from what the write holds in memory (a
    programs.services.plans.PlanResult with its items): the same answer as `api_plan` without
    reading the plan and its items back."""
    plan: Plan = result.plan
    plan.shown_items = result.items  # type: ignore[attr-defined]
    plan.warnings = result.warnings  # type: ignore[attr-defined]
    plan.estimated_minutes = result.estimated_minutes  # type: ignore[attr-defined]
    return plan


def api_templates(user: Any) -> QuerySet[PlanTemplate]:
    """The templates this user may read, with their items."""
    items = TemplateItem.objects.select_related("exercise").order_by("order", "id")
    return (
        access.visible_templates(user)
        .prefetch_related(Prefetch("items", queryset=items), "suggested_lessons")
        .order_by("condition", "phase", "name", "id")
    )


# --- pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownItem:
    """An item as a member's page or handout shows it: the version and its main picture."""

    item: PlanItem
    image: ExerciseImage | None


def member_plan(user: Any) -> Plan | None:
    """The plan a member's `/plan/` page shows (active, else the latest paused or completed),
    its items in force with their pictures: three queries."""
    images = ExerciseImage.objects.order_by("-is_main", "order", "id")
    items = (
        PlanItem.objects.filter(valid_to_revision__isnull=True)
        .select_related("exercise")
        .prefetch_related(Prefetch("exercise__images", queryset=images))
        .order_by("order", "id")
    )
    return (
        access.visible_plans(user)
        .select_related("author__user")
        .prefetch_related(Prefetch("items", queryset=items, to_attr="current_items"))
        .annotate(rank=STATUS_RANK)
        .order_by("rank", "-start_date", "-id")
        .first()
    )


def member_plan_items(plan: Plan) -> list[ShownItem]:
    """The items of a plan read with `member_plan`, each with its first picture (no query)."""
    shown = []
    for item in plan.current_items:  # type: ignore[attr-defined]
        pictures = list(item.exercise.images.all())
        shown.append(ShownItem(item=item, image=pictures[0] if pictures else None))
    return shown


def handout_plan(user: Any, pk: int) -> Plan | None:
    """A plan this user may print, with what its handout names (organization, member, PT)."""
    return (
        access.visible_plans(user)
        .select_related("member__user", "organization", "author__user")
        .filter(pk=pk)
        .first()
    )


def handout_items(plan: Plan) -> list[ShownItem]:
    """The items in force, in order, each with its main picture: two queries."""
    items = list(current_items(plan))
    pictures = {
        image.exercise_id: image
        for image in ExerciseImage.objects.filter(
            exercise_id__in={item.exercise_id for item in items}, is_main=True
        )
    }
    return [ShownItem(item, pictures.get(item.exercise_id)) for item in items]


def builder_plan(user: Any, pk: int) -> Plan | None:
    """A plan a PT opens in the builder (the care-team check is the caller's)."""
    return access.visible_plans(user).select_related("member__user").filter(pk=pk).first()


def builder_pictures(user: Any) -> dict[int, str]:
    """exercise id → the URL of its main picture's small thumbnail, for every exercise this
    user may put in a plan that has one (one query)."""
    storage = ExerciseImage._meta.get_field("thumbnail_small").storage
    return {
        exercise_id: storage.url(name)
        for exercise_id, name in ExerciseImage.objects.filter(
            is_main=True, exercise__in=access.visible_exercises(user)
        )
        .exclude(thumbnail_small="")
        .values_list("exercise_id", "thumbnail_small")
    }


def builder_templates(user: Any) -> list[Any]:
    """The active templates a PT may start from, as {id, name, progression_criteria}."""
    return list(
        access.visible_templates(user)
        .filter(is_active=True)
        .order_by("condition", "phase", "name")
        .values("id", "name", "progression_criteria")
    )


def caseload_members(user: Any) -> QuerySet[Any]:
    """A PT's caseload with, for each member, the plan they work on (the newest not completed:
    `plan_id`, `plan_status`) and their open alerts (`open_alerts`), in one query."""
    current_plan = (
        Plan.objects.filter(member=OuterRef("pk"))
        .exclude(status=PlanStatus.COMPLETED)
        .order_by("-start_date", "-id")
    )
    open_alerts = (
        Alert.objects.filter(member=OuterRef("pk"), status=AlertStatus.OPEN)
        .order_by()
        .values("member")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        access.visible_members(user)
        .select_related("user")
        .annotate(
            plan_id=Subquery(current_plan.values("id")[:1]),
            plan_status=Subquery(current_plan.values("status")[:1]),
            open_alerts=Coalesce(Subquery(open_alerts), 0),
        )
    )
