"""`/api/v1/today/`: the member's exercises for their local date, with what is done."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exercise_tracker import access, readcache
from exercise_tracker.clock import local_today
from exercise_tracker.fast_reads import FastReadMixin
from exercise_tracker.schema import ErrorSerializer
from members.models import Member
from members.selectors.sessions import today_for


class TodayExerciseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    dosing = serializers.CharField()
    thumbnail = serializers.URLField(allow_null=True, help_text="The main picture, 160 px.")
    thumbnail_alt_text = serializers.CharField()
    instructions = serializers.ListField(
        child=serializers.CharField(), help_text="The steps, in order."
    )
    url = serializers.URLField(help_text="The member's page of this exercise.")


class TodayDoseSerializer(serializers.Serializer[Any]):
    sets = serializers.IntegerField()
    reps = serializers.IntegerField(allow_null=True)
    hold_seconds = serializers.IntegerField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    rest_seconds = serializers.IntegerField(allow_null=True)
    side = serializers.CharField()
    load = serializers.CharField(allow_blank=True)
    target_rpe = serializers.IntegerField(allow_null=True)
    times_per_day = serializers.IntegerField()


class TodayItemSerializer(serializers.Serializer[Any]):
    plan_item = serializers.IntegerField(help_text="Send this id in a session's entries.")
    exercise = TodayExerciseSerializer()
    dose = TodayDoseSerializer()
    dose_text = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    precautions = serializers.ListField(
        child=serializers.CharField(), help_text="The exercise's precautions, shown to the member."
    )
    times_due = serializers.IntegerField()
    times_done = serializers.IntegerField()


class TodayPlanSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    note = serializers.CharField(allow_blank=True)


class DueQuestionnaireSerializer(serializers.Serializer[Any]):
    instrument = serializers.CharField()
    # DRF's metaclass moves declared fields off the class; only the type checker sees the clash.
    label = serializers.CharField()  # type: ignore[assignment]
    due_since = serializers.DateField()
    every_n_days = serializers.IntegerField()
    url = serializers.CharField()


class TodaySerializer(serializers.Serializer[Any]):
    date = serializers.DateField(help_text="The member's local date in their time zone.")
    timezone = serializers.CharField()
    plan = TodayPlanSerializer(allow_null=True)
    items = TodayItemSerializer(many=True)
    due_questionnaires = DueQuestionnaireSerializer(many=True)
    streak = serializers.IntegerField(help_text="Prescribed days done in a row up to today.")
    sessions_today = serializers.IntegerField()


class TodayView(FastReadMixin, APIView):
    """The member's today: the items in force on their local date, how many times each is due
    and done, due questionnaires and the streak."""

    # 404: "today" does not exist for other roles (no id or body to add it automatically).
    @extend_schema(responses={200: TodaySerializer, 404: ErrorSerializer})
    def get(self, request: Request) -> Response:
        member = access.own_member(request.user)
        return readcache.cached_json(  # type: ignore[return-value]
            request,
            **_today_read(request, member),
            build=lambda: today_for(member, absolute=request.build_absolute_uri).as_dict(),
        )

    def fast_read(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        try:
            member = access.own_member(user)
        except Http404:
            return None
        return readcache.stored_answer(request, **_today_read(request, member))


def _today_read(request: Any, member: Member) -> dict[str, Any]:
    """Cached per member and local date (and host: the answer holds absolute URLs) under the
    member's version (plans, sessions, assessments, reminders: readcache.member_changed), the
    library's (names, pictures) and the questionnaires' wording."""
    return {
        "name": "today",
        "parts": (member.pk, local_today(member).isoformat(), readcache.origin(request)),
        "scopes": [
            f"member:{member.pk}",
            "instruments",
            *readcache.library_scopes(member.organization_id),
        ],
    }
