"""`/api/v1/auth/`: tokens (with the login guard and lockout) and logout."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView

from exercise_tracker import audit, login_guard
from exercise_tracker.models import AuditAction
from members.services import accounts


def _typed_username(request: Request) -> str:
    data = request.data
    return str(data.get("username", "")) if isinstance(data, dict) else ""


class TokenView(TokenObtainPairView):
    """POST username and password; answers {"access", "refresh"}. Failures are audited."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            with login_guard.one_attempt_at_a_time(_typed_username(request)):
                response = super().post(request, *args, **kwargs)
        except login_guard.LoginBusy:
            return Response(
                {"detail": login_guard.BUSY_MESSAGE, "errors": {}},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        except AuthenticationFailed:
            # django-axes flags the DRF request it was handed, and Django's authenticate() turns
            # its refusal into a plain failure, so a lockout is answered here (429, audited).
            if getattr(request, "axes_locked_out", False):
                return audit.lockout_response(  # type: ignore[return-value]
                    request._request, None, {"username": _typed_username(request)}
                )
            raise
        if response.status_code == status.HTTP_200_OK:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid()
            audit.record(request=request, action=AuditAction.LOGIN_SUCCESS, user=serializer.user)
        return response

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        # Cache one serializer so success auditing does not authenticate a second time.
        if not hasattr(self, "_serializer"):
            self._serializer = super().get_serializer(*args, **kwargs)
        return self._serializer


class LogoutView(APIView):
    """Ends the account's API sessions: the refresh token is blacklisted, and every access token
    issued so far stops working (the account's token version moves on)."""

    permission_classes = (AllowAny,)

    @extend_schema(
        request=inline_serializer("LogoutRequest", {"refresh": serializers.CharField()}),
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        raw = request.data.get("refresh") if isinstance(request.data, dict) else None
        if not raw or not isinstance(raw, str):
            raise serializers.ValidationError({"refresh": ["This field is required."]})
        try:
            token = RefreshToken(raw)  # type: ignore[arg-type]
            token.blacklist()
        except TokenError as exc:
            raise serializers.ValidationError({"refresh": [str(exc)]}) from exc
        # Signing out ends the account's access tokens too (they carry the old version).
        user_id = token.payload.get(api_settings.USER_ID_CLAIM)
        if user_id is not None:
            accounts.end_tokens(user_id=int(user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
