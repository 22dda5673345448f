"""`/api/v1/alerts/`: a PT's alerts on their caseload, acknowledged and resolved."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access, audit
from exercise_tracker.api import (
    NO_MEMBER,
    Conflict,
    audited_page,
    only_roles,
    query_choice,
    query_object,
)
from members.api.sessions import ExerciseNameSerializer
from members.models import (
    Alert,
    AlertKind,
    AlertStatus,
    Role,
)
from members.selectors.alerts import alert_message, alerts_for
from members.services import alerts as alert_services


class AlertSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    member = serializers.IntegerField()
    member_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    message = serializers.CharField(help_text="One line a PT reads.")
    urgent = serializers.BooleanField(
        help_text="A finding that may be a red flag (leg weakness new or getting worse)."
    )
    exercise = ExerciseNameSerializer(allow_null=True)
    session = serializers.IntegerField(allow_null=True)
    details = serializers.DictField()
    created_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.IntegerField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.IntegerField(allow_null=True)


def alert_data(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "member": alert.member_id,
        "member_name": alert.member.user.display_name,
        "kind": alert.kind,
        "status": alert.status,
        "message": alert_message(alert),
        "urgent": alert.urgent,
        "exercise": (
            {"id": alert.exercise_id, "name": alert.exercise.name}
            if alert.exercise is not None
            else None
        ),
        "session": alert.session_id,
        "details": alert.details or {},
        "created_at": alert.created_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by_id,
        "resolved_at": alert.resolved_at,
        "resolved_by": alert.resolved_by_id,
    }


ALERT_READERS = (Role.THERAPIST, Role.STAFF)


class AlertViewSet(viewsets.GenericViewSet[Alert]):
    """Alerts for the PTs of a member's care team: list (open first), acknowledge, resolve."""

    serializer_class = AlertSerializer
    queryset = Alert.objects.none()
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Alert]:
        return alerts_for(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("member", int, description="One member's alerts"),
            OpenApiParameter("status", str, enum=AlertStatus.values),
            OpenApiParameter("kind", str, enum=AlertKind.values),
        ]
    )
    def list(self, request: Request) -> Response:
        only_roles(request, *ALERT_READERS)
        qs = self.get_queryset()
        member = query_object(
            access.visible_members(request.user), request.query_params, "member", NO_MEMBER
        )
        if member is not None:
            qs = qs.filter(member=member)
        for name, choices in (("status", AlertStatus.values), ("kind", AlertKind.values)):
            value = query_choice(request.query_params, name, choices)
            if value is not None:
                qs = qs.filter(**{name: value})
        return audited_page(
            self,
            request,
            qs,
            member=member,
            object_type="members.alert_list",
            render=alert_data,
        )

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *ALERT_READERS)
        alert = self.get_object()
        audit.record_read_by_staff(request=request, member_id=alert.member_id, obj=alert)
        return Response(alert_data(alert))

    def _act(self, request: Request, *, resolve: bool) -> Response:
        only_roles(request, *ALERT_READERS)
        alert = self.get_object()
        if getattr(request.user, "role", None) != Role.THERAPIST:
            raise PermissionDenied("PTs of the member's care team work their alerts.")
        service = alert_services.resolve_alert if resolve else alert_services.acknowledge_alert
        try:
            changed = service(alert=alert, user=request.user)
        except alert_services.AlertConflict as exc:
            raise Conflict(str(exc)) from exc
        changed.member = alert.member
        changed.exercise = alert.exercise
        return Response(alert_data(changed))

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, resolve=False)

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, resolve=True)
