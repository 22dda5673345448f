"""Plans: one member's prescription, its revisions, and the immutable versions of its items.

History is never rewritten. A revision is a numbered, dated record (who, when, why, what changed,
the plan's status and dates at that point). A PlanItem row is one *version* of an item: its dose
never changes after it is written. An item keeps a stable `key` across versions; a version is in
force from revision `valid_from_revision` up to, not including, `valid_to_revision` (null: still
in force). Logs point at the exact version that was prescribed.

On which *days* a revision governs: each revision carries `effective_date`, the member's local
date when it was made (stored, so a later change of the member's time zone rewrites nothing). The
revision in force on a day is the last one whose effective date is on or before it; revision 1
also governs the days from the plan's start date up to its own date, so a plan entered after the
fact (a paper plan started last week) still counts from its start.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .templates import Dose, PlanTemplate, dose_constraints


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"


class Plan(models.Model):
    """A member's home exercise program, written by a PT of their care team."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="plans")
    author = models.ForeignKey(
        "members.Therapist", on_delete=models.SET_NULL, null=True, related_name="plans_written"
    )
    # Copied from the member's organization so that scoping and roll-ups need no join.
    organization = models.ForeignKey(
        "members.Organization", on_delete=models.CASCADE, related_name="plans"
    )
    title = models.CharField(max_length=160)
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    goals = models.TextField(blank=True, max_length=2000)
    note_to_member = models.TextField(blank=True, max_length=2000)
    created_from = models.ForeignKey(
        PlanTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="plans"
    )
    revision = models.PositiveIntegerField(default=1, help_text="The current revision number.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-start_date", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="active"),
                name="one_active_plan_per_member",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="plan_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in PlanStatus]), name="plan_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "status"], name="plan_member_status"),
            models.Index(fields=["organization", "status"], name="plan_org_status"),
        ]

    def __str__(self) -> str:
        return self.title


class PlanRevision(models.Model):
    """One numbered change of a plan (creation is number 1). Append-only."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    effective_date = models.DateField(help_text="The member's local date when this was made.")
    reason = models.CharField(max_length=500)
    # The plan as it stood at this revision: what the schedule reads for the days it governs.
    status = models.CharField(max_length=12, choices=PlanStatus.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    changes = models.JSONField(
        default=list, help_text='Readable lines, e.g. "Glute bridge: reps 10 → 12".'
    )
    # The warnings the plan carried when this revision was saved (a PT may keep a warned item:
    # what they were told is kept with the revision), as {"code", "field", "message", ...}.
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ("plan", "number")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="plan_revision_number_gte_1"),
            models.CheckConstraint(condition=~Q(reason=""), name="plan_revision_reason_required"),
        ]
        indexes = [
            models.Index(fields=["plan", "effective_date"], name="plan_revision_plan_date"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} r{self.number}"


def version_in_force(valid_from: int, valid_to: int | None, revision: int) -> bool:
    """Whether an item version valid from `valid_from` up to (not including) `valid_to` (None:
    still in force) is in force at `revision`."""
    return valid_from <= revision and (valid_to is None or revision < valid_to)


class PlanItem(Dose):
    """One immutable version of a prescription in a plan (see the module docstring)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    key = models.UUIDField(default=uuid.uuid4, help_text="The same across versions of an item.")
    valid_from_revision = models.PositiveIntegerField()
    valid_to_revision = models.PositiveIntegerField(
        null=True, blank=True, help_text="The revision that ended this version (exclusive)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("plan", "order", "id")
        constraints = [
            *dose_constraints("plan_item"),
            models.UniqueConstraint(
                fields=["plan", "key"],
                condition=Q(valid_to_revision__isnull=True),
                name="plan_item_one_current_version",
            ),
            models.UniqueConstraint(
                fields=["plan", "key", "valid_from_revision"], name="plan_item_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_to_revision__isnull=True)
                | Q(valid_to_revision__gt=F("valid_from_revision")),
                name="plan_item_valid_range",
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "valid_to_revision", "order"], name="plan_item_current"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.key} r{self.valid_from_revision}-{self.valid_to_revision}"

    def in_force_at(self, revision: int) -> bool:
        return version_in_force(self.valid_from_revision, self.valid_to_revision, revision)
