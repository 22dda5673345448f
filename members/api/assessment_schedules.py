"""`/api/v1/assessment-schedules/`: a PT schedules questionnaires for a member."""

from __future__ import annotations

from typing import cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access, audit
from exercise_tracker.api import (
    MAX_ID,
    NO_MEMBER,
    StrictIntegerField,
    only_roles,
    query_object,
)
from exercise_tracker.inputs import InputSerializer
from members.api.assessments import MEMBER_PARAM
from members.models import AssessmentSchedule, Instrument, Role, User
from members.services import outcomes as services


class ScheduleInputSerializer(InputSerializer):
    read_from = "members.api.assessment_schedules.ScheduleSerializer"

    member = StrictIntegerField(min_value=1, max_value=MAX_ID)
    instrument = serializers.ChoiceField(choices=Instrument.choices)
    every_n_days = serializers.IntegerField()
    start_date = serializers.DateField(required=False, allow_null=True)


class ScheduleUpdateSerializer(InputSerializer):
    read_from = "members.api.assessment_schedules.ScheduleSerializer"

    every_n_days = serializers.IntegerField(required=False)
    start_date = serializers.DateField(required=False)
    active = serializers.BooleanField(required=False)


class ScheduleSerializer(serializers.ModelSerializer[AssessmentSchedule]):
    member = serializers.IntegerField(source="member_id", read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = AssessmentSchedule
        fields = (
            "id",
            "member",
            "instrument",
            "every_n_days",
            "start_date",
            "active",
            "created_by",
            "created_at",
        )
        read_only_fields = fields


class AssessmentScheduleViewSet(viewsets.GenericViewSet[AssessmentSchedule]):
    """PTs ask a caseload member to fill in an instrument every N days; members see theirs."""

    serializer_class = ScheduleSerializer
    queryset = AssessmentSchedule.objects.none()
    filter_backends = ()

    def get_queryset(self) -> QuerySet[AssessmentSchedule]:
        return access.visible_assessment_schedules(self.request.user).order_by(
            "member_id", "instrument", "-active", "-id"
        )

    @extend_schema(parameters=[MEMBER_PARAM])
    def list(self, request: Request) -> Response:
        only_roles(request, *access.OUTCOME_READERS)
        qs = self.get_queryset()
        member = query_object(
            access.visible_members(request.user), request.query_params, "member", NO_MEMBER
        )
        if member is not None:
            qs = qs.filter(member=member)
        page = self.paginate_queryset(qs)
        data = ScheduleSerializer(page if page is not None else qs, many=True).data
        audit.record_read_by_staff(
            request=request,
            member_id=member.pk if member is not None else None,
            object_type="members.assessmentschedule_list",
        )
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *access.OUTCOME_READERS)
        schedule = self.get_object()
        audit.record_read_by_staff(request=request, member_id=schedule.member_id, obj=schedule)
        return Response(ScheduleSerializer(schedule).data)

    @extend_schema(request=ScheduleInputSerializer, responses={201: ScheduleSerializer})
    def create(self, request: Request) -> Response:
        only_roles(request, Role.THERAPIST)
        form = ScheduleInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        member = (
            access.visible_members(request.user).filter(pk=form.validated_data["member"]).first()
        )
        if member is None or not access.is_care_team(request.user, member):
            raise serializers.ValidationError(
                {"member": ["No member in your caseload has this id."]}
            )
        schedule = services.schedule_assessment(
            member=member,
            instrument=form.validated_data["instrument"],
            every_n_days=form.validated_data["every_n_days"],
            start_date=form.validated_data.get("start_date"),
            therapist=getattr(request.user, "therapist_profile", None),
            by=cast(User, request.user),
        )
        return Response(ScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ScheduleUpdateSerializer, responses=ScheduleSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        schedule = self.get_object()
        # Members see their schedules but only their PT changes them.
        if not access.is_care_team(request.user, schedule.member):
            raise NotFound
        form = ScheduleUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        schedule = services.update_schedule(
            schedule=schedule, by=cast(User, request.user), **form.validated_data
        )
        return Response(ScheduleSerializer(schedule).data)
