"""`/api/v1/invitations/`: invitations a PT (their caseload's members) or coordinator (their
organization's members and staff) may see; inviting staff, resending, revoking; and
`/api/v1/invitations/accept/`, where anyone holding a link sets their password."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exercise_tracker import access
from exercise_tracker.api import Conflict, only_roles, query_choice
from exercise_tracker.schema import ErrorSerializer
from members.models import (
    Invitation,
    InvitationKind,
    InvitationStatus,
    Role,
    User,
)
from members.models.invitations import STAFF_ROLE_CHOICES
from members.services import invitations as services


class InvitationSerializer(serializers.Serializer[Invitation]):
    """An invitation without its token (which is never stored, only its hash)."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=InvitationKind.choices, read_only=True)
    member = serializers.IntegerField(source="member_id", read_only=True, allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    email = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=InvitationStatus.choices, read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    sent_at = serializers.DateTimeField(read_only=True, allow_null=True)
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)


class InvitationCreatedSerializer(InvitationSerializer):
    accept_url = serializers.URLField(
        read_only=True, help_text="The link, shown only in this answer (creation or resend)."
    )


def invitation_data(invitation: Invitation, accept_url: str | None = None) -> dict[str, Any]:
    data = dict(InvitationSerializer(invitation).data)
    if accept_url is not None:
        data["accept_url"] = accept_url
    return data


class StaffInvitationInputSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=STAFF_ROLE_CHOICES)
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            ignored = set(InvitationSerializer().fields)
            unknown = sorted(set(data) - set(self.fields) - ignored)
            if unknown:
                raise serializers.ValidationError(
                    {"non_field_errors": [f"Unknown fields: {', '.join(unknown)}."]}
                )
            data = {k: v for k, v in data.items() if k in self.fields}
        return super().to_internal_value(data)


def _status_filter(status_name: str, now: datetime) -> Q:
    open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
    return {
        InvitationStatus.PENDING: open_ & Q(expires_at__gt=now),
        InvitationStatus.EXPIRED: open_ & Q(expires_at__lte=now),
        InvitationStatus.ACCEPTED: Q(accepted_at__isnull=False, revoked_at__isnull=True),
        InvitationStatus.REVOKED: Q(revoked_at__isnull=False),
    }[InvitationStatus(status_name)]


MANAGERS = (Role.THERAPIST, Role.COORDINATOR)


@extend_schema(
    parameters=[
        OpenApiParameter("status", enum=InvitationStatus.values, required=False),
        OpenApiParameter("kind", enum=InvitationKind.values, required=False),
    ],
    methods=["GET"],
)
class InvitationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Invitation]
):
    """Invitations with their status (pending, accepted, expired, revoked); never the token.
    Members have none (404)."""

    serializer_class = InvitationSerializer
    queryset = Invitation.objects.none()
    filter_backends = ()
    parser_classes = (JSONParser,)

    def get_queryset(self) -> QuerySet[Invitation]:
        only_roles(self.request, Role.THERAPIST, Role.COORDINATOR, Role.STAFF)
        qs = access.visible_invitations(self.request.user)
        if self.action == "list":
            params = self.request.query_params
            wanted = query_choice(params, "status", InvitationStatus.values)
            if wanted is not None:
                qs = qs.filter(_status_filter(wanted, timezone.now()))
            kind = query_choice(params, "kind", InvitationKind.values)
            if kind is not None:
                qs = qs.filter(kind=kind)
        return qs.order_by("-created_at", "-id")

    def _manager(self, request: Request) -> User:
        if getattr(request.user, "role", None) not in MANAGERS:
            raise exceptions.PermissionDenied("Only a PT or a coordinator manages invitations.")
        return cast(User, request.user)

    @extend_schema(
        request=StaffInvitationInputSerializer,
        responses={201: InvitationCreatedSerializer, 409: ErrorSerializer},
    )
    def create(self, request: Request) -> Response:
        """A coordinator invites a PT or a coordinator of their organization; the answer carries
        `accept_url` this once (the link is also emailed). PTs invite members by enrolling
        them (POST /api/v1/members/)."""
        only_roles(request, Role.THERAPIST, Role.COORDINATOR, Role.STAFF)
        if getattr(request.user, "role", None) != Role.COORDINATOR:
            raise exceptions.PermissionDenied("Only a coordinator invites staff.")
        form = StaffInvitationInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            issued = services.invite_staff(
                by=cast(User, request.user), request=request, **form.validated_data
            )
        except services.DuplicatePerson as exc:
            raise Conflict(exc.message, field=exc.field) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(
            invitation_data(issued.invitation, issued.accept_url), status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: InvitationCreatedSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk: str | None = None) -> Response:
        """A new link (the old one stops working) with a new expiry, sent again; `accept_url`
        is in this answer only. An accepted or revoked invitation answers 409."""
        invitation = self.get_object()
        try:
            issued = services.resend_invitation(
                by=self._manager(request), invitation=invitation, request=request
            )
        except services.InvitationConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response(invitation_data(issued.invitation, issued.accept_url))

    @extend_schema(request=None, responses={200: InvitationSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """The link stops working. An accepted invitation answers 409."""
        invitation = self.get_object()
        try:
            revoked = services.revoke_invitation(
                by=self._manager(request), invitation=invitation, request=request
            )
        except services.InvitationConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response(invitation_data(revoked))


# --- accepting ----------------------------------------------------------------------------------


class ConsentsSerializer(serializers.Serializer[Any]):
    terms = serializers.BooleanField(help_text="Must be true.")
    monitoring = serializers.BooleanField(
        required=False, help_text="Members: yes or no to remote monitoring (either is fine)."
    )


class AcceptInputSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=services.MAX_TOKEN_LENGTH, trim_whitespace=True)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, help_text="At least 12 characters."
    )
    consents = ConsentsSerializer()


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This invitation link can no longer be used."
    default_code = "gone"


def throttle_accept(request: Any, token: str) -> None:
    wait = services.accept_wait(request=request, token=token)
    if wait is not None:
        raise exceptions.Throttled(wait=wait)


class AcceptInvitationView(APIView):
    """Sets the password of the invited person (Django's validators; at least 12 characters)
    and records their consents: `terms` must be true; members also answer `monitoring` (remote
    monitoring, yes or no), which staff leave out. Answers `{"username"}`; members may then
    sign in with their username or their email address. An unknown token answers 400, an
    expired, used or revoked one 410; neither says anything about the account."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = ()
    parser_classes = (JSONParser,)

    @extend_schema(
        request=AcceptInputSerializer,
        responses={
            200: inline_serializer("AcceptedInvitation", {"username": serializers.CharField()}),
            410: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        raw = request.data.get("token") if isinstance(request.data, dict) else None
        throttle_accept(request, raw if isinstance(raw, str) else "")
        form = AcceptInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        consents = dict(data["consents"])
        try:
            user = services.accept_invitation(
                token=data["token"],
                password=data["password"],
                consents=consents,
                request=request,
            )
        except services.InvitationUnusable as exc:
            if exc.reason == services.UNKNOWN:
                raise serializers.ValidationError({"token": [exc.message]}) from exc
            raise Gone(exc.message) from exc
        return Response({"username": user.username})
