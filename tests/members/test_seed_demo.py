"""seed_demo: the demo organizations with every role, idempotent, refused in production."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from exercise_tracker import access
from members.models import CareAssignment, Member, User


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_seed_demo_builds_both_clinics_and_is_idempotent() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    counts = (User.objects.count(), Member.objects.count(), CareAssignment.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), Member.objects.count(), CareAssignment.objects.count()) == counts

    for username in (
        "demo_pt",
        "demo_pt2",
        "demo_coordinator",
        "demo_member",
        "demo_member2",
        "other_pt",
        "other_coordinator",
        "other_member",
    ):
        assert User.objects.get(username=username).check_password("demo-pass"), username

    demo_pt = User.objects.get(username="demo_pt")
    demo_pt2 = User.objects.get(username="demo_pt2")
    caseload = set(access.visible_members(demo_pt).values_list("user__username", flat=True))
    assert {"demo_member", "demo_member2"} <= caseload
    caseload2 = set(access.visible_members(demo_pt2).values_list("user__username", flat=True))
    assert caseload2 and not caseload2 & caseload
    demo_org = Member.objects.filter(user__organization__name="Demo Clinic")
    assert demo_org.count() == 32
    assert demo_org.values("timezone").distinct().count() >= 4
    coordinator = User.objects.get(username="demo_coordinator")
    assert access.visible_members(coordinator).count() == 32
    other = User.objects.get(username="other_coordinator")
    assert list(access.visible_members(other).values_list("user__username", flat=True)) == [
        "other_member"
    ]


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_seed_demo_refuses_in_production_unless_forced() -> None:
    with pytest.raises(CommandError, match="DJANGO_DEBUG=0"):
        call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert User.objects.filter(username="demo_pt").exists()
    # The demo superuser (a public password with the run of the admin) only in development.
    assert not User.objects.filter(username="demo_admin").exists()
    assert not User.objects.filter(is_superuser=True).exists()
