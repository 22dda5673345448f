"""Plan pages: the member's read-only view of their plan (`/plan/`) and the PT's plan builder."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from exercise_tracker import access, audit, clock
from exercise_tracker.views import role_required
from members.models import Role
from programs.models import Category, ExerciseImage, Plan, PlanItem, PlanStatus, Region, Side
from programs.models.templates import ITEM_RANGES
from programs.rules.doses import dose_parts
from programs.selectors import library, plans


def describe_dose(item: PlanItem) -> list[str]:
    """The dose in the words a member reads, part by part: amount, side, rest, load, effort,
    days and how often a day."""
    return dose_parts(item, dosing=item.exercise.dosing, details=True, days=True)


@dataclass(frozen=True)
class PlanLine:
    """An exercise on the member's plan page: the item, its picture and its dose in words."""

    item: PlanItem
    dose: list[str]
    image: ExerciseImage | None


@role_required(Role.MEMBER)
def plan_member(request: HttpRequest) -> HttpResponse:
    plan = plans.member_plan(request.user)
    shown = []
    if plan is not None:
        shown = [
            PlanLine(item=line.item, dose=describe_dose(line.item), image=line.image)
            for line in plans.member_plan_items(plan)
        ]
    return render(request, "programs/plan_member.html", {"plan": plan, "items": shown})


@role_required(Role.MEMBER)
def plan_exercise(request: HttpRequest, pk: int) -> HttpResponse:
    """`/plan/exercises/<id>/`: an exercise of the member's own plans, as the member does it:
    precautions first, then pictures and animation, steps, tips and their dose. Any other
    exercise is 404 (access.plan_exercises)."""
    exercise = get_object_or_404(library.plan_exercise_pages(request.user), pk=pk)
    item = (
        PlanItem.objects.filter(
            plan__in=access.visible_plans(request.user)
            .filter(status=PlanStatus.ACTIVE)
            .values("pk"),
            valid_to_revision__isnull=True,
            exercise=exercise,
        )
        .order_by("order", "id")
        .first()
    )
    context = {
        "exercise": exercise,
        "images": list(exercise.images.all()),
        "item": item,
        "dose": describe_dose(item) if item is not None else [],
    }
    return render(request, "programs/exercise_member.html", context)


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
        plan = plans.builder_plan(request.user, plan_id)
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
    templates = plans.builder_templates(request.user)
    pictures = plans.builder_pictures(request.user)
    config = {
        "pictures": pictures,
        "member": member.pk,
        "memberName": member.user.display_name,
        "memberCondition": member.get_condition_display(),
        "plan": plan.pk if plan is not None else None,
        "today": clock.local_today(member).isoformat(),
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
            "day_names": list(enumerate(clock.DAY_NAMES_SHORT)),
            "ranges": ITEM_RANGES,
            "lessons": list(access.assignable_lessons(request.user).order_by("order", "id")),
        },
    )
