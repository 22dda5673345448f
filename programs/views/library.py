"""Library pages: the browser (`/library/`, PTs and staff) and an exercise's page (staff roles;
a member is sent to their own page of it, programs.views.plans.plan_exercise).

Both read through access.visible_exercises (via programs.selectors.library) and filter with the
API's own FilterSet, so the page and `/api/v1/exercises/` always agree. The filter form is a plain
GET form: it works without JavaScript; library.js only makes it answer as you type.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from exercise_tracker.views import role_required
from members.models import Role
from programs.api.filters import DIFFICULTY_CHOICES, ExerciseFilter
from programs.models import Category, Equipment, Exercise, Position, PrecautionTag, Region
from programs.rules.doses import dose_label
from programs.selectors import library as selectors
from programs.services.library import dose_of

CARDS_PER_PAGE = 24
FILTER_NAMES = ("q", "category", "region", "equipment", "difficulty", "position")


def _card(exercise: Exercise) -> dict[str, Any]:
    image = selectors.main_image(exercise)
    return {
        "exercise": exercise,
        "thumbnail": image.thumbnail_small.url if image and image.thumbnail_small else None,
        # A sharper thumbnail for wide cards and dense screens; never the original.
        "thumbnail_large": image.thumbnail_large.url if image and image.thumbnail_large else None,
        "alt_text": image.alt_text if image else "",
        "regions": list(exercise.regions.all()),
        "dose": dose_label(dose_of(exercise)),
    }


@role_required(Role.THERAPIST, Role.STAFF)
def library(request: HttpRequest) -> HttpResponse:
    """Search and filter the library; cards with the picture, name, category and regions."""
    filters = ExerciseFilter(request.GET, queryset=selectors.library_cards(request.user))
    valid = filters.is_valid()
    exercises = filters.qs if valid else filters.queryset.order_by("name", "id")
    page = Paginator(exercises, CARDS_PER_PAGE).get_page(request.GET.get("page"))
    chosen = {name: request.GET.get(name, "") for name in FILTER_NAMES}
    # Page links keep the filters.
    keep = request.GET.copy()
    keep.pop("page", None)
    context = {
        "page": page,
        "cards": [_card(exercise) for exercise in page.object_list],
        "chosen": chosen,
        "filtering": any(chosen.values()),
        "errors": {} if valid else filters.errors,
        "query_string": keep.urlencode(),
        "categories": Category.choices,
        "regions": Region.choices,
        "positions": Position.choices,
        "difficulties": [(str(value), label) for value, label in DIFFICULTY_CHOICES],
        "equipment": list(Equipment.objects.order_by("name").values_list("slug", "name")),
    }
    return render(request, "programs/library.html", context)


@login_required
def exercise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One exercise: steps, cues, precautions, dose, all pictures, easier and harder versions."""
    if getattr(request.user, "role", None) == Role.MEMBER:
        # A member reads the exercises of their own plans, on their own page (404 otherwise).
        return redirect("programs:plan-exercise", pk=pk)
    exercise = get_object_or_404(selectors.exercise_pages(request.user), pk=pk)
    images = list(exercise.images.all())
    dose = dose_of(exercise)
    context = {
        "exercise": exercise,
        "images": images,
        "regions": list(exercise.regions.all()),
        "equipment": list(exercise.equipment.all()),
        "dose_label": dose_label(dose),
        "dose": dose,
        "can_browse": getattr(request.user, "role", None) in (Role.THERAPIST, Role.STAFF),
        # For the PT: what the plan builder checks against a member's precautions.
        "precaution_tags": [
            PrecautionTag(tag).label
            for tag in exercise.precaution_tags or []
            if tag in PrecautionTag.values
        ],
    }
    return render(request, "programs/exercise_detail.html", context)
