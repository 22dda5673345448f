"""`/api/v1/members/`: the members a PT (caseload) or coordinator (organization) may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access, audit
from members.models import CareAssignment, Member


class TherapistRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class MemberSerializer(serializers.ModelSerializer[Member]):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    organization = serializers.IntegerField(source="user.organization_id", read_only=True)
    therapist = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = (
            "id",
            "username",
            "name",
            "organization",
            "timezone",
            "preferred_language",
            "condition",
            "therapist",
            "created_at",
        )
        read_only_fields = fields

    @extend_schema_field(TherapistRefSerializer(allow_null=True))
    def get_therapist(self, member: Member) -> dict[str, Any] | None:
        primary = getattr(member, "primary_assignments", None)
        if not primary:
            return None
        therapist = primary[0].therapist
        return {"id": therapist.pk, "name": therapist.user.display_name}


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = MemberSerializer
    queryset = Member.objects.none()

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
