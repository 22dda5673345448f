"""`/api/v1/me/`: the caller's own account."""

from __future__ import annotations

import hashlib
import json
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exercise_tracker import readcache
from exercise_tracker.authentication import load_user
from exercise_tracker.fast_reads import FastReadMixin
from exercise_tracker.schema import ErrorSerializer
from members.models import Language, Member, Organization, User
from members.services import accounts


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
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    timezone = serializers.SerializerMethodField()
    language = serializers.SerializerMethodField()
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
        if user.timezone:
            return user.timezone
        return user.organization.timezone if user.organization else "UTC"

    @extend_schema_field(serializers.CharField())
    def get_language(self, user: User) -> str:
        member = self._member(user)
        if member is not None:
            return member.preferred_language
        return user.language or "en"

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
            "first_name": str(instance.first_name),
            "last_name": str(instance.last_name),
            "email": str(instance.email),
            "phone": str(instance.phone),
            "timezone": self.get_timezone(instance),
            "language": self.get_language(instance),
        }
        member_id = self.get_member_id(instance)
        if member_id is not None:
            data["member_id"] = member_id
        return data


class MeUpdateSerializer(serializers.Serializer[User]):
    """PATCH: any of these; what GET answers may be sent back (read-only keys are ignored)."""

    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    timezone = serializers.CharField(required=False, max_length=64)
    language = serializers.ChoiceField(required=False, choices=Language.choices)


READ_ONLY_KEYS = frozenset(MeSerializer().fields) - frozenset(MeUpdateSerializer().fields)
_ME = MeSerializer()  # stateless: its to_representation reads only the user it is given


def _me_answer(request: Any, user: User) -> HttpResponse:
    # The dict MeSerializer makes, written as DRF's JSONRenderer writes it (compact, UTF-8: the
    # same bytes, so the same ETag) without a serializer and renderer per request.
    data = MeSerializer.to_representation(_ME, user)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    if readcache.matches(request, etag):
        return readcache.not_modified(etag)
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    return response


class MeView(FastReadMixin, APIView):
    # A discharged member may still correct their own details.
    allow_discharged = True

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        # Built from the signed-in user (cached with the sign-in: exercise_tracker/authentication
        # .py), so its ETag is the digest of the answer itself: 304 when the client has it.
        return _me_answer(request, cast(User, request.user))  # type: ignore[return-value]

    def fast_read(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        return _me_answer(request, user)

    @extend_schema(
        request=MeUpdateSerializer,
        responses={
            200: MeSerializer,
            409: OpenApiResponse(response=ErrorSerializer, description="email in use"),
        },
        description=(
            "Changes the caller's own name, email, phone, time zone or language. A member's new "
            "time zone moves their reminders (same wall time, new zone) and their today."
        ),
    )
    def patch(self, request: Request) -> Response:
        data = request.data
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send a JSON object of the fields to change."]}
            )
        unknown = sorted(set(data) - READ_ONLY_KEYS - set(MeUpdateSerializer().fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown field: it cannot be changed here."] for name in unknown}
            )
        serializer = MeUpdateSerializer(data=data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            accounts.update_account(
                user=cast(User, request.user),
                changes=dict(serializer.validated_data),
                request=request._request,
            )
        except accounts.AccountConflict as exc:
            return Response(
                {"detail": exc.message, "errors": {exc.field: [exc.message]}},
                status=status.HTTP_409_CONFLICT,
            )
        user = load_user(request.user.pk)
        return Response(MeSerializer(user).data)
