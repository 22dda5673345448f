"""JWT authentication that loads the user with what every request needs in one query."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from members.models import User


class ScopedJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user = (
            User.objects.select_related("organization", "member_profile")
            .filter(**{api_settings.USER_ID_FIELD: user_id})
            .first()
        )
        if user is None or not user.is_active:
            raise AuthenticationFailed("User not found or inactive", code="user_not_found")
        return user


class ScopedJWTScheme(SimpleJWTScheme):
    """Documents ScopedJWTAuthentication as the Bearer scheme in the OpenAPI schema."""

    target_class = "exercise_tracker.authentication.ScopedJWTAuthentication"
    name = "jwtAuth"
