"""Session logs: what a member did on one local date, an entry per plan item done."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from .people import Member

PAIN_MIN, PAIN_MAX = 0, 10
RPE_MIN, RPE_MAX = 0, 10
MAX_NOTES = 2000


class SessionStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Partly done"
    SKIPPED = "skipped", "Skipped"


# A session that was at least partly done: it counts for streaks, adherence and "done today".
DONE_STATUSES = (SessionStatus.COMPLETED, SessionStatus.PARTIAL)


class EntryStatus(models.TextChoices):
    """What the member said of one exercise: nothing is assumed done."""

    DONE = "done", "Done"
    PARTIAL = "partial", "Partly"
    SKIPPED = "skipped", "Skipped"


# An exercise at least partly done: it counts as done for "times done today".
ENTRY_DONE_STATUSES = (EntryStatus.DONE, EntryStatus.PARTIAL)


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
    notes = models.TextField(blank=True, max_length=MAX_NOTES)
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


# Ceilings the database holds whatever the prescription (twice the largest dose a plan item may
# carry); the service refuses more than twice the item's own dose, with a message.
MAX_SETS_DONE = 20
MAX_REPS_DONE = 200
MAX_HOLD_SECONDS_DONE = 600
MAX_DURATION_SECONDS_DONE = 4 * 60 * 60


class SessionEntry(models.Model):
    """One exercise of a session: what was done beside the exact item version prescribed.

    `plan_item` is the PlanItem version in force on the session's local date (never a later
    one): the dose it carries is what the member was asked for. `exercise` repeats that
    version's exercise so that "too hard three sessions running" and reports need no join
    through plan items.
    """

    session = models.ForeignKey(SessionLog, on_delete=models.CASCADE, related_name="entries")
    plan_item = models.ForeignKey("programs.PlanItem", on_delete=models.PROTECT, related_name="+")
    exercise = models.ForeignKey("programs.Exercise", on_delete=models.PROTECT, related_name="+")
    # What the member stated (required); `done` follows it (False only when skipped).
    status = models.CharField(max_length=8, choices=EntryStatus.choices)
    done = models.BooleanField(default=True)
    sets_done = models.PositiveSmallIntegerField(null=True, blank=True)
    reps_done = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_seconds_done = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_seconds_done = models.PositiveIntegerField(null=True, blank=True)
    side = models.CharField(max_length=12, choices=EntrySide.choices, blank=True)
    feedback = models.CharField(max_length=10, choices=Feedback.choices, blank=True)
    pain = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Pain during, 0-10.")

    class Meta:
        ordering = ("session", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "plan_item"], name="session_entry_one_per_item"
            ),
            models.CheckConstraint(
                condition=_in_range("pain", PAIN_MIN, PAIN_MAX), name="session_entry_pain_0_10"
            ),
            models.CheckConstraint(
                condition=_in_range("sets_done", 0, MAX_SETS_DONE), name="session_entry_sets"
            ),
            models.CheckConstraint(
                condition=_in_range("reps_done", 0, MAX_REPS_DONE), name="session_entry_reps"
            ),
            models.CheckConstraint(
                condition=_in_range("hold_seconds_done", 0, MAX_HOLD_SECONDS_DONE),
                name="session_entry_hold",
            ),
            models.CheckConstraint(
                condition=_in_range("duration_seconds_done", 0, MAX_DURATION_SECONDS_DONE),
                name="session_entry_duration",
            ),
            models.CheckConstraint(
                condition=Q(feedback__in=["", *Feedback.values]),
                name="session_entry_feedback_valid",
            ),
            models.CheckConstraint(
                condition=Q(side__in=["", *EntrySide.values]), name="session_entry_side_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values), name="session_entry_status_valid"
            ),
        ]
        indexes = [
            # "Too hard three sessions running": the member's latest entries of one exercise.
            models.Index(fields=["exercise", "session"], name="session_entry_exercise"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.plan_item_id}"
