"""`/api/v1/members/`: the members a PT (caseload) or coordinator (organization) may see;
enrolling one (POST, which also invites them) and changing their details (PATCH)."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access, audit
from exercise_tracker.api import MAX_ID, Conflict
from exercise_tracker.schema import ErrorSerializer
from members.models import CareAssignment, Condition, Language, Member, Precaution, User
from members.services import enrolment
from members.services.invitations import DuplicatePerson

from .invitations import InvitationCreatedSerializer, invitation_data


class TherapistRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class MemberSerializer(serializers.ModelSerializer[Member]):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    phone = serializers.CharField(source="user.phone", read_only=True)
    organization = serializers.IntegerField(source="user.organization_id", read_only=True)
    conditions = serializers.ListField(
        child=serializers.ChoiceField(choices=Condition.choices), read_only=True
    )
    precautions = serializers.ListField(
        child=serializers.ChoiceField(choices=Precaution.choices), read_only=True
    )
    language = serializers.CharField(source="preferred_language", read_only=True)
    therapist = serializers.SerializerMethodField()
    primary_therapist = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields: tuple[str, ...] = (
            "id",
            "username",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "date_of_birth",
            "organization",
            "external_id",
            "timezone",
            "language",
            "preferred_language",
            "condition",
            "conditions",
            "precautions",
            "therapist",
            "primary_therapist",
            "created_at",
        )
        read_only_fields: tuple[str, ...] = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_primary_therapist(self, member: Member) -> int | None:
        primary = getattr(member, "primary_assignments", None)
        return primary[0].therapist_id if primary else None

    @extend_schema_field(TherapistRefSerializer(allow_null=True))
    def get_therapist(self, member: Member) -> dict[str, Any] | None:
        primary = getattr(member, "primary_assignments", None)
        if not primary:
            return None
        therapist = primary[0].therapist
        return {"id": therapist.pk, "name": therapist.user.display_name}


# Keys a client may send back from what it read: ignored, not refused (DESIGN.md). Owner fields
# (organization, role, created_by) are among them: never written from a request.
IGNORED_ON_WRITE = frozenset(MemberSerializer.Meta.fields) | {
    "invitation",
    "role",
    "created_by",
}


class MemberInputSerializer(serializers.Serializer[Any]):
    """Enrolment: names, email and/or mobile phone (E.164), the conditions and precautions (codes),
    IANA time zone (default: the organization's), language, primary PT (a PT's id; a PT who
    enrolls and names none becomes it) and the clinic's record number (unique)."""

    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="E.164, e.g. +15551234567."
    )
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    conditions = serializers.ListField(
        child=serializers.ChoiceField(choices=Condition.choices), required=False, max_length=10
    )
    precautions = serializers.ListField(
        child=serializers.ChoiceField(choices=Precaution.choices), required=False, max_length=10
    )
    timezone = serializers.CharField(required=False, max_length=64)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    primary_therapist = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=64)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields) - IGNORED_ON_WRITE)
            if unknown:
                raise serializers.ValidationError(
                    {"non_field_errors": [f"Unknown fields: {', '.join(unknown)}."]}
                )
            data = {k: v for k, v in data.items() if k in self.fields}
        return super().to_internal_value(data)


class MemberPatchSerializer(MemberInputSerializer):
    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)


class EnrolledMemberSerializer(MemberSerializer):
    invitation = InvitationCreatedSerializer(read_only=True)

    class Meta(MemberSerializer.Meta):
        fields = (*MemberSerializer.Meta.fields, "invitation")
        read_only_fields = fields


def _conflict(exc: DuplicatePerson) -> Conflict:
    return Conflict(exc.message, field=exc.field)


class MemberViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Member]
):
    serializer_class = MemberSerializer
    queryset = Member.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_parsers(self) -> list[Any]:
        if self.request is not None and self.request.method in ("POST", "PATCH"):
            return [JSONParser()]
        return super().get_parsers()

    def get_queryset(self) -> QuerySet[Member]:
        primary = (
            CareAssignment.objects.filter(access.primary_assignments())
            .select_related("therapist__user")
            .order_by(*access.PRIMARY_NEWEST_FIRST)
        )
        return access.visible_members(self.request.user).prefetch_related(
            Prefetch("care_assignments", queryset=primary, to_attr="primary_assignments")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        audit.record_read_by_staff(
            request=request, member_id=None, object_type="members.member_list"
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        member = self.get_object()
        audit.record_read_by_staff(request=request, member_id=member.pk, obj=member)
        return Response(self.get_serializer(member).data)

    @staticmethod
    def _primary_prefetch(member: Member) -> Member:
        # Already authorized; after a transfer the caller may no longer see the member.
        primary = CareAssignment.objects.filter(
            access.open_assignments(), is_primary=True
        ).select_related("therapist__user")
        return (
            Member.objects.select_related("user")
            .prefetch_related(
                Prefetch("care_assignments", queryset=primary, to_attr="primary_assignments")
            )
            .get(pk=member.pk)
        )

    @staticmethod
    def _may_enroll(request: Request) -> None:
        if getattr(request.user, "role", None) not in enrolment.ENROLLERS:
            raise exceptions.PermissionDenied("Only a PT or a coordinator enrolls members.")

    @extend_schema(
        request=MemberInputSerializer,
        responses={201: EnrolledMemberSerializer, 409: ErrorSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Enrolls a member in the caller's organization and invites them: the answer carries
        `invitation` with its `accept_url`, shown this once (the link is also sent by email
        and/or text message). A duplicate email or external_id answers 409 naming the field."""
        self._may_enroll(request)
        form = MemberInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        if "timezone" in data:
            data["timezone_name"] = data.pop("timezone")
        try:
            result = enrolment.enroll_member(by=cast(User, request.user), request=request, **data)
        except DuplicatePerson as exc:
            raise _conflict(exc) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        member = self._primary_prefetch(result.member)
        body = dict(MemberSerializer(member).data)
        body["invitation"] = invitation_data(result.issued.invitation, result.issued.accept_url)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MemberPatchSerializer,
        responses={200: MemberSerializer, 409: ErrorSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Changes an enrolled member's details; a new `primary_therapist` takes them over."""
        member = self.get_object()
        self._may_enroll(request)
        form = MemberPatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            enrolment.update_member(
                by=cast(User, request.user),
                member=member,
                changes=dict(form.validated_data),
                request=request,
            )
        except DuplicatePerson as exc:
            raise _conflict(exc) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(MemberSerializer(self._primary_prefetch(member)).data)
