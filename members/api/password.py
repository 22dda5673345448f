"""`/api/v1/auth/password/`: change (signed in), reset (anyone: an emailed link) and confirm."""

from __future__ import annotations

import hashlib
from typing import Any, cast

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exercise_tracker.schema import ErrorSerializer
from exercise_tracker.throttling import count_hit
from members.models import User
from members.services import accounts

RESET_ANSWER = (
    "If an account uses this address, we have sent it a link to set a new password. "
    "The link works once, for a short time."
)
HOUR = 60 * 60
CONFIRM_PER_TOKEN_PER_HOUR = 10


class PasswordChangeSerializer(serializers.Serializer[Any]):
    old_password = serializers.CharField(trim_whitespace=False, max_length=128)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


class PasswordResetSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=200)
    new_password = serializers.CharField(trim_whitespace=False, max_length=128)


TokenPairSerializer = inline_serializer(
    "PasswordChangedTokens", {"access": serializers.CharField(), "refresh": serializers.CharField()}
)
DetailSerializer = inline_serializer("PasswordDetail", {"detail": serializers.CharField()})


def _limit(scope: str, value: str, per_hour: int) -> None:
    """A fixed hourly window per value (an address, a token), kept by a digest of it."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    if count_hit(f"{scope}:{digest}", window_seconds=HOUR) > per_hour:
        raise Throttled(detail="Too many requests for this address. Try again later.")


class PasswordChangeView(APIView):
    allow_discharged = True

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={200: TokenPairSerializer},
        description=(
            "Sets a new password. Every other session ends and every token issued before stops "
            "working; the answer carries a new access and refresh token for this device."
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = accounts.change_password(
            user=cast(User, request.user),
            old_password=serializer.validated_data["old_password"],
            new_password=serializer.validated_data["new_password"],
            request=request._request,
        )
        tokens = accounts.issue_tokens(user)
        return Response({"access": tokens.access, "refresh": tokens.refresh})


class PasswordResetView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(
        request=PasswordResetSerializer,
        responses={
            202: DetailSerializer,
            429: OpenApiResponse(response=ErrorSerializer, description="too many"),
        },
        description="Answers the same whether or not an account uses the address.",
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        _limit("password-reset", email, settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR)
        accounts.request_password_reset(email=email, request=request._request)
        return Response({"detail": RESET_ANSWER}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={200: DetailSerializer},
        description="Sets the new password with the emailed token, once.",
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = serializer.validated_data["token"]
        _limit("password-reset-token", token, CONFIRM_PER_TOKEN_PER_HOUR)
        accounts.reset_password(
            token=token,
            new_password=serializer.validated_data["new_password"],
            request=request._request,
        )
        return Response({"detail": "Your password is set. Sign in with it."})
