"""API permissions shared by every view."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from . import access

DISCHARGED_MESSAGE = (
    "Your program has ended. Your history and handout stay readable for a while, but nothing "
    "new can be recorded."
)


class DischargedMembersReadOnly(BasePermission):
    """A discharged member reads their history and handout; they record nothing new (403).
    Views that stay writable for them (their account, their password) say `allow_discharged`."""

    message = DISCHARGED_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS or getattr(view, "allow_discharged", False):
            return True
        return access.may_write_as_member(request.user)
