"""Lesson pages for members: Learn (`/learn/`, the lessons of their plans) and one lesson
(`/learn/<id>/`), where "I have read this" records the first read. Any other lesson is 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from exercise_tracker import access
from exercise_tracker.views import role_required
from members.models import Role
from programs.models import Lesson
from programs.selectors import lessons as selectors
from programs.services import lessons as services


def _read_at(lesson: Lesson) -> Any:
    """The member's first read, annotated by selectors.lessons_for (None: not read)."""
    return getattr(lesson, "read_at", None)


@role_required(Role.MEMBER)
def learn(request: HttpRequest) -> HttpResponse:
    lessons = list(selectors.lessons_for(request.user))
    read = sum(1 for lesson in lessons if _read_at(lesson) is not None)
    return render(
        request,
        "programs/learn.html",
        {
            "lessons": lessons,
            "read": read,
            "next": next((x for x in lessons if not _read_at(x)), None),
        },
    )


@role_required(Role.MEMBER)
def lesson_page(request: HttpRequest, pk: int) -> HttpResponse:
    access.own_member(request.user)
    if request.method == "POST":
        try:
            services.record_lesson_read(user=request.user, lesson_id=pk)  # type: ignore[arg-type]
        except Lesson.DoesNotExist:
            raise Http404 from None
        messages.success(request, "Marked as read.")
        return redirect("programs:lesson", pk=pk)
    lessons = list(selectors.lessons_for(request.user))
    lesson = next((x for x in lessons if x.pk == pk), None)
    if lesson is None:
        raise Http404
    later = lessons[lessons.index(lesson) + 1 :]
    following = next((x for x in later if not _read_at(x)), None)
    return render(
        request,
        "programs/lesson.html",
        {
            "lesson": lesson,
            "sections": selectors.lesson_sections(lesson),
            "next": following,
        },
    )
