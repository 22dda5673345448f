"""Discharge: the plan completed, reminders and monitoring stopped, figures frozen at the
discharge date, read-only access for DISCHARGE_ACCESS_DAYS, the account closed by the daily
task (idempotent), and a new episode on enrolling again with the old history kept."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from exercise_tracker.models import AuditEvent
from members.models import (
    Episode,
    MemberAdherence,
    MonitoringEpisode,
    ReminderSchedule,
)
from members.services import discharge
from members.services.adherence import refresh_member, roll_over
from members.services.reminders import create_reminder
from members.services.rtm import start_monitoring
from members.tasks import close_discharged_accounts
from programs.models import Exercise, Plan, PlanStatus
from programs.services.plans import create_plan
from tests.conftest import World, bearer_client
from tests.factories import PASSWORD

# Noon in New York two days ago: the daily task reads the real clock, which must fall within
# the discharge's read-only days (a fixed date here closed the account once they had passed).
NOW = datetime.combine(timezone.now().date() - timedelta(days=2), time(17, 0), tzinfo=UTC)


def _plan(world: World, at: datetime = NOW) -> Plan:
    exercise, _ = Exercise.objects.get_or_create(
        slug="discharge-bridge",
        organization=None,
        defaults={"name": "Bridge", "category": "strength", "position": "supine"},
    )
    return create_plan(
        user=world.pt.user,
        member_id=world.member.pk,
        title="Back plan",
        start_date=(at - timedelta(days=14)).date(),
        status=PlanStatus.ACTIVE,
        items=[{"exercise": exercise.pk, "sets": 2, "reps": 10}],
        at=at - timedelta(days=14),
    ).plan


@pytest.fixture
def discharged(world: World) -> Episode:
    _plan(world)
    create_reminder(member=world.member, local_time=time(8, 0), now=NOW)
    start_monitoring(
        user=world.pt.user,
        member=world.member,
        start_date=(NOW - timedelta(days=10)).date(),
        consent_at=NOW - timedelta(days=11),
        now=NOW,
    )
    return discharge.discharge_member(
        by=world.pt.user, member=world.member, reason="goals_met", now=NOW
    )


def test_discharge_completes_the_plan_and_stops_reminders_and_monitoring(
    world: World, discharged: Episode
) -> None:
    today = NOW.date()
    plan = Plan.objects.get(member=world.member)
    assert plan.status == PlanStatus.COMPLETED
    last = plan.revisions.order_by("-number").first()
    assert last is not None
    assert last.reason == "Discharged: Goals met."
    assert not ReminderSchedule.objects.filter(member=world.member, enabled=True).exists()
    assert MonitoringEpisode.objects.get(member=world.member).end_date == today
    world.member.refresh_from_db()
    assert world.member.discharged_on == today
    assert (discharged.ended_on, discharged.reason) == (today, "goals_met")
    assert discharged.access_until == today + timedelta(days=90)
    assert AuditEvent.objects.filter(
        member_id=world.member.pk, object_type="members.episode"
    ).exists()


def test_figures_stop_counting_after_the_discharge_date(world: World, discharged: Episode) -> None:
    before = MemberAdherence.objects.get(member=world.member)
    assert before.as_of == NOW.date()
    later = NOW + timedelta(days=20)
    refresh_member(member=world.member, now=later)
    after = MemberAdherence.objects.get(member=world.member)
    assert after.as_of == NOW.date()  # frozen at the discharge date
    assert (after.prescribed, after.completed) == (before.prescribed, before.completed)
    # The roll-over does not pick discharged members up every day.
    assert roll_over(now=later) == 0


def test_only_a_pt_of_the_care_team_discharges_once(world: World) -> None:
    _plan(world)
    for someone in (world.pt_other.user, world.coordinator, world.member.user):
        with pytest.raises(PermissionDenied):
            discharge.discharge_member(by=someone, member=world.member, reason="other", now=NOW)
    discharge.discharge_member(by=world.pt.user, member=world.member, reason="other", now=NOW)
    with pytest.raises(discharge.EpisodeConflict):
        discharge.discharge_member(by=world.pt.user, member=world.member, reason="other", now=NOW)


def test_a_discharged_member_reads_but_records_nothing(world: World, discharged: Episode) -> None:
    client = bearer_client(world.member.user)
    assert client.get("/api/v1/plans/").status_code == 200
    assert client.get("/api/v1/sessions/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    refused = client.post("/api/v1/reminders/", {"local_time": "09:00"}, format="json")
    assert refused.status_code == 403
    assert set(refused.json()) == {"detail", "errors"}
    # Their own details stay theirs to correct.
    assert client.patch("/api/v1/me/", {"first_name": "Sam"}, format="json").status_code == 200
    browser = Client()
    browser.force_login(world.member.user)
    assert browser.get("/history/").status_code == 200
    assert browser.post("/settings/reminders/", {}).status_code == 403


def test_the_account_closes_after_the_access_days_once(world: World, discharged: Episode) -> None:
    assert close_discharged_accounts.apply(kwargs={}).get() == 0  # still within access
    later = NOW + timedelta(days=92)
    assert discharge.close_expired_accounts(now=later) == 1
    world.member.user.refresh_from_db()
    assert world.member.user.is_active is False
    assert bearer_client(world.member.user).get("/api/v1/me/").status_code == 401
    assert discharge.close_expired_accounts(now=later) == 0  # idempotent


def test_enrolling_again_starts_a_new_episode_and_keeps_the_old_history(
    world: World, discharged: Episode
) -> None:
    discharge.close_expired_accounts(now=NOW + timedelta(days=92))
    episode = discharge.start_episode(
        by=world.pt.user, member=world.member, now=NOW + timedelta(days=100)
    )
    world.member.refresh_from_db()
    world.member.user.refresh_from_db()
    assert world.member.discharged_on is None
    assert world.member.user.is_active is True
    assert episode.started_on == (NOW + timedelta(days=100)).date()
    assert Episode.objects.filter(member=world.member).count() == 2
    assert Plan.objects.filter(member=world.member, status=PlanStatus.COMPLETED).count() == 1
    # The PT who enrolled them again has them on their caseload.
    from exercise_tracker import access

    assert world.member in access.visible_members(world.pt.user)
    with pytest.raises(discharge.EpisodeConflict):
        discharge.start_episode(by=world.pt.user, member=world.member)


def test_api_discharge_is_for_the_care_team_only(world: World) -> None:
    _plan(world, at=timezone.now())
    path = f"/api/v1/members/{world.member.pk}/discharge/"
    assert bearer_client(world.coordinator).post(path, {"reason": "goals_met"}).status_code == 404
    bad = bearer_client(world.pt.user).post(path, {"reason": "bored"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"reason"}
    ok = bearer_client(world.pt.user).post(path, {"reason": "goals_met"}, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["reason"] == "goals_met"
    again = bearer_client(world.pt.user).post(path, {"reason": "goals_met"}, format="json")
    assert again.status_code == 409


def test_api_enrol_again_for_the_care_team_and_after_the_account_closed(world: World) -> None:
    now = timezone.now()
    _plan(world, at=now - timedelta(days=100))
    discharge.discharge_member(
        by=world.pt.user, member=world.member, reason="goals_met", now=now - timedelta(days=100)
    )
    path = f"/api/v1/members/{world.member.pk}/enrol-again/"
    # Within the read-only days the member's PT is still on the care team; the coordinator
    # is not a PT, and the member writes nothing new.
    assert bearer_client(world.coordinator).post(path).status_code == 404
    assert bearer_client(world.member.user).post(path).status_code == 403
    discharge.close_expired_accounts(now=now - timedelta(days=5))
    # The account closed and the care assignment ended with it: the PT no longer sees them.
    assert bearer_client(world.pt.user).post(path).status_code == 404
    assigned = bearer_client(world.coordinator).post(
        "/api/v1/care-assignments/",
        {"member": world.member.pk, "therapist": world.pt.pk, "is_primary": True},
        format="json",
    )
    assert assigned.status_code == 201, assigned.content
    before = AuditEvent.objects.count()
    again = bearer_client(world.pt.user).post(path)
    assert again.status_code == 201, again.content
    body = again.json()
    local_today = timezone.localtime(now, world.member.tz).date()
    assert (body["started_on"], body["ended_on"], body["reason"]) == (
        local_today.isoformat(),
        None,
        "",
    )
    assert AuditEvent.objects.count() == before + 1
    world.member.refresh_from_db()
    world.member.user.refresh_from_db()
    assert world.member.discharged_on is None and world.member.user.is_active
    assert Episode.objects.filter(member=world.member).count() == 2
    # The member signs in again; a second enrolment is a conflict.
    signed_in = APIClient().post(
        "/api/v1/auth/token/",
        {"username": world.member.user.username, "password": PASSWORD},
        format="json",
    )
    assert signed_in.status_code == 200, signed_in.content
    conflict = bearer_client(world.pt.user).post(path)
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "This member is already in care."
