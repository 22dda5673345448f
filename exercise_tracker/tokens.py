"""JWTs that carry the account's token version: a password change, a logout or a deactivation
adds one to it, and every token made before stops working at once, not when it expires."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

VERSION_CLAIM = "ver"
STALE = "This token was ended (password changed or signed out). Sign in again."


def version_of(token: Any) -> int:
    """The version a token carries; tokens made before versions existed carry 0."""
    try:
        return int(token.get(VERSION_CLAIM, 0))
    except (TypeError, ValueError):
        return -1


class VersionedRefreshToken(RefreshToken):
    @classmethod
    def for_user(cls, user: Any) -> VersionedRefreshToken:
        token = super().for_user(user)
        token[VERSION_CLAIM] = int(getattr(user, "token_version", 0))
        return token  # type: ignore[return-value]


class VersionedTokenObtainPairSerializer(TokenObtainPairSerializer):
    token_class = VersionedRefreshToken


class VersionedTokenRefreshSerializer(TokenRefreshSerializer):
    """A refresh token made before the account's last version change mints nothing."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        from members.models import User

        refresh = self.token_class(attrs["refresh"])
        user_id = str(refresh.payload.get(api_settings.USER_ID_CLAIM, ""))
        if not user_id.isdigit():
            raise InvalidToken(STALE)
        versions = User.objects.filter(pk=int(user_id)).values_list("token_version", flat=True)
        current = versions.first()
        if current is None or version_of(refresh) != current:
            raise InvalidToken(STALE)
        return super().validate(attrs)
