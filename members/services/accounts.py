"""Writes about one's own account: name, email, phone, time zone and language; the password
(changed, or reset through an emailed link); ending every session and token of an account."""

from __future__ import annotations

import functools
import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from exercise_tracker import audit
from exercise_tracker.authentication import forget_user
from exercise_tracker.models import AuditAction
from exercise_tracker.queueing import publish
from members.models import Language, Member, ReminderSchedule, Role, User
from members.rules import reminder_times

logger = logging.getLogger(__name__)

PHONE_PATTERN = re.compile(r"^\+[1-9][0-9]{7,14}$")
NAME_MAX = 150
ACCOUNT_FIELDS = ("first_name", "last_name", "email", "phone", "timezone", "language")
PASSWORD_OBJECT = "members.user.password"  # noqa: S105 - an audit object type
RESET_PATH = "/password/reset/"


class AccountConflict(Exception):
    """A value another account of the organization already has (409, naming the field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _zone_name(value: Any) -> str:
    name = str(value or "").strip()
    try:
        if name not in zoneinfo.available_timezones():
            raise ValueError(name)
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ValidationError(
            {"timezone": ["Give an IANA time zone name, e.g. America/New_York."]}
        ) from None
    return name


def clean_phone(value: Any, field: str = "phone") -> str:
    phone = re.sub(r"[\s().-]", "", str(value or ""))
    if phone and not PHONE_PATTERN.match(phone):
        raise ValidationError(
            {field: ["Give the number with its country code, e.g. +15551234567."]}
        )
    return phone


def clean_email(value: Any, field: str = "email") -> str:
    email = str(value or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({field: ["Give a valid email address."]}) from None
    return email


def email_taken(*, email: str, organization_id: int | None, exclude_user_id: int | None) -> bool:
    """Whether another account of the organization has this address (any case)."""
    if not email:
        return False
    others = User.objects.filter(email__iexact=email)
    others = (
        others.filter(organization__isnull=True)
        if organization_id is None
        else others.filter(organization_id=organization_id)
    )
    if exclude_user_id is not None:
        others = others.exclude(pk=exclude_user_id)
    return others.exists()


def move_reminders(*, member: Member, now: datetime) -> int:
    """After a member's zone changed: each reminder keeps its wall time and fires next in the
    new zone. Rows are locked, so a dispatcher tick in progress finishes first."""
    tz = reminder_times.zone(member.timezone)
    moved = 0
    for schedule in ReminderSchedule.objects.select_for_update().filter(member=member):
        schedule.timezone = member.timezone
        if schedule.enabled:
            found = reminder_times.next_fire(
                after=now, at=schedule.local_time, days=schedule.days_of_week, tz=tz
            )
            schedule.next_fire_at = found[0] if found is not None else None
            schedule.enabled = found is not None
        schedule.save(update_fields=["timezone", "next_fire_at", "enabled", "updated_at"])
        moved += 1
    return moved


@transaction.atomic
def update_account(
    *,
    user: User,
    changes: dict[str, Any],
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> User:
    """Changes some of first_name, last_name, email, phone, timezone, language of the caller's
    own account. A member's new time zone moves their reminders and their "today" (their
    figures are rebuilt up to the new local date)."""
    now = now or timezone.now()
    unknown = sorted(set(changes) - set(ACCOUNT_FIELDS))
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in unknown})
    user = User.objects.select_for_update().get(pk=user.pk)
    member = Member.objects.filter(user=user).first() if user.role == Role.MEMBER else None
    errors: dict[str, list[str]] = {}
    for name in ("first_name", "last_name"):
        if name in changes:
            value = str(changes[name] or "").strip()
            if len(value) > NAME_MAX:
                errors[name] = [f"At most {NAME_MAX} characters."]
            setattr(user, name, value)
    try:
        if "email" in changes:
            user.email = clean_email(changes["email"])
        if "phone" in changes:
            user.phone = clean_phone(changes["phone"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    zone_changed = False
    if "timezone" in changes:
        try:
            name = _zone_name(changes["timezone"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
        else:
            if member is not None:
                zone_changed = name != member.timezone
                old_today = timezone.localtime(now, member.tz).date()
                member.timezone = name
            else:
                user.timezone = name
    if "language" in changes:
        language = str(changes["language"] or "")
        if language not in Language.values:
            errors["language"] = [f"Choose one of: {', '.join(Language.values)}."]
        elif member is not None:
            member.preferred_language = language
        else:
            user.language = language
    if errors:
        raise ValidationError(errors)
    if member is not None and member.user.email and not user.email:
        # Reminders by email need an address: refuse to leave them with none.
        emailing = [
            s for s in ReminderSchedule.objects.filter(member=member) if "email" in s.channels
        ]
        if emailing:
            raise ValidationError(
                {"email": ["A reminder is sent by email: remove email from it first."]}
            )
    if "email" in changes and email_taken(
        email=user.email, organization_id=user.organization_id, exclude_user_id=user.pk
    ):
        raise AccountConflict("email", "Another account of your organization uses this address.")
    user.save(update_fields=["first_name", "last_name", "email", "phone", "timezone", "language"])
    if member is not None:
        member.user = user
        member.save(update_fields=["timezone", "preferred_language"])
        if zone_changed:
            move_reminders(member=member, now=now)
            from members.services import adherence

            new_today = timezone.localtime(now, member.tz).date()
            adherence.refresh_member(member=member, since=min(old_today, new_today), now=now)
    audit.record(
        request=request,
        action=AuditAction.UPDATE,
        user=user,
        member_id=member.pk if member is not None else None,
        obj=user,
    )
    return user


# --- sessions and tokens ------------------------------------------------------------------------


def end_tokens(*, user_id: int) -> None:
    """Every JWT of the account stops working: access tokens carry the old version number, and
    every refresh token on record is blacklisted. (Django sessions end with the password hash,
    or with the account's deactivation.)"""
    User.objects.filter(pk=user_id).update(token_version=F("token_version") + 1)
    forget_user(user_id)  # the cached sign-in carries the old version
    outstanding = OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def issue_tokens(user: User) -> TokenPair:
    from exercise_tracker.tokens import VersionedRefreshToken

    user.refresh_from_db(fields=["token_version"])
    refresh = VersionedRefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _set_password(user: User, new_password: str, field: str) -> None:
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({field: list(exc.messages)}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    end_tokens(user_id=user.pk)


@transaction.atomic
def change_password(
    *, user: User, old_password: str, new_password: str, request: HttpRequest | None = None
) -> User:
    """Sets a new password after checking the current one. Every other session and every token
    issued before ends (the caller gets new ones: see issue_tokens)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not old_password or not user.check_password(old_password):
        raise ValidationError({"old_password": ["This is not your current password."]})
    if old_password == new_password:
        raise ValidationError({"new_password": ["Choose a password you have not been using."]})
    _set_password(user, new_password, "new_password")
    audit.record(request=request, action=AuditAction.UPDATE, user=user, object_type=PASSWORD_OBJECT)
    return user


# --- forgotten password -------------------------------------------------------------------------

reset_tokens = PasswordResetTokenGenerator()
TOKEN_SEPARATOR = "."  # noqa: S105 - base64url and Django tokens hold no dot


def reset_token_for(user: User) -> str:
    """One string: the account id (base64url) and Django's token, which dies once the password
    changes (its hash is part of it) and after PASSWORD_RESET_TIMEOUT."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uid}{TOKEN_SEPARATOR}{reset_tokens.make_token(user)}"


def _user_of_token(token: str) -> User | None:
    uid, separator, secret = str(token or "").partition(TOKEN_SEPARATOR)
    if not separator or not secret or len(token) > 200:
        return None
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not reset_tokens.check_token(user, secret):  # constant-time compare
        return None
    return user


def reset_accounts_for(email: str) -> list[User]:
    """The active accounts with this address that have a password to reset."""
    email = str(email or "").strip()
    if not email:
        return []
    return [
        u
        for u in User.objects.filter(email__iexact=email, is_active=True)
        if u.has_usable_password()
    ]


@transaction.atomic
def request_password_reset(*, email: str, request: HttpRequest | None = None) -> None:
    """Queues a reset email to each active account with this address; nothing at all for an
    unknown address (the caller answers the same either way)."""
    for user in reset_accounts_for(email):
        audit.record(
            request=request,
            action=AuditAction.UPDATE,
            user=user,
            object_type="members.user.password_reset_requested",
        )
        transaction.on_commit(functools.partial(_queue_reset_email, user.pk))


def _queue_reset_email(user_id: int) -> None:
    from members.tasks import send_password_reset

    publish(send_password_reset, user_id)


def send_reset_email(*, user_id: int) -> bool:
    """Sends the link (the task's work). A token made now; the account may be gone meanwhile."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    link = f"{settings.SITE_URL.rstrip('/')}{RESET_PATH}{reset_token_for(user)}/"
    context = {"user": user, "link": link, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
    send_mail(
        subject="Set a new password for Move Daily",
        message=render_to_string("members/email/password_reset.txt", context),
        html_message=render_to_string("members/email/password_reset.html", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True


INVALID_LINK = "This link has expired or was already used. Ask for a new one."


@transaction.atomic
def reset_password(*, token: str, new_password: str, request: HttpRequest | None = None) -> User:
    """Sets a new password from an emailed link, once: the token dies with the old password."""
    user = _user_of_token(token)
    if user is None:
        raise ValidationError({"token": [INVALID_LINK]})
    user = User.objects.select_for_update().get(pk=user.pk)
    if not reset_tokens.check_token(user, str(token).partition(TOKEN_SEPARATOR)[2]):
        raise ValidationError({"token": [INVALID_LINK]})  # used by a racing request
    _set_password(user, new_password, "new_password")
    audit.record(request=request, action=AuditAction.UPDATE, user=user, object_type=PASSWORD_OBJECT)
    return user


def token_is_valid(token: str) -> bool:
    return _user_of_token(token) is not None
