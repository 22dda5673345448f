"""Lessons: short readings for members (what stenosis is, positions that ease it, walking, ...),
an installation-wide library loaded from fixtures/lessons/lessons.json; the lessons a PT
assigns with a plan; and each member's first read of each lesson.

A lesson's words carry a `version` that the loader raises when they change; a read keeps the
version that was read.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .plans import Plan
from .templates import PlanTemplate


def lesson_picture_path(instance: Lesson, filename: str) -> str:
    return f"lessons/{instance.slug}-v{instance.version}.png"


class Lesson(models.Model):
    """One lesson of the shared library (no organization: every clinic uses the same words)."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=120)
    summary = models.CharField(max_length=300)
    minutes = models.PositiveSmallIntegerField(help_text="About how long it takes to read.")
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    # [{"heading", "paragraphs": [...], "bullets": [...]}] or {"include": "red_flags"}: the
    # red flags are rendered from members.rules.safety, never copied into a lesson.
    sections = models.JSONField(default=list)
    # {"alt", "panels": [...]}: drawn by programs.lesson_figures into `picture`.
    picture_spec = models.JSONField(default=dict, blank=True)
    picture = models.ImageField(upload_to=lesson_picture_path, blank=True)
    picture_alt = models.CharField(max_length=400, blank=True)
    picture_version = models.PositiveIntegerField(
        default=0, help_text="The lesson version the picture was drawn for (0: none)."
    )
    suggested_for = models.ManyToManyField(
        PlanTemplate, blank=True, related_name="suggested_lessons"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("order", "id")
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="lesson_version_gte_1"),
            models.CheckConstraint(condition=Q(minutes__gte=1), name="lesson_minutes_gte_1"),
        ]

    def __str__(self) -> str:
        return self.title


class PlanLesson(models.Model):
    """A lesson assigned with a plan; the member reads the lessons of their published plans."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="plan_lessons")
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="plan_lessons")
    order = models.PositiveSmallIntegerField(default=0)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("plan", "order", "id")
        constraints = [
            models.UniqueConstraint(fields=["plan", "lesson"], name="plan_lesson_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.lesson_id}"


class LessonRead(models.Model):
    """A member's first read of a lesson; one row per member and lesson (reading again keeps
    the first time)."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="lesson_reads"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(help_text="The lesson version that was read.")

    class Meta:
        ordering = ("member", "read_at")
        constraints = [
            models.UniqueConstraint(fields=["member", "lesson"], name="lesson_read_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} read {self.lesson_id}"
