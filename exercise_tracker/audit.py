"""Writes the audit trail (HIPAA 164.312(b)): staff reads of member data, logins, lockouts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .client_address import client_address
from .middleware import current_request_id
from .models import AuditAction, AuditEvent, AuditOutcome


def _client_ip(request: HttpRequest | None) -> str | None:
    return None if request is None else client_address(request)


def record(
    *,
    request: HttpRequest | None,
    action: str,
    user: Any = None,
    member_id: int | None = None,
    obj: Any = None,
    object_type: str = "",
    outcome: str = AuditOutcome.SUCCESS,
    username: str = "",
) -> AuditEvent:
    """Appends one audit row. `user` defaults to the request's user."""
    if user is None and request is not None:
        user = getattr(request, "user", None)
    authenticated = bool(user is not None and getattr(user, "is_authenticated", False))
    if obj is not None and not object_type:
        object_type = obj._meta.label_lower
    return AuditEvent.objects.create(
        user_id=user.pk if authenticated else None,
        username=(user.get_username() if authenticated else username)[:150],
        role=getattr(user, "role", "") if authenticated else "",
        organization_id=getattr(user, "organization_id", None) if authenticated else None,
        action=action,
        outcome=outcome,
        member_id=member_id,
        object_type=object_type[:60],
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        path=(request.path if request is not None else "")[:300],
        ip_address=_client_ip(request),
        request_id=getattr(request, "request_id", "") or current_request_id(),
        client_request_id=getattr(request, "client_request_id", "")[:64],
    )


def record_read_by_staff(
    *, request: HttpRequest, member_id: int | None, obj: Any = None, object_type: str = ""
) -> None:
    """Records a read of a member's data by anyone but that member."""
    user = request.user
    # Members only ever reach their own records; the trail is for everyone else's reads.
    if getattr(user, "role", None) == "member":
        return
    record(
        request=request,
        action=AuditAction.READ,
        member_id=member_id,
        obj=obj,
        object_type=object_type,
    )


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(request=request, action=AuditAction.LOGIN_SUCCESS, user=user)


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The username is what was typed; the password never reaches the trail.
    record(
        request=request,
        action=AuditAction.LOGIN_FAILURE,
        outcome=AuditOutcome.FAILURE,
        username=str(credentials.get("username", "")),
    )


LOCKED_MESSAGE = "Too many failed login attempts. Try again later or ask your clinic to unlock."


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """django-axes calls this when an account is locked: 429 for the API, a page otherwise."""
    username = str((credentials or {}).get("username", "")) if isinstance(credentials, dict) else ""
    record(
        request=request,
        action=AuditAction.LOGIN_LOCKED,
        outcome=AuditOutcome.FAILURE,
        username=username,
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LOCKED_MESSAGE, "errors": {}}, status=429)
    return render(request, "registration/locked.html", {"message": LOCKED_MESSAGE}, status=429)
