"""Plan pages: the member's read-only view of their plan (`/plan/`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from exercise_tracker import access
from exercise_tracker.views import role_required
from members.models import Role
from programs.models import ExerciseImage, Plan, PlanItem, PlanStatus

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
