"""check_adherence: the stored roll-ups against the logs; a stale row is found and repaired.
And the deferred refresh the bulk writers use keeps the earliest date asked for."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from members.models import AdherenceDay, MemberAdherence, SessionLog
from members.services import adherence
from members.services.adherence_check import check_adherence
from members.services.sessions import log_session
from tests.conftest import World
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan


def _member_with_logs(world: World) -> int:
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
    for days_ago in (2, 5, 6):
        log_session(member=member, local_date=today - timedelta(days=days_ago), status="completed")
    return member.pk


@pytest.mark.django_db
def test_figures_kept_by_the_services_agree_with_the_logs(world: World) -> None:
    _member_with_logs(world)
    result = check_adherence()
    assert result.checked >= 1
    assert result.differences == []
    out = io.StringIO()
    call_command("check_adherence", stdout=out)
    assert "agree with the logs" in out.getvalue()


@pytest.mark.django_db
def test_a_stale_row_is_reported_and_fix_repairs_it(world: World) -> None:
    member_id = _member_with_logs(world)
    day = timezone.now().date() - timedelta(days=5)
    # A hand-made stale row: the day's session is not counted, as a bulk write left it.
    AdherenceDay.objects.filter(member_id=member_id, date=day).update(done=0, credited=0)
    MemberAdherence.objects.filter(member_id=member_id).update(completed=0)

    result = check_adherence()
    found = {d.what for d in result.differences}
    assert {f"day {day.isoformat()}", "figures"} <= found, found
    assert result.members == [member_id]
    # Reporting writes nothing.
    assert AdherenceDay.objects.get(member_id=member_id, date=day).done == 0
    stale = rf"differences for 1 of \d+ members \(ids {member_id}\)"
    with pytest.raises(CommandError, match=stale):
        call_command("check_adherence", stdout=io.StringIO())

    out = io.StringIO()
    call_command("check_adherence", "--fix", stdout=out)
    assert "Repaired" in out.getvalue()
    assert AdherenceDay.objects.get(member_id=member_id, date=day).done == 1
    assert check_adherence().differences == []


@pytest.mark.django_db
def test_a_refresh_without_a_date_keeps_an_earlier_date_asked_for(world: World) -> None:
    """What a second seed_demo did: logs written in bulk weeks back, their refresh asked from
    that day, then every demo member touched without a date: the earlier date must win."""
    member_id = _member_with_logs(world)
    back = timezone.now().date() - timedelta(days=12)
    SessionLog.objects.bulk_create(
        [SessionLog(member_id=member_id, local_date=back, status="completed")]
    )
    with adherence.deferred():
        adherence.refresh_member(member=member_id, since=back)
        adherence.refresh_member(member=member_id)
    assert AdherenceDay.objects.get(member_id=member_id, date=back).done == 1
    assert check_adherence().differences == []
