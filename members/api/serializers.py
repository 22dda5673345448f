"""Serializers for people: explicit fields, identity fields read-only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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

    def _member(self, user: User) -> Member | None:
        return getattr(user, "member_profile", None) if user.role == "member" else None

    @extend_schema_field(serializers.CharField())
    def get_timezone(self, user: User) -> str:
        member = self._member(user)
        if member is not None:
            return member.timezone
        return user.organization.timezone if user.organization else "UTC"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_member_id(self, user: User) -> int | None:
        member = self._member(user)
        return member.pk if member is not None else None

    def to_representation(self, instance: User) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data.get("member_id") is None:
            data.pop("member_id", None)
        return data


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
