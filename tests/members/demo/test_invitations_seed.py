"""seed_demo's invitations: one pending, one expired, made once however often it runs."""

from __future__ import annotations

import pytest

from members.demo.invitations import seed_demo_invitations
from members.models import Invitation
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
