"""Demo invitations (seed_demo's "invitations" step): Demo Clinic's coordinator has invited a PT
who has not answered yet (pending) and a coordinator who never did (expired); and the clinic's
"never started" member (a plan, no session logged) has not opened their invitation yet (pending:
no password of their own, so no demo login). No member is added, so the demo's counts and
figures stay as they are. Safe to run again: an invitation to the same address, or to a member
who has one, is not made twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from members.models import Invitation, InvitationKind, Member, Role, SessionLog, User
from members.services.invitations import invite_staff, issue_member_invitation

DEMO_ORG_SLUG = "demo-clinic"
DEMO_COORDINATOR = "demo_coordinator"
PENDING = {
    "role": Role.THERAPIST,
    "email": "jordan.lee@example.org",
    "first_name": "Jordan",
    "last_name": "Lee",
}
EXPIRED = {
    "role": Role.COORDINATOR,
    "email": "tom.berg@example.org",
    "first_name": "Tom",
    "last_name": "Berg",
}


@transaction.atomic
def seed_demo_invitations(*, say: Callable[[str], object] = print) -> int:
    """Creates what is missing; returns how many invitations were written."""
    coordinator = User.objects.filter(
        username=DEMO_COORDINATOR, organization__slug=DEMO_ORG_SLUG
    ).first()
    if coordinator is None:
        return 0
    now = timezone.now()
    written = 0
    for spec, made_at in (
        (PENDING, now - timedelta(days=1)),
        (EXPIRED, now - timedelta(days=settings.INVITATION_DAYS + 3)),
    ):
        exists = Invitation.objects.filter(
            organization__users=coordinator, email__iexact=spec["email"]
        ).exists()
        if exists or User.objects.filter(email__iexact=spec["email"]).exists():
            continue
        invite_staff(
            by=coordinator,
            now=made_at,
            role=spec["role"],
            email=spec["email"],
            first_name=spec["first_name"],
            last_name=spec["last_name"],
        )
        written += 1
    written += _pending_member_invitation(coordinator, now=now - timedelta(days=2))
    say(f"  {written} invitations written")
    return written


# The members the other demo stories and the documented logins use.
KEEP_SIGNED_UP = ("demo_member", "demo_member2", "member29", "member30")


def _pending_member_invitation(coordinator: User, *, now: datetime) -> int:
    """The first Demo Clinic member with an active plan and no session logged gets a pending
    invitation, and has no usable password until they accept it. Nothing when a demo member
    already has a member invitation (a second run) or nobody fits."""
    organization_id = coordinator.organization_id
    if (
        organization_id is None
        or Invitation.objects.filter(
            organization_id=organization_id, kind=InvitationKind.MEMBER
        ).exists()
    ):
        return 0
    member = (
        Member.objects.filter(
            user__organization_id=organization_id,
            user__is_active=True,
            discharged_on__isnull=True,
            plans__status="active",
        )
        .exclude(user__username__in=KEEP_SIGNED_UP)
        .exclude(user__email="", user__phone="")  # an invitation needs an address
        .exclude(pk__in=SessionLog.objects.values("member_id"))
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if member is None:
        return 0
    member.user.set_unusable_password()
    member.user.save(update_fields=["password"])
    issue_member_invitation(by=coordinator, member=member, now=now)
    return 1
