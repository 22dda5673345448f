"""Walking tolerance and leg symptoms: what a member with stenosis records beside their sessions.

A walk is one outing: minutes walked before leg symptoms started (null: none came), total
minutes, rests taken, optionally the distance and what they leaned on. A symptom check-in says,
for numbness, tingling and weakness, on which side it is felt and whether it is better, the same
or worse than last week. Both carry a `client_id` made by the phone: unique per member, so a
retried POST finds the first row instead of storing a second.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q

from .people import Member

# Bounds the database holds; the input serializers word them for people.
MAX_WALK_MINUTES = 300  # five hours: more is a typo, not a walk
MAX_RESTS = 60
MAX_DISTANCE_M = 50_000


class WalkSupport(models.TextChoices):
    """What the member leaned on: leaning forward on a cart eases stenosis symptoms."""

    NONE = "none", "Nothing"
    CART = "cart", "A shopping cart or walker"
    RAIL = "rail", "A rail or wall"
    STICK = "stick", "A walking stick or poles"


class SymptomSide(models.TextChoices):
    NONE = "none", "None"
    LEFT = "left", "Left leg"
    RIGHT = "right", "Right leg"
    BOTH = "both", "Both legs"


class SymptomChange(models.TextChoices):
    BETTER = "better", "Better"
    SAME = "same", "The same"
    WORSE = "worse", "Worse"


# The three symptoms a check-in asks about, in the order the form and the API give them.
SYMPTOMS = ("numbness", "tingling", "weakness")


class Walk(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="walks")
    local_date = models.DateField(help_text="The member's local date in their time zone.")
    client_id = models.UUIDField(default=uuid.uuid4)
    # The plan's walking item it was done for, if any (any version of it: the walk is the
    # member's measure, not a dose).
    plan_item = models.ForeignKey(
        "programs.PlanItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    minutes_to_symptoms = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Minutes walked before leg symptoms; null: none came."
    )
    total_minutes = models.PositiveSmallIntegerField()
    rests = models.PositiveSmallIntegerField()
    distance_m = models.PositiveIntegerField(null=True, blank=True)
    support = models.CharField(max_length=6, choices=WalkSupport.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-local_date", "-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "client_id"], name="walk_client_id_per_member"
            ),
            models.CheckConstraint(
                condition=Q(total_minutes__gte=1, total_minutes__lte=MAX_WALK_MINUTES),
                name="walk_total_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(minutes_to_symptoms__isnull=True)
                | Q(minutes_to_symptoms__lte=F("total_minutes")),
                name="walk_symptoms_within_walk",
            ),
            models.CheckConstraint(condition=Q(rests__lte=MAX_RESTS), name="walk_rests_range"),
            models.CheckConstraint(
                condition=Q(distance_m__isnull=True) | Q(distance_m__lte=MAX_DISTANCE_M),
                name="walk_distance_range",
            ),
            models.CheckConstraint(
                condition=Q(support__in=["", *WalkSupport.values]), name="walk_support_valid"
            ),
        ]
        indexes = [models.Index(fields=["member", "local_date"], name="walk_member_date")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.local_date} {self.total_minutes} min"

    @property
    def tolerance_minutes(self) -> int:
        """Minutes walked free of leg symptoms: the whole walk when none came."""
        if self.minutes_to_symptoms is None:
            return self.total_minutes
        return self.minutes_to_symptoms


def _side_and_change(symptom: str) -> list[models.BaseConstraint]:
    side, change = symptom, f"{symptom}_change"
    return [
        models.CheckConstraint(
            condition=Q(**{f"{side}__in": SymptomSide.values}), name=f"symptom_check_{side}_valid"
        ),
        models.CheckConstraint(
            condition=Q(**{f"{change}__in": ["", *SymptomChange.values]}),
            name=f"symptom_check_{change}_valid",
        ),
        # Felt somewhere: better, same or worse must be answered.
        models.CheckConstraint(
            condition=Q(**{side: SymptomSide.NONE}) | ~Q(**{change: ""}),
            name=f"symptom_check_{change}_answered",
        ),
    ]


class SymptomCheck(models.Model):
    """A leg symptoms check-in: where each symptom is felt, and how it compares to last week."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="symptom_checks")
    local_date = models.DateField(help_text="The member's local date in their time zone.")
    client_id = models.UUIDField(default=uuid.uuid4)
    numbness = models.CharField(max_length=5, choices=SymptomSide.choices)
    numbness_change = models.CharField(max_length=6, choices=SymptomChange.choices, blank=True)
    tingling = models.CharField(max_length=5, choices=SymptomSide.choices)
    tingling_change = models.CharField(max_length=6, choices=SymptomChange.choices, blank=True)
    weakness = models.CharField(max_length=5, choices=SymptomSide.choices)
    weakness_change = models.CharField(max_length=6, choices=SymptomChange.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-local_date", "-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "client_id"], name="symptom_check_client_id_per_member"
            ),
            *[c for symptom in SYMPTOMS for c in _side_and_change(symptom)],
        ]
        indexes = [models.Index(fields=["member", "local_date"], name="symptom_check_member_date")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.local_date} symptoms"
