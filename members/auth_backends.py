"""Signing in with an email address: members may type the address their clinic has instead of
their username. Staff roles sign in with their username."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from members.models import Role, User

# An address is unique in an organization, not across them: a person enrolled by two clinics
# has two accounts; the password says which one is meant.
MAX_ACCOUNTS_PER_ADDRESS = 5


class MemberEmailBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password or "@" not in username:
            return None
        candidates = list(
            User.objects.filter(email__iexact=username.strip(), role=Role.MEMBER).order_by("pk")[
                :MAX_ACCOUNTS_PER_ADDRESS
            ]
        )
        if not candidates:
            # As long as a wrong password takes, so the answer's timing names no address.
            User().set_password(password)
            return None
        for user in candidates:
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        return None
