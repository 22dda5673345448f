"""`/api/v1/me/`: the caller's own account."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.models import Member, Organization, User


class OrganizationRefSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ("id", "name")
        read_only_fields = fields


class MeSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
    organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    timezone = serializers.SerializerMethodField()
    member_id = serializers.SerializerMethodField()

    # Only members have a member_id; for other roles the key is left out (see the schema class).
    schema_optional_fields = ("member_id",)

    def _member(self, user: User) -> Member | None:
        return getattr(user, "member_profile", None) if user.role == "member" else None

    @extend_schema_field(serializers.CharField())
    def get_timezone(self, user: User) -> str:
        member = self._member(user)
        if member is not None:
            return member.timezone
        return user.organization.timezone if user.organization else "UTC"

    @extend_schema_field(serializers.IntegerField())
    def get_member_id(self, user: User) -> int | None:
        member = self._member(user)
        return member.pk if member is not None else None

    def to_representation(self, instance: User) -> dict[str, Any]:
        # Every app start calls /me/: built directly instead of field by field, which took most
        # of the request's CPU time. The declared fields above stay the schema; a test holds
        # the two to the same keys.
        organization = instance.organization
        data: dict[str, Any] = {
            "id": instance.pk,
            "username": str(instance.username),
            "display_name": str(instance.display_name),
            "role": str(instance.role),
            "organization": (
                {"id": organization.pk, "name": str(organization.name)} if organization else None
            ),
            "timezone": self.get_timezone(instance),
        }
        member_id = self.get_member_id(instance)
        if member_id is not None:
            data["member_id"] = member_id
        return data


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(cast(User, request.user)).data)
