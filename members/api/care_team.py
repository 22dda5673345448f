"""`/api/v1/care-assignments/` and `/api/v1/staff/`: the coordinator's care team and staff list.
Other roles do not have these (404)."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access
from exercise_tracker.api import MAX_ID, only_roles, query_choice, query_object
from exercise_tracker.schema import ErrorSerializer
from members.models import CareAssignment, Role, Therapist, User
from members.services import care_team

MANAGERS = (Role.COORDINATOR, Role.STAFF)


def _conflict(exc: care_team.CareTeamConflict) -> Response:
    return Response(
        {"detail": exc.message, "errors": {exc.field: [exc.message]}},
        status=status.HTTP_409_CONFLICT,
    )


class CareTeamPersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class CareTeamTherapistSerializer(CareTeamPersonSerializer):
    is_active = serializers.BooleanField(read_only=True)


class CareAssignmentSerializer(serializers.ModelSerializer[CareAssignment]):
    member = serializers.SerializerMethodField()
    therapist = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField()

    class Meta:
        model = CareAssignment
        fields = ("id", "member", "therapist", "is_primary", "start_date", "end_date", "active")
        read_only_fields = fields

    @extend_schema_field(CareTeamPersonSerializer)
    def get_member(self, obj: CareAssignment) -> dict[str, Any]:
        return {"id": obj.member_id, "name": obj.member.user.display_name}

    @extend_schema_field(CareTeamTherapistSerializer)
    def get_therapist(self, obj: CareAssignment) -> dict[str, Any]:
        return {
            "id": obj.therapist_id,
            "name": obj.therapist.user.display_name,
            "is_active": obj.therapist.user.is_active,
        }

    @extend_schema_field(serializers.BooleanField())
    def get_active(self, obj: CareAssignment) -> bool:
        return obj.end_date is None or obj.end_date > care_team._today()


class CareAssignmentCreateSerializer(serializers.Serializer[Any]):
    member = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    therapist = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    is_primary = serializers.BooleanField(default=True)


class CareAssignmentChangeSerializer(serializers.Serializer[Any]):
    therapist = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Transfer to this PT."
    )
    end = serializers.BooleanField(required=False, help_text="true: the assignment ends today.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("therapist" in attrs) == bool(attrs.get("end")):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either a PT to transfer to, or end: true."]}
            )
        return attrs


def _therapist(user: Any, pk: int) -> Therapist:
    found = access.visible_therapists(user).filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError({"therapist": ["No PT you can name has this id."]})
    return found


class CareAssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CareAssignmentSerializer
    queryset = CareAssignment.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        only_roles(request, *MANAGERS)

    def get_queryset(self) -> QuerySet[CareAssignment]:
        qs = access.visible_care_assignments(self.request.user).order_by(
            "member__user__last_name", "member_id", "-is_primary", "-start_date", "-id"
        )
        if self.action != "list":
            return qs
        params = self.request.query_params
        member = query_object(
            access.team_members(self.request.user), params, "member", "No member with this id."
        )
        if member is not None:
            qs = qs.filter(member=member)
        therapist = query_object(
            access.visible_therapists(self.request.user), params, "therapist", "No PT with this id."
        )
        if therapist is not None:
            qs = qs.filter(therapist=therapist)
        active = query_choice(params, "active", ("true", "false"))
        if active is not None:
            is_open = Q(access.open_assignments())
            qs = qs.filter(is_open) if active == "true" else qs.exclude(is_open)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("member", int, description="One member's assignments."),
            OpenApiParameter("therapist", int, description="One PT's assignments."),
            OpenApiParameter("active", str, enum=["true", "false"]),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=CareAssignmentCreateSerializer,
        responses={
            201: CareAssignmentSerializer,
            409: OpenApiResponse(response=ErrorSerializer, description="conflict"),
        },
        description=(
            "Assigns a member to a PT from today. A new primary PT is a transfer: the previous "
            "primary assignment ends today and is kept. is_primary false adds a second PT."
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CareAssignmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        member = access.team_members(user).filter(pk=data.validated_data["member"]).first()
        if member is None:
            raise serializers.ValidationError({"member": ["No member you can see has this id."]})
        therapist = _therapist(user, data.validated_data["therapist"])
        try:
            assignment = care_team.assign(
                by=user,
                member=member,
                therapist=therapist,
                is_primary=data.validated_data["is_primary"],
                request=request._request,
            )
        except care_team.CareTeamConflict as exc:
            return _conflict(exc)
        assignment = self.get_queryset().get(pk=assignment.pk)
        return Response(CareAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CareAssignmentChangeSerializer,
        responses={
            200: CareAssignmentSerializer,
            409: OpenApiResponse(response=ErrorSerializer, description="conflict"),
        },
        description=(
            "{therapist}: transfers the member to another PT from today (this assignment ends "
            "and is kept; the answer is the new one). {end: true}: the assignment ends today."
        ),
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assignment = self.get_object()
        data = CareAssignmentChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        try:
            if "therapist" in data.validated_data:
                result = care_team.transfer(
                    by=user,
                    assignment=assignment,
                    therapist=_therapist(user, data.validated_data["therapist"]),
                    request=request._request,
                )
            else:
                result = care_team.end_assignment(
                    by=user, assignment=assignment, request=request._request
                )
        except care_team.CareTeamConflict as exc:
            return _conflict(exc)
        except PermissionDenied:
            raise
        return Response(CareAssignmentSerializer(result).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)


class StaffSerializer(serializers.ModelSerializer[User]):
    caseload = serializers.IntegerField(read_only=True, help_text="Members assigned now.")

    class Meta:
        model = User
        fields = (
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "is_active",
            "caseload",
        )
        read_only_fields = fields


class StaffChangeSerializer(serializers.Serializer[Any]):
    is_active = serializers.BooleanField()


class StaffViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = StaffSerializer
    queryset = User.objects.none()
    http_method_names = ["get", "patch", "head", "options"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        only_roles(request, *MANAGERS)

    def get_queryset(self) -> QuerySet[User]:
        qs = access.visible_staff(self.request.user).annotate(
            caseload=Count(
                "therapist_profile__care_assignments",
                filter=Q(therapist_profile__care_assignments__start_date__lte=care_team._today())
                & (
                    Q(therapist_profile__care_assignments__end_date__isnull=True)
                    | Q(therapist_profile__care_assignments__end_date__gt=care_team._today())
                ),
            )
        )
        role = query_choice(
            self.request.query_params, "role", (Role.THERAPIST.value, Role.COORDINATOR.value)
        )
        if role is not None and self.action == "list":
            qs = qs.filter(role=role)
        return qs.order_by("-is_active", "last_name", "first_name", "pk")

    @extend_schema(parameters=[OpenApiParameter("role", str, enum=["therapist", "coordinator"])])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=StaffChangeSerializer,
        responses={
            200: StaffSerializer,
            409: OpenApiResponse(response=ErrorSerializer, description="conflict"),
        },
        description=(
            "is_active false deactivates the account: it signs in nowhere, its sessions and "
            "tokens end, and its members show as without a PT until they are transferred."
        ),
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.get_object()
        data = StaffChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            care_team.set_staff_active(
                by=cast(User, request.user),
                account=account,
                is_active=data.validated_data["is_active"],
                request=request._request,
            )
        except care_team.CareTeamConflict as exc:
            return _conflict(exc)
        return Response(StaffSerializer(self.get_queryset().get(pk=account.pk)).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)
