"""Writes about invitations: inviting staff, resending and revoking, sending, and accepting (the
person sets their password and gives their consents). One transaction each, audited here.

A token is 32 random bytes (URL-safe text) shown once, in the link; the row keeps its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from exercise_tracker import audit
from exercise_tracker.models import AuditAction
from exercise_tracker.queueing import publish_after_commit
from exercise_tracker.throttling import over_limit
from members.models import (
    STAFF_ROLES,
    Consent,
    ConsentKind,
    Invitation,
    InvitationKind,
    InvitationStatus,
    Member,
    Role,
    User,
)
from members.rules.consents import MONITORING, TERMS
from members.services.channels import (
    SMS_MAX_CHARS,
    ChannelUnavailable,
    TransientChannelError,
    sms_backend,
)

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
# URL-safe base64 of 32 bytes is 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 100
ACCEPT_PATH = "/invite/{token}/"


class InvitationConflict(Exception):
    """The invitation is closed (accepted or revoked): it cannot be resent (answered 409)."""


class DuplicatePerson(Exception):
    """Someone in the organization already has this email (or external id): answered 409,
    naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class InvitationUnusable(Exception):
    """The token opens nothing: unknown (400), or expired, used or revoked (410). The message
    says what to do and nothing about the account."""

    def __init__(self, reason: str) -> None:
        super().__init__(UNUSABLE_MESSAGES[reason])
        self.reason = reason
        self.message = UNUSABLE_MESSAGES[reason]


UNKNOWN = "unknown"
UNUSABLE_MESSAGES = {
    UNKNOWN: "This invitation link is not valid. Check that you copied all of it, or ask your "
    "clinic for a new one.",
    InvitationStatus.EXPIRED: "This invitation link has expired. Ask your clinic to send you a "
    "new one.",
    InvitationStatus.ACCEPTED: "This invitation link was already used. Sign in with your "
    "password, or ask your clinic for a new link.",
    InvitationStatus.REVOKED: "This invitation link is no longer valid. Ask your clinic for a "
    "new one.",
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def accept_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + ACCEPT_PATH.format(token=token)


@dataclass(frozen=True)
class Issued:
    """An invitation with the token just made for it: the only moment the link is known."""

    invitation: Invitation
    token: str

    @property
    def accept_url(self) -> str:
        return accept_url(self.token)


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.INVITATION_DAYS)


def _queue_send(invitation: Invitation, token: str) -> None:
    from members.tasks import send_invitation

    publish_after_commit(send_invitation, invitation_id=invitation.pk, token=token)


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def email_taken(
    *, organization_id: int | None, email: str, exclude_user: int | None = None
) -> bool:
    if not email or organization_id is None:
        return False
    qs = User.objects.filter(organization_id=organization_id, email__iexact=email)
    if exclude_user is not None:
        qs = qs.exclude(pk=exclude_user)
    return qs.exists()


def open_staff_invitation_exists(*, organization_id: int, email: str, now: datetime) -> bool:
    return Invitation.objects.filter(
        organization_id=organization_id,
        kind=InvitationKind.STAFF,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).exists()


# --- creating ---------------------------------------------------------------------------------


def issue_member_invitation(
    *, by: User | None, member: Member, now: datetime | None = None
) -> Issued:
    """The invitation enrolment makes (inside enroll_member's or an import's transaction): to
    the member's email and phone, sent once the enrolment is committed. `by` None: an import
    run from the command line."""
    now = now or timezone.now()
    user = member.user
    token = _new_token()
    invitation = Invitation.objects.create(
        organization_id=cast(int, user.organization_id),
        kind=InvitationKind.MEMBER,
        role=Role.MEMBER,
        member=member,
        user=user,
        email=user.email,
        phone=user.phone,
        first_name=user.first_name,
        last_name=user.last_name,
        token_hash=hash_token(token),
        expires_at=_expiry(now),
        created_by=by,
        created_at=now,
    )
    _queue_send(invitation, token)
    return Issued(invitation=invitation, token=token)


@transaction.atomic
def invite_staff(
    *,
    by: User,
    role: str,
    email: str,
    first_name: str,
    last_name: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Issued:
    """A coordinator invites a PT or another coordinator of their organization; the account is
    made when the person accepts."""
    now = now or timezone.now()
    organization_id = by.organization_id
    if by.role != Role.COORDINATOR or organization_id is None:
        raise PermissionDenied("Only a coordinator invites staff.")
    errors: dict[str, list[str]] = {}
    if role not in STAFF_ROLES:
        errors["role"] = [f"Choose one of: {', '.join(STAFF_ROLES)}."]
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Give a valid email address."]
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name:
        errors["first_name"] = ["Give a first name."]
    if not last_name:
        errors["last_name"] = ["Give a last name."]
    if len(first_name) > 150 or len(last_name) > 150:
        errors.setdefault("first_name", []).append("At most 150 characters.")
    if errors:
        raise ValidationError(errors)
    if email_taken(organization_id=organization_id, email=email):
        raise DuplicatePerson("email", "Someone in your organization already has this email.")
    if open_staff_invitation_exists(organization_id=organization_id, email=email, now=now):
        raise DuplicatePerson(
            "email", "This address already has an invitation waiting: resend that one."
        )
    token = _new_token()
    invitation = Invitation.objects.create(
        organization_id=organization_id,
        kind=InvitationKind.STAFF,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
        token_hash=hash_token(token),
        expires_at=_expiry(now),
        created_by=by,
        created_at=now,
    )
    audit.record(request=request, user=by, action=AuditAction.CREATE, obj=invitation)
    _queue_send(invitation, token)
    return Issued(invitation=invitation, token=token)


@transaction.atomic
def resend_invitation(
    *,
    by: User,
    invitation: Invitation,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Issued:
    """A new token and a new expiry (the old link dies at once), sent to the person's current
    address. An accepted or revoked invitation is closed (InvitationConflict)."""
    now = now or timezone.now()
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise InvitationConflict("This invitation was accepted: there is nothing to resend.")
    if locked.revoked_at is not None:
        raise InvitationConflict("This invitation was revoked: invite the person again.")
    if locked.kind == InvitationKind.MEMBER and locked.member_id is not None:
        user = User.objects.get(member_profile__pk=locked.member_id)
        locked.email, locked.phone = user.email, user.phone
        locked.first_name, locked.last_name = user.first_name, user.last_name
    token = _new_token()
    locked.token_hash = hash_token(token)
    locked.expires_at = _expiry(now)
    locked.save(
        update_fields=["token_hash", "expires_at", "email", "phone", "first_name", "last_name"]
    )
    audit.record(
        request=request,
        user=by,
        action=AuditAction.UPDATE,
        obj=locked,
        member_id=locked.member_id,
    )
    _queue_send(locked, token)
    return Issued(invitation=locked, token=token)


@transaction.atomic
def revoke_invitation(
    *,
    by: User,
    invitation: Invitation,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Invitation:
    """The link stops working. Revoking twice is the same as once; an accepted invitation cannot
    be revoked (InvitationConflict): deactivate the account instead."""
    now = now or timezone.now()
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise InvitationConflict("This invitation was already accepted.")
    if locked.revoked_at is None:
        locked.revoked_at = now
        locked.save(update_fields=["revoked_at"])
        audit.record(
            request=request,
            user=by,
            action=AuditAction.UPDATE,
            obj=locked,
            member_id=locked.member_id,
        )
    return locked


# --- sending ----------------------------------------------------------------------------------

SMS_TEXT = "{org} invites you to Move Daily, for your home exercises. Set your password: {url}"
SMS_SHORT = "Move Daily: set your password: {url}"


def sms_text(*, organization: str, url: str) -> str:
    """The text message; without the clinic's name when that would cut the link off."""
    text = SMS_TEXT.format(org=organization, url=url)
    return text if len(text) <= SMS_MAX_CHARS else SMS_SHORT.format(url=url)


def send_invitation(*, invitation_id: int, token: str) -> str:
    """Sends the invitation by email and, for members with a phone, by text message. Does
    nothing when the token is not the invitation's current one (resent since), when the
    invitation is closed, or when this token was already sent. Answers sent, skipped or gone."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("organization")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None:
            return "gone"
        digest = hash_token(token)
        if (
            not hmac.compare_digest(invitation.token_hash, digest)
            or invitation.sent_token_hash == digest
            or invitation.status != InvitationStatus.PENDING
        ):
            return "skipped"
        url = accept_url(token)
        organization = invitation.organization.name
        context = {
            "invitation": invitation,
            "organization": organization,
            "url": url,
            "days": settings.INVITATION_DAYS,
            "expires_at": invitation.expires_at,
            "is_member": invitation.kind == InvitationKind.MEMBER,
        }
        if invitation.email:
            subject = f"{organization} invites you to Move Daily"
            text = render_to_string("members/email/invitation.txt", context)
            html = render_to_string("members/email/invitation.html", context)
            message = EmailMultiAlternatives(subject, text, None, [invitation.email])
            message.attach_alternative(html, "text/html")
            try:
                message.send(fail_silently=False)
            except (smtplib.SMTPException, OSError) as exc:
                raise TransientChannelError(f"email: {exc.__class__.__name__}") from exc
        if invitation.phone:
            try:
                sms_backend().send(
                    to=invitation.phone, text=sms_text(organization=organization, url=url)
                )
            except ChannelUnavailable:
                logger.warning("invitation %s: no text message sent", invitation_id)
        invitation.sent_token_hash = digest
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_token_hash", "sent_at"])
    logger.info("invitation %s sent", invitation_id)
    return "sent"


# --- accepting --------------------------------------------------------------------------------


def client_address(request: Any) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def accept_wait(*, request: Any, token: str, per_token: bool = True) -> float | None:
    """Counts one try at accepting: None while within API_THROTTLE_INVITATION_ACCEPT from this
    address and API_THROTTLE_INVITATION_ACCEPT_TOKEN against this token (whoever sends it),
    else the seconds to wait. For the API and the page alike (opening the page counts against
    the address only, so that reading it does not use up the tries at the token)."""
    limits = [("invitation_accept", client_address(request))]
    if per_token:
        limits.append(("invitation_accept_token", hash_token(token)[:32]))
    for scope, ident in limits:
        wait = over_limit(scope, ident)
        if wait is not None:
            return wait
    return None


def find_invitation(token: str) -> Invitation:
    """The invitation a token opens, whatever its status; InvitationUnusable(unknown) if none."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvitationUnusable(UNKNOWN)
    digest = hash_token(token)
    invitation = (
        Invitation.objects.select_related("organization", "member__user")
        .filter(token_hash=digest)
        .first()
    )
    # The lookup is by an index on the hash; the comparison of what was found is constant-time.
    if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
        raise InvitationUnusable(UNKNOWN)
    return invitation


def usable_invitation(token: str, *, now: datetime | None = None) -> Invitation:
    """The pending invitation a token opens; InvitationUnusable with the reason otherwise."""
    invitation = find_invitation(token)
    status = invitation.status_at(now or timezone.now())
    if status != InvitationStatus.PENDING:
        raise InvitationUnusable(status)
    return invitation


def unique_username(*parts: str) -> str:
    from django.utils.text import slugify

    base = ".".join(p for p in (slugify(part).replace("-", "") for part in parts) if p)[:140]
    base = base or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _check_consents(consents: Any, *, is_member: bool) -> tuple[bool, bool | None]:
    if not isinstance(consents, dict):
        raise ValidationError({"consents": ["Give your answers as {terms, monitoring}."]})
    terms = consents.get("terms")
    if terms is not True:
        raise ValidationError({"consents": ["Agree to the terms of use to continue."]})
    if not is_member:
        return True, None
    monitoring = consents.get("monitoring")
    if not isinstance(monitoring, bool):
        raise ValidationError(
            {"consents": ["Say yes or no to remote monitoring (either is fine)."]}
        )
    return True, monitoring


@transaction.atomic
def accept_invitation(
    *,
    token: str,
    password: str,
    consents: Any,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> User:
    """Sets the person's password (Django's validators; at least 12 characters), records their
    consents (terms; members also remote monitoring, yes or no) with the text versions shown,
    and closes the invitation. Staff accounts are made here."""
    now = now or timezone.now()
    found = find_invitation(token)
    invitation = Invitation.objects.select_for_update().get(pk=found.pk)
    status = invitation.status_at(now)
    if status != InvitationStatus.PENDING:
        raise InvitationUnusable(status)
    is_member = invitation.kind == InvitationKind.MEMBER
    _terms, monitoring = _check_consents(consents, is_member=is_member)
    if not isinstance(password, str) or not password:
        raise ValidationError({"password": ["Choose a password."]})

    if is_member:
        user = User.objects.select_for_update().get(
            member_profile__pk=cast(int, invitation.member_id)
        )
        if not user.is_active:
            # The account was closed since the invitation was made: the link opens nothing.
            raise InvitationUnusable(InvitationStatus.REVOKED)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
        user.save(update_fields=["password"])
    else:
        draft = User(
            first_name=invitation.first_name,
            last_name=invitation.last_name,
            email=invitation.email,
            role=invitation.role,
        )
        try:
            validate_password(password, draft)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        if email_taken(organization_id=invitation.organization_id, email=invitation.email):
            # Someone else took the address since: the link can do nothing more.
            raise InvitationUnusable(InvitationStatus.REVOKED)
        from members.services.people import create_person

        try:
            with transaction.atomic():
                user = create_person(
                    username=unique_username(invitation.first_name, invitation.last_name),
                    password=password,
                    role=invitation.role,
                    organization=invitation.organization,
                    first_name=invitation.first_name,
                    last_name=invitation.last_name,
                    email=invitation.email,
                )
        except IntegrityError as exc:
            raise InvitationUnusable(InvitationStatus.REVOKED) from exc

    invitation.accepted_at = now
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    rows = [
        Consent(
            user=user,
            kind=ConsentKind.TERMS,
            version=TERMS.version,
            granted=True,
            at=now,
            invitation=invitation,
        )
    ]
    if monitoring is not None:
        rows.append(
            Consent(
                user=user,
                kind=ConsentKind.MONITORING,
                version=MONITORING.version,
                granted=monitoring,
                at=now,
                invitation=invitation,
            )
        )
    Consent.objects.bulk_create(rows)
    audit.record(
        request=request,
        user=user,
        action=AuditAction.UPDATE,
        obj=invitation,
        member_id=invitation.member_id,
    )
    return user
