"""Filters of `/api/v1/exercises/` and the library page: one FilterSet, so both filter alike."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from programs.models import Category, Equipment, Exercise, Position, Region
from programs.selectors.library import search

DIFFICULTY_CHOICES = [(1, "1 (easiest)"), (2, "2"), (3, "3 (hardest)")]
Q_MAX = 100


class ExerciseFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=Category.choices)
    region = django_filters.ChoiceFilter(
        field_name="regions__code", choices=Region.choices, label="Body region"
    )
    equipment = django_filters.ModelChoiceFilter(
        field_name="equipment",
        to_field_name="slug",
        queryset=Equipment.objects.all(),
        label="Equipment (slug)",
    )
    difficulty = django_filters.TypedChoiceFilter(choices=DIFFICULTY_CHOICES, coerce=int)
    position = django_filters.ChoiceFilter(choices=Position.choices)
    q = django_filters.CharFilter(
        method="filter_q", max_length=Q_MAX, label="Search name, summary, cues and steps"
    )
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("difficulty", "difficulty"), ("created_at", "created_at")),
    )

    class Meta:
        model = Exercise
        fields = ("category", "region", "equipment", "difficulty", "position", "q")

    def filter_q(self, queryset: QuerySet[Exercise], name: str, value: str) -> QuerySet[Exercise]:
        return search(queryset, value)

    @property
    def qs(self) -> QuerySet[Exercise]:
        qs: QuerySet[Exercise] = super().qs
        data: Any = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("ordering"):
            # A stable order for pages: ties (same difficulty) break by name.
            return qs.order_by(*qs.query.order_by, "name", "id")
        if data.get("q"):
            # Searching: exercises whose name matches come first.
            return qs.order_by("name_rank", "name", "id")  # type: ignore[misc]  # annotated by search()
        return qs.order_by("name", "id")
