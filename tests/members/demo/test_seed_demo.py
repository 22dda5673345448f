"""seed_demo: the demo organizations with every role, idempotent, refused in production."""

from __future__ import annotations

import io
import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import override_settings

from exercise_tracker import access
from members.models import CareAssignment, Member, User
from members.services.adherence_check import check_adherence


def _row_counts() -> dict[str, int]:
    """Rows of every model of the two apps: a second seed must add none."""
    return {
        model._meta.label: model._default_manager.count()
        for app in ("members", "programs")
        for model in apps.get_app_config(app).get_models()
    }


def _pending_suggestions_are_the_rules_findings() -> None:
    """The demo's pending progression suggestions are what the rules find in the demo logs."""
    from exercise_tracker import clock
    from programs.models import ProgressionSuggestion
    from programs.services.suggestions import findings_for_plan

    pending = ProgressionSuggestion.objects.filter(status="pending").select_related("plan")
    assert pending.exists()
    for plan in {s.plan for s in pending}:
        found = findings_for_plan(plan, clock.local_today(plan.member))
        rebuilt = {
            (item.key, f.rule, json.dumps(f.evidence(), sort_keys=True)) for item, f in found
        }
        kept = {
            (s.item_key, s.rule, json.dumps(s.evidence, sort_keys=True))
            for s in pending
            if s.plan_id == plan.pk
        }
        assert kept == rebuilt, plan.member.user.username


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_seed_demo_builds_both_clinics_and_is_idempotent() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    counts = (User.objects.count(), Member.objects.count(), CareAssignment.objects.count())
    rows = _row_counts()
    assert check_adherence().differences == []
    # A restarted `make run` seeds again: nothing is added (the "never started" member stays
    # without sessions) and the figures still agree with the logs.
    call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), Member.objects.count(), CareAssignment.objects.count()) == counts
    assert _row_counts() == rows
    assert check_adherence().differences == []
    _pending_suggestions_are_the_rules_findings()

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


@pytest.mark.django_db
def test_demo_logs_written_on_their_own_leave_the_figures_current() -> None:
    """The session step outside seed_demo's deferred block (bulk writes): the figures are
    refreshed from the first day written, and a second run writes nothing."""
    from datetime import timedelta

    from django.utils import timezone

    from members.demo.sessions import seed_demo_session_logs
    from members.models import SessionLog
    from tests import factories
    from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan

    org = factories.OrganizationFactory.create(name="Demo Clinic", slug="demo-clinic")
    pt = factories.TherapistFactory.create(user__organization=org)
    member = factories.MemberFactory.create(user__organization=org, timezone="UTC")
    factories.CareAssignmentFactory.create(member=member, therapist=pt)
    start = timezone.now().date() - timedelta(days=30)
    make_plan(pt=pt, member=member, items=[item(PlanExerciseFactory.create())], start=start)
    assert check_adherence().differences == []

    written = seed_demo_session_logs(say=lambda _: None)

    assert written > 10
    assert check_adherence().differences == []
    assert seed_demo_session_logs(say=lambda _: None) == 0
    assert SessionLog.objects.filter(member=member).count() == written


@pytest.mark.django_db
def test_seed_demo_shows_a_transferred_and_a_discharged_member() -> None:
    from members.models import Episode

    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
        call_command("seed_demo", stdout=io.StringIO())
    moved = CareAssignment.objects.filter(member__user__username="member29").order_by("start_date")
    assert [(a.therapist.user.username, a.end_date is None) for a in moved] == [
        ("demo_pt", False),
        ("demo_pt2", True),
    ]
    discharged = Member.objects.get(user__username="member30")
    assert discharged.discharged_on is not None
    assert Episode.objects.filter(member=discharged, ended_on__isnull=False).count() == 1
    assert not discharged.plans.filter(status="active").exists()
    # A member who has not opened their invitation yet: pending, no password of their own.
    from members.models import Invitation

    waiting = Invitation.objects.get(kind="member")
    assert waiting.status == "pending"
    assert waiting.member is not None and not waiting.member.user.has_usable_password()
    assert not waiting.member.session_logs.exists()
