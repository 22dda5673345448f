"""Shared fixtures: a small world of two organizations with every role, and API clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from members.models import Member, Organization, Therapist, User
from programs.models import BodyRegion, Region

from . import factories


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Reference rows a migration writes (body regions) are wiped by the flush after every
    transactional test; with --reuse-db (the default) a later run would start without them."""
    with django_db_blocker.unblock():
        BodyRegion.objects.bulk_create(
            [BodyRegion(code=code) for code in Region.values], ignore_conflicts=True
        )


@pytest.fixture(autouse=True)
def _read_cache_namespace() -> Any:
    """Each test reads and writes the read cache (and cached sign-ins) under keys of its own:
    ids come back after a test's rollback, answers stored by an earlier test must not."""
    import secrets

    from exercise_tracker import readcache

    before = readcache.namespace
    readcache.namespace = f"t{secrets.token_hex(4)}:"
    yield
    readcache.namespace = before


@dataclass
class World:
    org: Organization
    other_org: Organization
    member: Member
    other_member: Member  # same organization, another PT's caseload
    pt: Therapist  # member's PT
    pt_other: Therapist  # same organization, not the member's PT
    coordinator: User
    foreign_member: Member  # another organization
    foreign_pt: Therapist
    foreign_coordinator: User
    staff: User


@pytest.fixture
def world(db: None) -> World:
    org = factories.OrganizationFactory.create(name="North Clinic")
    other_org = factories.OrganizationFactory.create(name="South Clinic")
    pt = factories.TherapistFactory.create(user__organization=org, user__username="pt")
    pt_other = factories.TherapistFactory.create(user__organization=org, user__username="pt_other")
    member = factories.MemberFactory.create(user__organization=org, user__username="member")
    other_member = factories.MemberFactory.create(user__organization=org, user__username="member_b")
    factories.CareAssignmentFactory.create(member=member, therapist=pt)
    factories.CareAssignmentFactory.create(member=other_member, therapist=pt_other)
    coordinator = factories.CoordinatorFactory.create(
        user__organization=org, user__username="coordinator"
    ).user
    foreign_pt = factories.TherapistFactory.create(
        user__organization=other_org, user__username="f_pt"
    )
    foreign_member = factories.MemberFactory.create(
        user__organization=other_org, user__username="f_member"
    )
    factories.CareAssignmentFactory.create(member=foreign_member, therapist=foreign_pt)
    foreign_coordinator = factories.CoordinatorFactory.create(
        user__organization=other_org, user__username="f_coordinator"
    ).user
    staff = factories.staff_user(username="staff")
    return World(
        org=org,
        other_org=other_org,
        member=member,
        other_member=other_member,
        pt=pt,
        pt_other=pt_other,
        coordinator=coordinator,
        foreign_member=foreign_member,
        foreign_pt=foreign_pt,
        foreign_coordinator=foreign_coordinator,
        staff=staff,
    )


def bearer_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    return bearer_client
