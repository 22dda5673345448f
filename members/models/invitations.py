"""Invitations (a link that lets a person set their password, once) and the consents recorded
when they accept.

Only a token's SHA-256 is stored: a copy of the database opens no account. Resending puts a new
hash in the row (the old link dies); accepting or revoking closes the row for good.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .people import Member, Organization, Role


class InvitationKind(models.TextChoices):
    MEMBER = "member", "Member"
    STAFF = "staff", "Staff"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


# Roles an invitation can be for: members (through enrolment), PTs and coordinators.
INVITABLE_ROLES = (Role.MEMBER, Role.THERAPIST, Role.COORDINATOR)
STAFF_ROLES = (Role.THERAPIST, Role.COORDINATOR)
STAFF_ROLE_CHOICES = [(role.value, role.label) for role in STAFF_ROLES]


class Invitation(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    kind = models.CharField(max_length=10, choices=InvitationKind.choices)
    role = models.CharField(max_length=20, choices=Role.choices)
    # Members are enrolled first (their account exists, without a password); staff accounts
    # are made when they accept, from the names and address here.
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The hash of the token last sent out: a send task (retried, or run twice) that finds its
    # token already sent, or replaced by a resend, does nothing.
    sent_token_hash = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="member", member__isnull=False, role="member")
                | Q(kind="staff", member__isnull=True, role__in=["therapist", "coordinator"]),
                name="invitation_kind_matches_role",
            ),
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone=""), name="invitation_has_an_address"
            ),
            # One open invitation per member: resending replaces the token in the same row.
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_member",
            ),
        ]
        indexes = [models.Index(fields=["organization", "created_at"], name="invitation_org")]

    def __str__(self) -> str:
        return f"Invitation {self.pk} ({self.kind}, {self.status})"

    def status_at(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.expires_at <= now:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ConsentKind(models.TextChoices):
    TERMS = "terms", "Terms of use"
    MONITORING = "monitoring", "Remote monitoring"


class Consent(models.Model):
    """One answer of one person to one text: who, when, which version, yes or no. Append-only
    in spirit: a later answer is a new row, the latest row per kind is what holds."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    version = models.CharField(max_length=20)
    granted = models.BooleanField()
    at = models.DateTimeField(default=timezone.now)
    invitation = models.ForeignKey(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="consents"
    )

    class Meta:
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=["user", "kind", "at"], name="consent_user_kind")]

    def __str__(self) -> str:
        answer = "yes" if self.granted else "no"
        return f"{self.kind} v{self.version}: {answer}"
