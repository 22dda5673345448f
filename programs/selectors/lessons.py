"""Reads about lessons: a member's assigned lessons with their first reads, the next one to
read, a lesson's sections as shown (the red flags from members.rules.safety), and lessons
read out of lessons assigned per member (for PTs, coordinators and the member's history)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, OuterRef, QuerySet, Subquery

from exercise_tracker import access
from members.models import Member, Role
from members.rules import safety
from programs.models import Lesson, LessonRead, PlanLesson, PlanStatus


def red_flag_section() -> dict[str, Any]:
    """The red flags as a lesson section, worded by members.rules.safety (never copied)."""
    return {
        "kind": "red_flags",
        "heading": safety.RED_FLAG_LEAD,
        "paragraphs": ["Get emergency care the same day if you have any of these:"],
        "bullets": list(safety.RED_FLAG_SIGNS),
        "action": safety.RED_FLAG_ACTION,
    }


def lesson_sections(lesson: Lesson) -> list[dict[str, Any]]:
    """The sections as shown: text sections as stored, includes rendered."""
    out: list[dict[str, Any]] = []
    for section in lesson.sections:
        if section.get("include") == "red_flags":
            out.append(red_flag_section())
        else:
            out.append(
                {
                    "kind": "text",
                    "heading": section["heading"],
                    "paragraphs": section.get("paragraphs", []),
                    "bullets": section.get("bullets", []),
                    "action": None,
                }
            )
    return out


def lessons_for(user: Any) -> QuerySet[Lesson]:
    """The lessons the user may read, in reading order; for a member each carries `read_at`
    (their first read, or None), in one query."""
    qs = access.visible_lessons(user).order_by("order", "id")
    if getattr(user, "role", None) == Role.MEMBER:
        first = LessonRead.objects.filter(member__user_id=user.pk, lesson=OuterRef("pk")).values(
            "read_at"
        )
        return qs.annotate(read_at=Subquery(first[:1]))
    return qs


def next_unread_lesson(user: Any) -> Lesson | None:
    """The member's next lesson to read (the first unread in reading order), or None."""
    # `read_at` is the annotation lessons_for adds for members (the plugin cannot see it).
    annotated: Any = lessons_for(user)
    return annotated.filter(read_at__isnull=True).first()


@dataclass(frozen=True)
class LessonProgress:
    read: int
    assigned: int

    @property
    def label(self) -> str:
        return f"{self.read}/{self.assigned}"


def _assigned(member_ids: Iterable[int]) -> QuerySet[PlanLesson]:
    return PlanLesson.objects.filter(plan__member_id__in=list(member_ids)).exclude(
        plan__status=PlanStatus.DRAFT
    )


def lesson_progress(member_ids: Iterable[int]) -> dict[int, LessonProgress]:
    """Lessons read out of lessons assigned (on published plans), per member, in two queries.
    Not clinical: coordinators see it beside adherence. Members with none assigned are left
    out."""
    ids = list(member_ids)
    assigned = {
        row["plan__member_id"]: row["n"]
        for row in _assigned(ids)
        .values("plan__member_id")
        .annotate(n=Count("lesson_id", distinct=True))
        .order_by()
    }
    read_rows = (
        LessonRead.objects.filter(
            member_id__in=ids,
            lesson__plan_lessons__plan__member_id=F("member_id"),
        )
        .exclude(lesson__plan_lessons__plan__status=PlanStatus.DRAFT)
        .values("member_id")
        .annotate(n=Count("lesson_id", distinct=True))
        .order_by()
    )
    read = {row["member_id"]: row["n"] for row in read_rows}
    return {
        member_id: LessonProgress(read=read.get(member_id, 0), assigned=count)
        for member_id, count in assigned.items()
    }


@dataclass(frozen=True)
class MemberLesson:
    lesson: Lesson
    read_at: datetime | None


def member_lessons(member: Member) -> list[MemberLesson]:
    """A member's assigned lessons and when each was first read (the PT's member page)."""
    lesson_ids = _assigned([member.pk]).values("lesson_id")
    first = LessonRead.objects.filter(member=member, lesson=OuterRef("pk")).values("read_at")
    rows = (
        Lesson.objects.filter(pk__in=lesson_ids)
        .annotate(read_at=Subquery(first[:1]))
        .order_by("order", "id")
    )
    return [MemberLesson(lesson=row, read_at=row.read_at) for row in rows]
