"""`/api/v1/walks/` and `/api/v1/symptom-checks/` (the v1 contract).

Who: a member records their own walks and leg symptom check-ins (POST) and reads theirs; a PT
reads their caseload's (filter `member`); staff read everything, audited. Coordinators see
adherence figures, never these: 404. A retry with the same client_id (or Idempotency-Key) and
body answers the first row (200), another body 409.

A check-in reporting leg weakness that is new or getting worse answers with
`emergency_guidance` (members.rules.safety's words): the member is told to get emergency care
now, and their PT gets an urgent alert.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access, audit
from exercise_tracker.api import Conflict, audited_page, only_roles, records_of_member
from exercise_tracker.idempotency import idempotent
from exercise_tracker.inputs import validated
from members.models import SymptomChange, SymptomCheck, SymptomSide, User, Walk, WalkSupport
from members.rules import safety
from members.selectors import walks as selectors
from members.services import walks as services
from members.walk_inputs import (
    SymptomCheckInputSerializer,
    WalkInputSerializer,
    check_values,
    walk_values,
)

LIST_PARAMS = [
    OpenApiParameter("member", int, description="PT and staff: one member's records"),
    OpenApiParameter("from", date, description="On or after this local date"),
    OpenApiParameter("to", date, description="On or before this local date"),
]
CONFLICT = "This client_id was already used with other content; make a new one for a new record."


class WalkSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    client_id = serializers.UUIDField()
    member = serializers.IntegerField()
    date = serializers.DateField()
    plan_item = serializers.IntegerField(allow_null=True)
    minutes_to_symptoms = serializers.IntegerField(
        allow_null=True, help_text="null: no leg symptoms came on this walk."
    )
    total_minutes = serializers.IntegerField()
    rests = serializers.IntegerField()
    distance_m = serializers.IntegerField(allow_null=True)
    support = serializers.ChoiceField(choices=WalkSupport.choices, allow_null=True)
    created_at = serializers.DateTimeField()


def walk_data(walk: Walk) -> dict[str, Any]:
    return {
        "id": walk.pk,
        "client_id": str(walk.client_id),
        "member": walk.member_id,
        "date": walk.local_date.isoformat(),
        "plan_item": walk.plan_item_id,
        "minutes_to_symptoms": walk.minutes_to_symptoms,
        "total_minutes": walk.total_minutes,
        "rests": walk.rests,
        "distance_m": walk.distance_m,
        "support": walk.support or None,
        "created_at": walk.created_at,
    }


class WalkViewSet(viewsets.GenericViewSet[Walk]):
    """Walks. POST (member): `{"client_id", "date", "minutes_to_symptoms" (null: none came),
    "total_minutes", "rests", "distance_m"?, "support"?, "plan_item"?}`."""

    serializer_class = WalkSerializer
    queryset = Walk.objects.none()
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Walk]:
        return selectors.walks_for(self.request.user)

    @extend_schema(parameters=LIST_PARAMS)
    def list(self, request: Request) -> Response:
        only_roles(request, *access.WALK_READERS)
        qs, member = records_of_member(request, self.get_queryset())
        return audited_page(
            self,
            request,
            qs,
            member=member,
            object_type="members.walk_list",
            render=walk_data,
        )

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *access.WALK_READERS)
        walk = self.get_object()
        audit.record_read_by_staff(request=request, member_id=walk.member_id, obj=walk)
        return Response(walk_data(walk))

    @extend_schema(
        request=WalkInputSerializer,
        responses={
            201: WalkSerializer,
            200: OpenApiResponse(WalkSerializer, description="A retry: the first walk."),
        },
    )
    @idempotent
    def create(self, request: Request) -> Response:
        member = access.own_member(request.user)
        data = validated(WalkInputSerializer, request.data)
        try:
            logged = services.log_walk(
                member=member, by=cast(User, request.user), **walk_values(data)
            )
        except services.ClientIdReused as exc:
            raise Conflict(CONFLICT) from exc
        return Response(
            walk_data(logged.row),
            status=status.HTTP_201_CREATED if logged.created else status.HTTP_200_OK,
        )


# --- leg symptom check-ins ---------------------------------------------------------------------


def _change_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=SymptomChange.choices, allow_null=True)


class SymptomCheckSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    client_id = serializers.UUIDField()
    member = serializers.IntegerField()
    date = serializers.DateField()
    numbness = serializers.ChoiceField(choices=SymptomSide.choices)
    numbness_change = _change_field()
    tingling = serializers.ChoiceField(choices=SymptomSide.choices)
    tingling_change = _change_field()
    weakness = serializers.ChoiceField(choices=SymptomSide.choices)
    weakness_change = _change_field()
    created_at = serializers.DateTimeField()


class EmergencyGuidanceSerializer(serializers.Serializer[Any]):
    title = serializers.CharField()
    reason = serializers.CharField()
    lead = serializers.CharField()
    signs = serializers.ListField(child=serializers.CharField())
    action = serializers.CharField()


class SymptomCheckCreatedSerializer(SymptomCheckSerializer):
    emergency_guidance = EmergencyGuidanceSerializer(
        allow_null=True,
        help_text="Set when weakness is new or getting worse: get emergency care now.",
    )
    pt_told = serializers.BooleanField(help_text="Whether this check-in raised a PT alert.")


def check_data(check: SymptomCheck) -> dict[str, Any]:
    return {
        "id": check.pk,
        "client_id": str(check.client_id),
        "member": check.member_id,
        "date": check.local_date.isoformat(),
        "numbness": check.numbness,
        "numbness_change": check.numbness_change or None,
        "tingling": check.tingling,
        "tingling_change": check.tingling_change or None,
        "weakness": check.weakness,
        "weakness_change": check.weakness_change or None,
        "created_at": check.created_at,
    }


class SymptomCheckViewSet(viewsets.GenericViewSet[SymptomCheck]):
    """Leg symptom check-ins. POST (member): `{"client_id", "date", "numbness", "tingling",
    "weakness"}` each "none" | "left" | "right" | "both", with `numbness_change`,
    `tingling_change`, `weakness_change` each "better" | "same" | "worse" (required where the
    symptom is felt)."""

    serializer_class = SymptomCheckSerializer
    queryset = SymptomCheck.objects.none()
    filter_backends = ()

    def get_queryset(self) -> QuerySet[SymptomCheck]:
        return selectors.checks_for(self.request.user)

    @extend_schema(parameters=LIST_PARAMS)
    def list(self, request: Request) -> Response:
        only_roles(request, *access.WALK_READERS)
        qs, member = records_of_member(request, self.get_queryset())
        return audited_page(
            self,
            request,
            qs,
            member=member,
            object_type="members.symptom_check_list",
            render=check_data,
        )

    @extend_schema(
        request=SymptomCheckInputSerializer,
        responses={
            201: SymptomCheckCreatedSerializer,
            200: OpenApiResponse(
                SymptomCheckCreatedSerializer, description="A retry: the first check-in."
            ),
        },
    )
    @idempotent
    def create(self, request: Request) -> Response:
        member = access.own_member(request.user)
        data = validated(SymptomCheckInputSerializer, request.data)
        try:
            outcome = services.log_symptom_check(
                member=member, by=cast(User, request.user), **check_values(data)
            )
        except services.ClientIdReused as exc:
            raise Conflict(CONFLICT) from exc
        body = check_data(outcome.check)
        body["emergency_guidance"] = (
            safety.WEAKNESS_GUIDANCE.as_dict() if outcome.weakness_alarm else None
        )
        body["pt_told"] = outcome.pt_told
        return Response(
            body, status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
        )
