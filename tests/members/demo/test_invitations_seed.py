"""seed_demo's invitations: one pending, one expired, made once however often it runs."""

from __future__ import annotations

import pytest
from django.utils import timezone

from members.demo.invitations import seed_demo_invitations
from members.models import Invitation, SessionLog
from tests import factories


@pytest.mark.django_db
def test_a_pending_and_an_expired_invitation_once() -> None:
    org = factories.OrganizationFactory.create(slug="demo-clinic")
    factories.CoordinatorFactory.create(user__organization=org, user__username="demo_coordinator")
    assert seed_demo_invitations(say=lambda _: None) == 2
    assert seed_demo_invitations(say=lambda _: None) == 0
    statuses = sorted(invitation.status for invitation in Invitation.objects.all())
    assert statuses == ["expired", "pending"]
    assert all(i.organization_id == org.pk for i in Invitation.objects.all())


@pytest.mark.django_db
def test_nothing_without_the_demo_clinic() -> None:
    assert seed_demo_invitations(say=lambda _: None) == 0


@pytest.mark.django_db
def test_the_never_started_member_has_a_pending_invitation_and_no_password_yet() -> None:
    from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan

    org = factories.OrganizationFactory.create(slug="demo-clinic")
    factories.CoordinatorFactory.create(user__organization=org, user__username="demo_coordinator")
    pt = factories.TherapistFactory.create(user__organization=org)
    members = {}
    for username in ("demo_member", "member05", "member06"):
        member = factories.MemberFactory.create(
            user__organization=org, user__username=username, user__email=f"{username}@example.org"
        )
        factories.CareAssignmentFactory.create(member=member, therapist=pt)
        make_plan(
            pt=pt,
            member=member,
            items=[item(PlanExerciseFactory.create())],
            start=timezone.localdate(),
        )
        members[username] = member
    # member05 has logged a session: member06 is the first who never started.
    SessionLog.objects.create(
        member=members["member05"], local_date=timezone.localdate(), status="completed"
    )

    assert seed_demo_invitations(say=lambda _: None) == 3
    assert seed_demo_invitations(say=lambda _: None) == 0
    invitation = Invitation.objects.get(kind="member")
    assert (invitation.member, invitation.status) == (members["member06"], "pending")
    members["member06"].user.refresh_from_db()
    assert not members["member06"].user.has_usable_password()
    assert members["demo_member"].user.has_usable_password()
