"""Plan templates (protocols): named, ordered exercises with a dose, for a condition and phase."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q

from .library import Exercise, Side

# Ranges a PT would call sane; the services check them with clear messages, the database holds.
SETS_RANGE = (1, 10)
REPS_RANGE = (1, 100)
HOLD_RANGE = (1, 300)
DURATION_RANGE = (1, 7200)
REST_RANGE = (0, 600)
RPE_RANGE = (0, 10)
TIMES_PER_DAY_RANGE = (1, 10)
# An item's whole numbers by field: the builder's inputs, the services' checks.
ITEM_RANGES = {
    "sets": SETS_RANGE,
    "reps": REPS_RANGE,
    "hold_seconds": HOLD_RANGE,
    "duration_seconds": DURATION_RANGE,
    "rest_seconds": REST_RANGE,
    "target_rpe": RPE_RANGE,
    "times_per_day": TIMES_PER_DAY_RANGE,
}
ALL_DAYS_MASK = 0b1111111  # bit 0 = Monday ... bit 6 = Sunday (date.weekday())


def days_to_mask(days: Iterable[int]) -> int:
    mask = 0
    for day in days:
        mask |= 1 << day
    return mask


def mask_to_days(mask: int) -> list[int]:
    return [day for day in range(7) if mask & (1 << day)]


def _in_range(field: str, bounds: tuple[int, int], *, nullable: bool = True) -> Q:
    low, high = bounds
    within = Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return (Q(**{f"{field}__isnull": True}) | within) if nullable else within


class Dose(models.Model):
    """The full dose of one exercise: shared by template items and plan item versions."""

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    sets = models.PositiveSmallIntegerField(default=1)
    reps = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    rest_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    side = models.CharField(max_length=12, choices=Side.choices, default=Side.BOTH)
    load = models.CharField(max_length=80, blank=True, help_text='Free text, e.g. "red band".')
    target_rpe = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Effort 0-10.")
    times_per_day = models.PositiveSmallIntegerField(default=1)
    # A bitmask (bit 0 = Monday, as date.weekday()): one small integer, checkable in SQL and
    # testable per weekday with a bitwise AND.
    days_mask = models.PositiveSmallIntegerField(default=ALL_DAYS_MASK)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True

    @property
    def days_of_week(self) -> list[int]:
        return mask_to_days(self.days_mask)

    def prescribed_on_weekday(self, weekday: int) -> bool:
        return bool(self.days_mask & (1 << weekday))


def dose_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=_in_range("sets", SETS_RANGE, nullable=False), name=f"{prefix}_sets_1_10"
        ),
        models.CheckConstraint(condition=_in_range("reps", REPS_RANGE), name=f"{prefix}_reps"),
        models.CheckConstraint(
            condition=_in_range("hold_seconds", HOLD_RANGE), name=f"{prefix}_hold"
        ),
        models.CheckConstraint(
            condition=_in_range("duration_seconds", DURATION_RANGE), name=f"{prefix}_duration"
        ),
        models.CheckConstraint(
            condition=_in_range("rest_seconds", REST_RANGE), name=f"{prefix}_rest"
        ),
        models.CheckConstraint(
            condition=_in_range("target_rpe", RPE_RANGE), name=f"{prefix}_rpe_0_10"
        ),
        models.CheckConstraint(
            condition=_in_range("times_per_day", TIMES_PER_DAY_RANGE, nullable=False),
            name=f"{prefix}_times_per_day_1_10",
        ),
        models.CheckConstraint(
            condition=_in_range("days_mask", (1, ALL_DAYS_MASK), nullable=False),
            name=f"{prefix}_days_mask",
        ),
        models.CheckConstraint(
            condition=Q(side__in=[s.value for s in Side]), name=f"{prefix}_side_valid"
        ),
    ]


class PlanTemplate(models.Model):
    """A protocol; `organization` null means a global template every clinic sees."""

    name = models.CharField(max_length=160)
    slug = models.SlugField(max_length=120)
    condition = models.CharField(
        max_length=40, help_text="A members.Condition code.", db_index=True
    )
    phase = models.PositiveSmallIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    # When to move on to the next phase (or off the template): shown to the PT in the builder.
    progression_criteria = models.TextField(blank=True)
    organization = models.ForeignKey(
        "members.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plan_templates",
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("condition", "phase", "name", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["slug"],
                condition=Q(organization__isnull=True),
                name="template_global_slug_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "slug"],
                condition=Q(organization__isnull=False),
                name="template_org_slug_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateItem(Dose):
    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="items")

    class Meta:
        ordering = ("template", "order", "id")
        constraints = dose_constraints("template_item")

    def __str__(self) -> str:
        return f"{self.template_id} #{self.order} {self.exercise_id}"
