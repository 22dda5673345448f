"""Session logs: what a member did on one local date, an entry per plan item done."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from .people import Member

PAIN_MIN, PAIN_MAX = 0, 10
RPE_MIN, RPE_MAX = 0, 10


class SessionStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Partly done"
    SKIPPED = "skipped", "Skipped"


class Feedback(models.TextChoices):
    TOO_EASY = "too_easy", "Too easy"
    JUST_RIGHT = "just_right", "Just right"
    TOO_HARD = "too_hard", "Too hard"


class EntrySide(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BOTH = "both", "Both"
    ALTERNATING = "alternating", "Alternating"


def _in_range(field: str, low: int, high: int) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lte": high})


class SessionLog(models.Model):
    """One sitting of a member's plan on their local date (a day may hold several sittings).

    `client_id` is made by the phone; the unique constraint (member, client_id) is what makes a
    retried POST return the first session instead of storing a second one.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="session_logs")
    local_date = models.DateField(help_text="The member's local date in their time zone.")
    client_id = models.UUIDField(default=uuid.uuid4)
    status = models.CharField(max_length=10, choices=SessionStatus.choices)
    pain_before = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_after = models.PositiveSmallIntegerField(null=True, blank=True)
    rpe = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Effort, 0-10.")
    notes = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-local_date", "-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "client_id"], name="session_log_client_id_per_member"
            ),
            models.CheckConstraint(
                condition=_in_range("pain_before", PAIN_MIN, PAIN_MAX),
                name="session_log_pain_before_0_10",
            ),
            models.CheckConstraint(
                condition=_in_range("pain_after", PAIN_MIN, PAIN_MAX),
                name="session_log_pain_after_0_10",
            ),
            models.CheckConstraint(
                condition=_in_range("rpe", RPE_MIN, RPE_MAX), name="session_log_rpe_0_10"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in SessionStatus]),
                name="session_log_status_valid",
            ),
        ]
        indexes = [
            # Dashboards, adherence, history and "done today" all filter on (member, date).
            models.Index(fields=["member", "local_date"], name="session_log_member_date"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.local_date} {self.status}"
