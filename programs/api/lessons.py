"""`/api/v1/lessons/`: the lessons a member reads and a PT assigns with a plan (v1 contract).

Who: a member lists and reads the lessons of their own published plans (any other lesson is
404) and records reading one (`POST /{id}/read/`: the first read is kept, so a second POST
returns the same `read_at`); PTs and staff read the shared library (to assign lessons, send
their ids as a plan's `lessons`). Coordinators have no lessons (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access
from exercise_tracker.api import only_roles
from members.models import Role
from programs.models import Lesson
from programs.selectors import lessons as selectors
from programs.services import lessons as services


class LessonSectionSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=["text", "red_flags"],
        read_only=True,
        help_text="`red_flags`: the signs that need emergency care now, worded by the safety "
        "rules every member page shares; `action` says what to do.",
    )
    heading = serializers.CharField(read_only=True)
    paragraphs = serializers.ListField(child=serializers.CharField(), read_only=True)
    bullets = serializers.ListField(child=serializers.CharField(), read_only=True)
    action = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="What to do about the signs in a `red_flags` section; null in a text section.",
    )


class LessonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    minutes = serializers.IntegerField(read_only=True, help_text="About how long it takes.")
    version = serializers.IntegerField(read_only=True)
    picture = serializers.SerializerMethodField()
    picture_alt = serializers.CharField(read_only=True)
    read_at = serializers.SerializerMethodField(
        help_text="A member's first read of the lesson (null: not read yet; always null for "
        "PTs and staff, who read the library)."
    )

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_picture(self, lesson: Lesson) -> str | None:
        if not lesson.picture:
            return None
        request = self.context.get("request")
        url = lesson.picture.url
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_read_at(self, lesson: Lesson) -> Any:
        value = getattr(lesson, "read_at", None)
        return serializers.DateTimeField().to_representation(value) if value else None


class LessonDetailSerializer(LessonSerializer):
    sections = serializers.SerializerMethodField()

    @extend_schema_field(LessonSectionSerializer(many=True))
    def get_sections(self, lesson: Lesson) -> list[dict[str, Any]]:
        return selectors.lesson_sections(lesson)


class LessonViewSet(viewsets.GenericViewSet[Lesson]):
    """GET: a member's assigned lessons (each with `read_at`), or the shared library for PTs
    and staff. GET `/{id}/`: one lesson with its sections. POST `/{id}/read/` (member): records
    the first read and answers the lesson with `read_at`; idempotent."""

    serializer_class = LessonSerializer
    queryset = Lesson.objects.none()
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Lesson]:
        return selectors.lessons_for(self.request.user)

    def list(self, request: Request) -> Response:
        only_roles(request, *access.LESSON_READERS)
        page = self.paginate_queryset(self.get_queryset())
        data = LessonSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(responses=LessonDetailSerializer)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *access.LESSON_READERS)
        lesson = self.get_object()
        return Response(LessonDetailSerializer(lesson, context={"request": request}).data)

    @extend_schema(request=None, responses=LessonSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, Role.MEMBER)
        lesson = self.get_object()
        services.record_lesson_read(user=request.user, lesson_id=lesson.pk)  # type: ignore[arg-type]
        lesson = self.get_queryset().get(pk=lesson.pk)
        return Response(LessonSerializer(lesson, context={"request": request}).data)
