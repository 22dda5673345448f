"""The dashboard's stored member columns (primary PT, current template, sort name and sort keys)
follow every write that changes them, and check_adherence reports and repairs any drift."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from exercise_tracker import access
from members.models import RISK_ORDER, CareAssignment, Member, MemberAdherence, SessionLog, User
from members.rules import adherence as rules
from members.services import adherence, care_team, discharge
from members.services.adherence_check import check_adherence
from members.services.care_columns import drift, name_sql
from members.services.sessions import correct_session, log_session
from programs.services import plans as plan_services
from tests.conftest import World
from tests.programs.factories_plans import PlanExerciseFactory, PlanTemplateFactory, item, make_plan


def _stored(member: Member) -> tuple[int | None, int | None]:
    member.refresh_from_db(fields=["primary_therapist", "current_template"])
    return member.primary_therapist_id, member.current_template_id


def _consistent() -> None:
    assert drift() == []


@pytest.mark.django_db
def test_plans_set_the_current_template(world: World) -> None:
    member = world.member
    assert _stored(member) == (world.pt.pk, None)
    first = PlanTemplateFactory.create(organization=world.org)
    second = PlanTemplateFactory.create(organization=world.org)
    today = timezone.now().date()
    made = make_plan(
        pt=world.pt,
        member=member,
        items=[item(PlanExerciseFactory.create())],
        start=today - timedelta(days=10),
        template_id=first.pk,
    )
    assert _stored(member) == (world.pt.pk, first.pk)
    _consistent()
    # Paused, then a newer active plan from another template: the active one is in force.
    plan_services.revise_plan(user=world.pt.user, plan=made.plan, reason="break", status="paused")
    assert _stored(member)[1] == first.pk
    make_plan(
        pt=world.pt,
        member=member,
        items=[item(PlanExerciseFactory.create())],
        start=today,
        template_id=second.pk,
    )
    assert _stored(member)[1] == second.pk
    _consistent()
    # A draft is not in force.
    make_plan(
        pt=world.pt,
        member=member,
        items=[item(PlanExerciseFactory.create())],
        start=today,
        status="draft",
        template_id=first.pk,
    )
    assert _stored(member)[1] == second.pk
    _consistent()


@pytest.mark.django_db
def test_care_team_changes_set_the_primary_pt(world: World) -> None:
    member = world.member
    assignment = CareAssignment.objects.get(member=member, therapist=world.pt)
    care_team.transfer(by=world.coordinator, assignment=assignment, therapist=world.pt_other)
    assert _stored(member)[0] == world.pt_other.pk
    _consistent()
    # A deactivated PT is nobody's primary PT; reactivated, they are again.
    care_team.set_staff_active(by=world.coordinator, account=world.pt_other.user, is_active=False)
    assert _stored(member)[0] is None
    _consistent()
    care_team.set_staff_active(by=world.coordinator, account=world.pt_other.user, is_active=True)
    assert _stored(member)[0] == world.pt_other.pk
    new = CareAssignment.objects.get(member=member, therapist=world.pt_other, end_date=None)
    care_team.end_assignment(by=world.coordinator, assignment=new)
    assert _stored(member)[0] is None
    care_team.assign(by=world.coordinator, member=member, therapist=world.pt)
    assert _stored(member)[0] == world.pt.pk
    _consistent()


@pytest.mark.django_db
def test_discharge_keeps_the_columns_consistent(world: World) -> None:
    member = world.member
    today = timezone.now().date()
    make_plan(
        pt=world.pt,
        member=member,
        items=[item(PlanExerciseFactory.create())],
        start=today - timedelta(days=5),
    )
    discharge.discharge_member(by=world.pt.user, member=member, reason="goals_met")
    _consistent()


@pytest.mark.django_db
def test_the_roll_over_follows_assignments_ending_with_the_date(world: World) -> None:
    """An assignment whose end date arrives changes the primary PT with no write: the roll-over
    rewrites the column."""
    member = world.member
    today = timezone.now().date()
    CareAssignment.objects.filter(member=member).update(start_date=today - timedelta(days=30))
    # As if written yesterday with an end date of today (a queryset update: no signal).
    CareAssignment.objects.filter(member=member).update(end_date=today)
    assert _stored(member)[0] == world.pt.pk
    assert access.primary_therapist_id(member.pk) is not None
    assert drift() != []
    adherence.roll_over()
    assert _stored(member)[0] is None
    _consistent()


@pytest.mark.django_db
def test_check_adherence_reports_and_fixes_drift_of_the_columns(world: World) -> None:
    member = world.member
    template = PlanTemplateFactory.create(organization=world.org)
    Member.objects.filter(pk=member.pk).update(
        primary_therapist=world.pt_other, current_template=template
    )
    result = check_adherence()
    assert [d.what for d in result.differences] == ["care columns"]
    assert result.members == [member.pk]
    with pytest.raises(CommandError, match=rf"ids {member.pk}\)"):
        call_command("check_adherence", stdout=io.StringIO())
    assert _stored(member) == (world.pt_other.pk, template.pk)  # reporting writes nothing
    out = io.StringIO()
    call_command("check_adherence", "--fix", stdout=out)
    assert "Repaired" in out.getvalue()
    assert _stored(member) == (world.pt.pk, None)
    assert check_adherence().differences == []


def _plan_and_sessions(world: World) -> Member:
    member = world.member
    member.timezone = "UTC"
    member.save(update_fields=["timezone"])
    today = timezone.now().date()
    make_plan(
        pt=world.pt,
        member=member,
        items=[item(PlanExerciseFactory.create())],
        start=today - timedelta(days=20),
    )
    for days_ago in (0, 2, 5):
        log_session(member=member, local_date=today - timedelta(days=days_ago), status="completed")
    return member


@pytest.mark.django_db
def test_sort_keys_follow_the_figures_through_logs_edits_and_the_roll_over(world: World) -> None:
    member = _plan_and_sessions(world)
    member.refresh_from_db()
    figures = MemberAdherence.objects.get(member=member)
    assert (member.risk_rank, member.no_figure, member.tenths) == (
        RISK_ORDER[figures.risk],
        0,
        rules.percent_tenths(figures.completed, figures.prescribed),
    )
    _consistent()
    # A correction of today's session (the fast path: one upsert).
    log = SessionLog.objects.filter(member=member).order_by("-local_date").first()
    assert log is not None
    correct_session(session=log, changes={"status": "skipped"})
    _consistent()
    # The next day: the roll-over rewrites the figures and the keys.
    tomorrow = timezone.now() + timedelta(days=1)
    adherence.roll_over(now=tomorrow)
    _consistent()
    assert check_adherence(now=tomorrow).differences == []


@pytest.mark.django_db
def test_the_sort_name_follows_the_users_names(world: World) -> None:
    user = world.member.user
    user.first_name, user.last_name = "Zoë", "Ángel"
    user.save()
    assert (
        Member.objects.get(pk=world.member.pk).sort_name
        == Member.objects.annotate(n=name_sql("user__")).get(pk=world.member.pk).n
    )
    _consistent()
    # A queryset update sends no signal: check_adherence finds it and repairs it.
    User.objects.filter(pk=user.pk).update(first_name="", last_name="")
    assert [d.what for d in check_adherence().differences] == ["care columns"]
    check_adherence(fix=True)
    assert Member.objects.get(pk=world.member.pk).sort_name == user.username.lower()
    _consistent()
