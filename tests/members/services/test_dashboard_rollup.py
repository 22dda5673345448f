"""The organization roll-ups (DashboardCell, DashboardWeek), kept by PostgreSQL triggers, always
equal a rebuild from the data: after logs, corrections, plan changes, transfers, a PT's
deactivation, discharge and re-enrolment, the roll-over, and deletion. The dashboard's totals
and weekly chart read from them are what grouping the members gives, for every filter."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from members.models import CareAssignment, DashboardCell, Member, Risk, SessionLog
from members.selectors import adherence as selectors
from members.services import adherence, care_team, dashboard_rollup, discharge
from members.services.adherence_check import check_adherence
from members.services.sessions import correct_session, log_session
from programs.services import plans as plan_services
from tests import factories
from tests.conftest import World
from tests.programs.factories_plans import PlanExerciseFactory, PlanTemplateFactory, item, make_plan

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the roll-ups are kept by PostgreSQL triggers"
    ),
]


def _agree() -> None:
    found = dashboard_rollup.drift()
    assert not found, found
    dashboard_rollup.compact()
    assert not dashboard_rollup.drift()


def _same_answers(user: Any, **filters: Any) -> None:
    """The totals and weeks read from the roll-ups are those of grouping the members."""
    chosen = selectors.Filters(**filters)
    members = selectors.filtered_members(user, chosen)
    scope = selectors._rollup_scope(user, chosen)
    assert scope is not None
    fast, slow = selectors._cell_totals(scope, members), selectors._sql_totals(members)
    assert fast.summary == slow.summary
    for fast_groups, slow_groups in (
        (fast.by_therapist({}), slow.by_therapist({})),
        (fast.by_template({}), slow.by_template({})),
    ):
        assert sorted(fast_groups, key=str) == sorted(slow_groups, key=str)
    assert fast.distribution == slow.distribution
    assert fast.last_as_of == slow.last_as_of
    end = timezone.now().date()
    start = end - timedelta(weeks=12)
    week_scope = selectors._week_scope(scope, chosen)
    if week_scope is not None:
        assert selectors._weeks(members, start, end, rollup=week_scope) == selectors._weeks(
            members, start, end
        )


def _utc(member: Member) -> None:
    member.timezone = "UTC"
    member.save(update_fields=["timezone"])


def test_every_write_keeps_the_rollups_equal_to_a_rebuild(world: World) -> None:
    today = timezone.now().date()
    member, other = world.member, world.other_member
    _utc(member)
    _utc(other)
    template = PlanTemplateFactory.create(organization=world.org)
    made = make_plan(
        pt=world.pt,
        member=member,
        items=[item(PlanExerciseFactory.create())],
        start=today - timedelta(days=40),
        template_id=template.pk,
    )
    make_plan(
        pt=world.pt_other,
        member=other,
        items=[item(PlanExerciseFactory.create())],
        start=today - timedelta(days=10),
    )
    _agree()
    # Sessions (today's: the one-statement path; earlier days: the full refresh).
    for days_ago in (0, 1, 3, 6):
        log_session(member=member, local_date=today - timedelta(days=days_ago), status="completed")
    log_session(member=other, local_date=today, status="partial")
    _agree()
    _same_answers(world.coordinator)
    # A correction.
    log = SessionLog.objects.filter(member=member, local_date=today).get()
    correct_session(session=log, changes={"status": "skipped"})
    _agree()
    # The plan paused, then another from no template.
    plan_services.revise_plan(user=world.pt.user, plan=made.plan, reason="break", status="paused")
    _agree()
    make_plan(pt=world.pt, member=member, items=[item(PlanExerciseFactory.create())], start=today)
    _agree()
    _same_answers(world.coordinator)
    # A transfer, and the new PT deactivated.
    assignment = CareAssignment.objects.get(member=member, therapist=world.pt, end_date=None)
    care_team.transfer(by=world.coordinator, assignment=assignment, therapist=world.pt_other)
    _agree()
    care_team.set_staff_active(by=world.coordinator, account=world.pt_other.user, is_active=False)
    _agree()
    _same_answers(world.coordinator)
    care_team.set_staff_active(by=world.coordinator, account=world.pt_other.user, is_active=True)
    # Discharge and a new episode.
    discharge.discharge_member(by=world.pt_other.user, member=other, reason="goals_met")
    _agree()
    discharge.start_episode(by=world.pt_other.user, member=Member.objects.get(pk=other.pk))
    _agree()
    # The nightly roll-over (the Celery task's work), a day later.
    tomorrow = timezone.now() + timedelta(days=1)
    adherence.roll_over(now=tomorrow)
    _agree()
    assert check_adherence(now=tomorrow).rollups == []
    # A member moved to another organization, a new member, a member deleted.
    member.user.organization = world.other_org
    member.user.save()
    _agree()
    factories.MemberFactory.create(user__organization=world.org)
    _agree()
    Member.objects.filter(pk=other.pk).delete()
    _agree()
    _same_answers(world.coordinator)
    _same_answers(world.staff)


def test_filters_read_the_same_totals_from_the_rollups(world: World) -> None:
    today = timezone.now().date()
    template = PlanTemplateFactory.create(organization=world.org)
    for member, pt in ((world.member, world.pt), (world.other_member, world.pt_other)):
        _utc(member)
        make_plan(
            pt=pt,
            member=member,
            items=[item(PlanExerciseFactory.create())],
            start=today - timedelta(days=20),
            template_id=template.pk,
        )
    log_session(member=world.member, local_date=today - timedelta(days=2), status="completed")
    for filters in (
        {},
        {"therapist": world.pt.pk},
        {"therapist": world.pt_other.pk},
        {"template": template.pk},
        {"risk": Risk.INACTIVE.value},
        {"risk": Risk.NO_PLAN.value},
        {"therapist": world.pt.pk, "template": template.pk},
    ):
        _same_answers(world.coordinator, **filters)
    # A PT's caseload is not a roll-up key: it is grouped from the members.
    assert selectors._rollup_scope(world.pt.user, selectors.Filters()) is None


def test_check_adherence_reports_and_rebuilds_drifted_rollups(world: World) -> None:
    make_plan(
        pt=world.pt,
        member=world.member,
        items=[item(PlanExerciseFactory.create())],
        start=timezone.now().date() - timedelta(days=5),
    )
    _agree()
    DashboardCell.objects.create(
        organization_id=world.org.pk,
        therapist_id=world.pt.pk,
        template_id=0,
        risk="on_track",
        as_of=timezone.now().date(),
        members=3,
    )
    result = check_adherence()
    assert result.differences == []
    assert len(result.rollups) == 1
    with pytest.raises(CommandError, match="roll-up rows differ"):
        call_command("check_adherence", stdout=io.StringIO())
    out = io.StringIO()
    call_command("check_adherence", "--fix", stdout=out)
    assert "rebuilt" in out.getvalue()
    assert check_adherence().rollups == []
