"""`/api/v1/exercises/`: the library (every role reads), PTs' own exercises (create, edit).

Who: every signed-in role lists and reads the global library and their organization's own
exercises; another organization's exercise is 404. A PT creates exercises for their
organization and edits those; staff edit any (the global library too) and add global exercises
through the fixture or the admin. A visible exercise the user may not edit (a PT and a global
exercise, a member, a coordinator) answers 403 with the reason: it is visible, so 404 would hide
nothing and only confuse.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access, readcache
from exercise_tracker.fast_reads import FastReadMixin
from members.models import Role
from programs.models import Exercise
from programs.selectors import library as selectors
from programs.services import library as services

from .filters import ExerciseFilter
from .serializers import ExerciseCardSerializer, ExerciseDetailSerializer, ExerciseWriteSerializer


def _refuse_write(request: Request, exercise: Exercise | None = None) -> None:
    role = getattr(request.user, "role", None)
    if role == Role.THERAPIST:
        if exercise is not None and exercise.is_global:
            raise PermissionDenied(
                "The global library is edited by staff; make your own exercise (POST) instead."
            )
        return
    if role == Role.STAFF:
        if exercise is None:
            raise PermissionDenied(
                "Staff add global exercises through the library fixture or the admin."
            )
        return
    raise PermissionDenied("Only physical therapists add or change library exercises.")


def _library_read(request: Any, user: Any, origin: str) -> dict[str, Any]:
    """The read cache's name, parts and scopes of a library page."""
    staff = getattr(user, "role", None) == Role.STAFF
    organization_id = getattr(user, "organization_id", None)
    return {
        "name": "library",
        "parts": ("staff" if staff else organization_id, sorted(request.GET.lists()), origin),
        "scopes": ["library:all"] if staff else readcache.library_scopes(organization_id),
    }


class ExerciseViewSet(
    FastReadMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Exercise],
):
    """GET: the library as cards (filters `category`, `region`, `equipment`, `difficulty`,
    `position`, `q`, `ordering`); detail with steps, cues, precautions, dose and pictures.
    POST (PT): a new exercise of the PT's organization. PATCH: own organization's exercises."""

    queryset = Exercise.objects.none()
    filterset_class = ExerciseFilter
    fast_actions = ("list",)
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Exercise]:
        if self.action == "list":
            return selectors.library_cards(self.request.user)
        return selectors.exercise_pages(self.request.user)

    def get_serializer_class(self) -> type[Any]:
        if self.action == "list":
            return ExerciseCardSerializer
        if self.action in ("create", "partial_update"):
            return ExerciseWriteSerializer
        return ExerciseDetailSerializer

    def filter_queryset(self, queryset: QuerySet[Exercise]) -> QuerySet[Exercise]:  # type: ignore[override]
        if self.action != "list":
            return queryset  # the filters are the list's; a detail is found by id only
        return super().filter_queryset(queryset)

    @extend_schema(responses=ExerciseCardSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The cards are built from plain rows (selectors.card_dicts): the same fields as
        # ExerciseCardSerializer, which documents them, at a fraction of the cost. The page is
        # the same for every user of an organization (staff: one for all), so it is cached by
        # organization, query and host under the library's versions (readcache), with an ETag.
        origin = readcache.origin(request)  # one host check, not one a card
        user = request.user

        def build() -> Any:
            rows = self.filter_queryset(selectors.library_card_rows(user))
            page = self.paginate_queryset(rows.values(*selectors.CARD_COLUMNS))

            def absolute(url: str) -> str:
                return origin + url if url.startswith("/") else url

            cards = selectors.card_dicts(list(page or []), absolute=absolute)
            return self.get_paginated_response(cards).data

        return readcache.cached_json(  # type: ignore[return-value]
            request, **_library_read(request, user, origin), build=build
        )

    def fast_read(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        origin = readcache.origin(request)
        return readcache.stored_answer(request, **_library_read(request, user, origin))

    def _detail(self, exercise: Exercise, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.exercise_pages(self.request.user).get(pk=exercise.pk)
        data = ExerciseDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code)

    @extend_schema(request=ExerciseWriteSerializer, responses={201: ExerciseDetailSerializer})
    def create(self, request: Request) -> Response:
        _refuse_write(request)
        form = ExerciseWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        exercise = services.create_exercise(
            user=request.user,  # type: ignore[arg-type]
            data=form.validated_data,
        )
        return self._detail(exercise, status.HTTP_201_CREATED)

    @extend_schema(request=ExerciseWriteSerializer, responses={200: ExerciseDetailSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        exercise = self.get_object()  # 404 when not visible
        _refuse_write(request, exercise)
        if not access.editable_exercises(request.user).filter(pk=exercise.pk).exists():
            raise PermissionDenied("You may not change this exercise.")
        form = ExerciseWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        services.update_exercise(
            user=request.user,  # type: ignore[arg-type]
            exercise=exercise,
            data=form.validated_data,
        )
        return self._detail(exercise)
