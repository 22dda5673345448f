"""Plan pages: the member's read-only view of their plan (`/plan/`) and the PT's plan builder."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from exercise_tracker import access, audit
from exercise_tracker.views import role_required
from members.models import Role
from programs.models import Category, ExerciseImage, Plan, PlanItem, PlanStatus, Region, Side
from programs.models.templates import (
    DURATION_RANGE,
    HOLD_RANGE,
    REPS_RANGE,
    REST_RANGE,
    RPE_RANGE,
    SETS_RANGE,
    TIMES_PER_DAY_RANGE,
)

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SIDE_TEXT = {
    "left": "left side",
    "right": "right side",
    "both": "",
    "alternating": "alternate sides",
}


def _seconds(value: int) -> str:
    if value >= 60 and value % 60 == 0:
        minutes = value // 60
        return f"{minutes} min"
    if value >= 60:
        return f"{value // 60} min {value % 60} s"
    return f"{value} s"


def describe_dose(item: PlanItem) -> list[str]:
    """The dose in the words a member reads: '2 sets of 10', 'hold 3 s', 'Mon, Wed, Fri'."""
    parts: list[str] = []
    if item.duration_seconds:
        amount = _seconds(item.duration_seconds)
        parts.append(amount if item.sets == 1 else f"{item.sets} bouts of {amount}")
    elif item.reps:
        parts.append(f"{item.reps} reps" if item.sets == 1 else f"{item.sets} sets of {item.reps}")
    elif item.hold_seconds:
        parts.append(f"{item.sets} holds of {_seconds(item.hold_seconds)}")
    if item.hold_seconds and item.reps:
        parts.append(f"hold {_seconds(item.hold_seconds)}")
    if item.rest_seconds and item.sets > 1:
        parts.append(f"rest {_seconds(item.rest_seconds)} between sets")
    if SIDE_TEXT.get(item.side):
        parts.append(SIDE_TEXT[item.side])
    if item.load:
        parts.append(item.load)
    if item.target_rpe is not None:
        parts.append(f"effort about {item.target_rpe}/10")
    days = item.days_of_week
    parts.append("every day" if len(days) == 7 else ", ".join(DAY_NAMES[day] for day in days))
    if item.times_per_day > 1:
        parts.append(
            "twice a day" if item.times_per_day == 2 else f"{item.times_per_day} times a day"
        )
    return parts


@dataclass(frozen=True)
class ShownItem:
    item: PlanItem
    dose: list[str]
    image: ExerciseImage | None


# The plan a member sees: the active one, else the most recent paused or completed one.
STATUS_RANK = Case(
    When(status=PlanStatus.ACTIVE, then=Value(0)),
    When(status=PlanStatus.PAUSED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@role_required(Role.MEMBER)
def plan_member(request: HttpRequest) -> HttpResponse:
    images = ExerciseImage.objects.order_by("-is_main", "order", "id")
    items = (
        PlanItem.objects.filter(valid_to_revision__isnull=True)
        .select_related("exercise")
        .prefetch_related(Prefetch("exercise__images", queryset=images))
        .order_by("order", "id")
    )
    plan: Plan | None = (
        access.visible_plans(request.user)
        .select_related("author__user")
        .prefetch_related(Prefetch("items", queryset=items, to_attr="current_items"))
        .annotate(rank=STATUS_RANK)
        .order_by("rank", "-start_date", "-id")
        .first()
    )
    shown = []
    if plan is not None:
        for item in plan.current_items:  # type: ignore[attr-defined]
            pictures = list(item.exercise.images.all())
            shown.append(
                ShownItem(
                    item=item, dose=describe_dose(item), image=pictures[0] if pictures else None
                )
            )
    return render(request, "programs/plan_member.html", {"plan": plan, "items": shown})


# --- the plan builder (PTs) ----------------------------------------------------------------


@role_required(Role.THERAPIST)
def plan_builder(
    request: HttpRequest, member_id: int | None = None, plan_id: int | None = None
) -> HttpResponse:
    """`/caseload/<member>/plan/` (a new plan) and `/plans/<id>/edit/` (a new revision). The
    page is a client of the v1 API (session auth, CSRF): what it saves is what the API checks.
    A member outside the PT's care team, or their plan, is 404."""
    plan: Plan | None = None
    if plan_id is not None:
        plan = (
            access.visible_plans(request.user)
            .select_related("member__user")
            .filter(pk=plan_id)
            .first()
        )
        member = plan.member if plan is not None else None
    else:
        member = (
            access.visible_members(request.user)
            .select_related("user")
            .filter(pk=member_id or 0)
            .first()
        )
    if member is None or not access.is_care_team(request.user, member):
        raise Http404
    audit.record_read_by_staff(
        user=request.user,
        member_id=member.pk,
        obj=plan,
        object_type="" if plan is not None else "programs.plan_builder",
    )
    templates = list(
        access.visible_templates(request.user)
        .filter(is_active=True)
        .order_by("condition", "phase", "name")
        .values("id", "name")
    )
    storage = ExerciseImage._meta.get_field("thumbnail_small").storage
    pictures = {
        exercise_id: storage.url(name)
        for exercise_id, name in ExerciseImage.objects.filter(
            is_main=True, exercise__in=access.visible_exercises(request.user)
        )
        .exclude(thumbnail_small="")
        .values_list("exercise_id", "thumbnail_small")
    }
    config = {
        "pictures": pictures,
        "member": member.pk,
        "memberName": member.user.display_name,
        "memberCondition": member.get_condition_display(),
        "plan": plan.pk if plan is not None else None,
        "today": timezone.localtime(timezone.now(), member.tz).date().isoformat(),
        "api": {
            "plans": reverse("plan-list"),
            "preview": reverse("plan-preview"),
            "templates": reverse("plan-template-list"),
            "exercises": reverse("exercise-list"),
        },
        "caseload": reverse("caseload"),
    }
    return render(
        request,
        "programs/plan_builder.html",
        {
            "member": member,
            "plan": plan,
            "templates": templates,
            "config": config,
            "categories": Category.choices,
            "regions": Region.choices,
            "sides": Side.choices,
            "day_names": list(enumerate(DAY_NAMES)),
            "ranges": {
                "sets": SETS_RANGE,
                "reps": REPS_RANGE,
                "hold_seconds": HOLD_RANGE,
                "duration_seconds": DURATION_RANGE,
                "rest_seconds": REST_RANGE,
                "times_per_day": TIMES_PER_DAY_RANGE,
                "target_rpe": RPE_RANGE,
            },
        },
    )
