"""Demo invitations (seed_demo's "invitations" step): Demo Clinic's coordinator has invited a PT
who has not answered yet (pending) and a coordinator who never did (expired). Staff invitations,
so the demo's members and their figures stay as they are. Safe to run again: an invitation to
the same address is not made twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from members.models import Invitation, Role, User
from members.services.invitations import invite_staff

DEMO_ORG_SLUG = "demo-clinic"
DEMO_COORDINATOR = "demo_coordinator"
PENDING = {
    "role": Role.THERAPIST,
    "email": "priya.shah@example.org",
    "first_name": "Priya",
    "last_name": "Shah",
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
    say(f"  {written} invitations written")
    return written
