"""Progression suggestions: what the rules of `programs.rules.progression` found in a member's
logs about one plan item, waiting for a PT of their care team to accept (a plan revision) or
dismiss (with a reason). Nothing here changes a plan by itself.

One pending suggestion per plan item (its `key`, the same across versions) and rule: a partial
unique constraint, so two evaluations racing each other store one row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class SuggestionRule(models.TextChoices):
    TOO_EASY = "too_easy", "Too easy, pain not rising: try the harder version"
    EASE_OFF = "ease_off", "Too hard, or pain up during it: easier version or lower dose"
    TOP_OF_DOSE = "top_of_dose", "At the top of the dose: add a set or hold time"


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"
    # The plan was revised after the suggestion was made: what it proposed may not hold.
    STALE = "stale", "Closed: the plan changed"


class ProgressionSuggestion(models.Model):
    plan = models.ForeignKey("programs.Plan", on_delete=models.CASCADE, related_name="suggestions")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="progression_suggestions"
    )
    # The item version in force when the suggestion was made, and the item's stable key.
    plan_item = models.ForeignKey(
        "programs.PlanItem", on_delete=models.CASCADE, related_name="suggestions"
    )
    item_key = models.UUIDField()
    # The plan's revision number when made: a later revision makes it stale.
    plan_revision = models.PositiveIntegerField()
    rule = models.CharField(max_length=16, choices=SuggestionRule.choices)
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING
    )
    # What the PT would prescribe on accepting: {"exercise": id, "sets", "reps", ...} (the
    # dose fields that change), with `summary`, a line the PT reads.
    proposal = models.JSONField(default=dict)
    summary = models.CharField(max_length=300)
    # What gave rise to it: {"trigger", "entries": [{"session", "entry", "date", "feedback",
    # "pain", "reps_done", ...}] oldest first, "baseline"}; `last_session` is the newest (a
    # dismissed suggestion's evidence is never used again: the rule reads only later sessions).
    evidence = models.JSONField(default=dict)
    last_session = models.ForeignKey(
        "members.SessionLog", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    last_session_date = models.DateField()
    last_session_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dismiss_reason = models.CharField(max_length=500, blank=True)
    # The revision accepting it made.
    revision = models.ForeignKey(
        "programs.PlanRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "item_key", "rule"],
                condition=Q(status="pending"),
                name="suggestion_one_pending_per_item_rule",
            ),
            models.CheckConstraint(
                condition=Q(rule__in=[r.value for r in SuggestionRule]),
                name="suggestion_rule_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in SuggestionStatus]),
                name="suggestion_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(dismiss_reason=""),
                name="suggestion_dismissed_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "status"], name="suggestion_member_status"),
            models.Index(fields=["plan", "item_key", "rule"], name="suggestion_item_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.rule} {self.status}"


class PendingEvaluation(models.Model):
    """A member whose logs or plan changed since the progression rules last read them: the
    outbox of the `programs.evaluate_progression` task (programs.services.evaluations). The
    change writes the row in its own transaction (the session POST inside its one statement), so
    no change goes unevaluated when the broker is away or a process dies after the commit.
    Beat's sweep queues one evaluation per row; the evaluation deletes the row at the version it
    was queued for, so a change made meanwhile keeps it for the next sweep."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # The first change not yet evaluated: the sweep takes the oldest first.
    requested_at = models.DateTimeField()
    # One more per change since the row was written.
    version = models.PositiveBigIntegerField()
    # When the sweep queued the evaluation (None: not yet, or changed since).
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["requested_at"], name="pending_evaluation_oldest")]

    def __str__(self) -> str:
        return f"{self.member_id} v{self.version}"
