"""Alerts for PTs: raised when a session is logged (pain spike, too hard three sessions running)
and by the daily check (no session for 3 days on an active plan); never twice while one is
active; listed open first, acknowledged and resolved by the member's PT."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from exercise_tracker.models import AuditEvent
from members.models import Alert, AlertKind, AlertStatus, SessionLog
from members.services.alerts import inactive_members, raise_inactivity_alerts
from members.tasks import raise_inactivity_alerts as daily_task
from programs.models import PlanItem
from programs.services.plans import revise_plan
from tests import factories
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import entry, local_today, plan_with_items, session_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(world: World) -> list[PlanItem]:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    return items


def log(world: World, items, *, day=None, **fields) -> dict:
    response = bearer_client(world.member.user).post(
        "/api/v1/sessions/", session_body(world.member, items, day=day, **fields), format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


# --- raised when a session is logged --------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "raised"),
    [(2, 7, True), (None, 8, True), (3, 5, True), (3, 4, False), (6, 6, False), (None, 6, False)],
)
def test_pain_spike(world: World, items, before, after, raised) -> None:
    session = log(world, items, pain_before=before, pain_after=after, notes="Private words")
    alerts = list(Alert.objects.filter(member=world.member))
    assert len(alerts) == (1 if raised else 0)
    if raised:
        alert = alerts[0]
        assert alert.kind == AlertKind.PAIN_SPIKE
        assert alert.status == AlertStatus.OPEN
        assert alert.therapist_id == world.pt.pk
        assert alert.session_id == session["id"]
        assert alert.details["pain_after"] == after
        assert "Private words" not in str(alert.details)


def test_a_spike_while_one_is_active_raises_nothing_new_until_resolved(world, items) -> None:
    log(world, items, pain_after=8)
    latest = log(world, items, pain_after=9)
    assert Alert.objects.filter(member=world.member).count() == 1
    alert = Alert.objects.get(member=world.member)
    # Brought up to date: the PT reads the newest spike, not the first.
    assert (alert.details["pain_after"], alert.session_id) == (9, latest["id"])
    pt = bearer_client(world.pt.user)
    assert pt.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200
    log(world, items, pain_after=8)
    assert Alert.objects.filter(member=world.member).count() == 1
    alert.refresh_from_db()
    # A new spike after the PT acknowledged the last one: open again, for them to see.
    assert (alert.status, alert.acknowledged_at, alert.details["pain_after"]) == (
        AlertStatus.OPEN,
        None,
        8,
    )
    assert pt.post(f"/api/v1/alerts/{alert.pk}/resolve/").status_code == 200
    log(world, items, pain_after=8)
    assert Alert.objects.filter(member=world.member, status=AlertStatus.OPEN).count() == 1
    assert Alert.objects.filter(member=world.member).count() == 2


def _too_hard(items, which: int) -> list[dict]:
    return [
        entry(item, feedback="too_hard" if index == which else "just_right")
        for index, item in enumerate(items)
    ]


def test_too_hard_in_three_sessions_running_raises_one_alert_per_exercise(world, items) -> None:
    today = local_today(world.member)
    log(world, items, day=today - timedelta(days=2), entries=_too_hard(items, 0))
    log(world, items, day=today - timedelta(days=1), entries=_too_hard(items, 0))
    assert not Alert.objects.exists()
    log(world, items, day=today, entries=_too_hard(items, 0))
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.TOO_HARD_STREAK
    assert alert.exercise_id == items[0].exercise_id
    assert len(alert.details["sessions"]) == 3
    # A fourth in a row: still the one alert.
    log(world, items, day=today, entries=_too_hard(items, 0))
    assert Alert.objects.count() == 1


def test_a_just_right_in_between_breaks_the_run(world, items) -> None:
    today = local_today(world.member)
    log(world, items, day=today - timedelta(days=3), entries=_too_hard(items, 0))
    log(world, items, day=today - timedelta(days=2), entries=_too_hard(items, 0))
    log(world, items, day=today - timedelta(days=1), entries=_too_hard(items, 1))
    log(world, items, day=today, entries=_too_hard(items, 0))
    assert not Alert.objects.exists()


def test_a_skipped_exercise_neither_breaks_nor_extends_a_run(world, items) -> None:
    today = local_today(world.member)
    skipped = [
        entry(items[0], status="skipped", sets_done=None, reps_done=None, feedback=None),
        *(entry(item) for item in items[1:]),
    ]
    log(world, items, day=today - timedelta(days=3), entries=_too_hard(items, 0))
    log(world, items, day=today - timedelta(days=2), entries=skipped, status="partial")
    log(world, items, day=today - timedelta(days=1), entries=_too_hard(items, 0))
    assert not Alert.objects.exists()
    log(world, items, day=today, entries=_too_hard(items, 0))
    assert Alert.objects.get().kind == AlertKind.TOO_HARD_STREAK


def test_a_run_follows_the_exercise_across_versions_of_its_item(world: World) -> None:
    today = local_today(world.member)
    plan, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=1,
        start=today - timedelta(days=10),
        at=datetime.combine(today - timedelta(days=10), time(12), tzinfo=world.member.tz),
    )
    log(world, items, day=today - timedelta(days=2), entries=_too_hard(items, 0))
    revise_plan(
        user=world.pt.user,
        plan=plan,
        reason="Fewer reps",
        items=[{"id": items[0].pk, "reps": 8}],
        at=datetime.combine(today - timedelta(days=1), time(8), tzinfo=world.member.tz),
    )
    current = PlanItem.objects.get(plan=plan, valid_to_revision__isnull=True)
    log(world, [current], day=today - timedelta(days=1), entries=_too_hard([current], 0))
    log(world, [current], day=today, entries=_too_hard([current], 0))
    assert Alert.objects.get().exercise_id == items[0].exercise_id


# --- the daily check ------------------------------------------------------------------------


def test_no_session_for_three_days_on_an_active_plan(world: World, items) -> None:
    today = local_today(world.member)
    factories.SessionLogFactory.create(
        member=world.member, local_date=today - timedelta(days=3), status="completed"
    )
    assert raise_inactivity_alerts() == 0  # only two whole days since
    SessionLog.objects.filter(member=world.member).update(local_date=today - timedelta(days=4))
    assert raise_inactivity_alerts() == 1
    alert = Alert.objects.get(member=world.member, kind=AlertKind.INACTIVE)
    assert alert.therapist_id == world.pt.pk
    assert alert.details["days_without_session"] == 3
    assert alert.details["last_session"] == (today - timedelta(days=4)).isoformat()
    # Idempotent: the task again (a second beat, a redelivery) raises nothing.
    assert daily_task.apply().get() == 0
    assert Alert.objects.filter(kind=AlertKind.INACTIVE).count() == 1


def test_never_started_counts_from_the_plans_start(world: World) -> None:
    today = local_today(world.member)
    plan_with_items(pt=world.pt, member=world.member, n=1, start=today - timedelta(days=2))
    assert raise_inactivity_alerts() == 0  # started two days ago: not yet three
    plan_with_items(
        pt=world.pt_other, member=world.other_member, n=1, start=today - timedelta(days=5)
    )
    found = inactive_members()
    assert set(found) == {world.other_member.pk}
    assert found[world.other_member.pk]["last_session"] is None


def test_a_paused_plan_raises_nothing(world: World, items) -> None:
    plan = items[0].plan
    revise_plan(user=world.pt.user, plan=plan, reason="Flare-up: rest", status="paused")
    assert raise_inactivity_alerts() == 0


def test_the_check_uses_each_members_local_days(world: World, items) -> None:
    # 09:00 UTC on 10 March 2025: still the 9th in Honolulu, the 10th in Paris.
    world.member.timezone = "Pacific/Honolulu"
    world.member.save(update_fields=["timezone"])
    moment = datetime(2025, 3, 10, 9, tzinfo=UTC)
    items[0].plan.__class__.objects.filter(pk=items[0].plan_id).update(
        start_date=datetime(2025, 2, 1).date()
    )
    factories.SessionLogFactory.create(
        member=world.member, local_date=datetime(2025, 3, 5).date(), status="completed"
    )
    # Honolulu's today is the 9th: the 6th, 7th and 8th were quiet.
    assert set(inactive_members(now=moment)) == {world.member.pk}
    SessionLog.objects.filter(member=world.member).update(local_date=datetime(2025, 3, 6).date())
    assert inactive_members(now=moment) == {}
    world.member.timezone = "Pacific/Kiritimati"  # UTC+14: already the 10th, 7-9 quiet
    world.member.save(update_fields=["timezone"])
    assert set(inactive_members(now=moment)) == {world.member.pk}


def test_the_daily_check_costs_the_same_queries_for_one_or_many_members(world: World) -> None:
    today = local_today(world.member)
    plan_with_items(pt=world.pt, member=world.member, n=1, start=today - timedelta(days=9))
    with CaptureQueriesContext(connection) as one:
        assert raise_inactivity_alerts() == 1
    plan_with_items(
        pt=world.pt_other, member=world.other_member, n=1, start=today - timedelta(days=9)
    )
    plan_with_items(
        pt=world.foreign_pt, member=world.foreign_member, n=1, start=today - timedelta(days=9)
    )
    with CaptureQueriesContext(connection) as three:
        assert raise_inactivity_alerts() == 2
    assert len(one) == len(three)


# --- the API --------------------------------------------------------------------------------


def _alerts(world: World, items) -> tuple[Alert, Alert]:
    log(world, items, pain_after=9)
    spike = Alert.objects.get(kind=AlertKind.PAIN_SPIKE)
    SessionLog.objects.filter(member=world.member).update(
        local_date=local_today(world.member) - timedelta(days=5)
    )
    raise_inactivity_alerts()
    quiet = Alert.objects.get(kind=AlertKind.INACTIVE)
    return spike, quiet


def test_pt_lists_open_first_acknowledges_and_resolves(world: World, items) -> None:
    spike, quiet = _alerts(world, items)
    pt = bearer_client(world.pt.user)
    assert pt.post(f"/api/v1/alerts/{quiet.pk}/acknowledge/").json()["status"] == "acknowledged"
    listed = pt.get("/api/v1/alerts/").json()
    assert [(a["id"], a["status"]) for a in listed["results"]] == [
        (spike.pk, "open"),
        (quiet.pk, "acknowledged"),
    ]
    first = listed["results"][0]
    assert first["member"] == world.member.pk
    assert first["member_name"] == world.member.user.display_name
    assert first["message"].startswith("Pain 9/10 after a session")
    assert pt.get("/api/v1/alerts/", {"status": "open"}).json()["count"] == 1
    assert pt.get("/api/v1/alerts/", {"status": "closed"}).status_code == 400

    resolved = pt.post(f"/api/v1/alerts/{spike.pk}/resolve/").json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_by"] == world.pt.user.pk
    assert resolved["acknowledged_at"] is not None
    again = pt.post(f"/api/v1/alerts/{spike.pk}/acknowledge/")
    assert again.status_code == 409
    assert pt.post(f"/api/v1/alerts/{spike.pk}/resolve/").status_code == 200


def test_alerts_are_for_the_care_team_only(world: World, items) -> None:
    spike, _ = _alerts(world, items)
    for user in (world.member.user, world.coordinator, world.pt_other.user, world.foreign_pt.user):
        client = bearer_client(user)
        assert client.post(f"/api/v1/alerts/{spike.pk}/acknowledge/").status_code == 404
        assert client.get(f"/api/v1/alerts/{spike.pk}/").status_code == 404
    assert bearer_client(world.pt_other.user).get("/api/v1/alerts/").json()["count"] == 0
    assert bearer_client(world.member.user).get("/api/v1/alerts/").status_code == 404
    staff = bearer_client(world.staff)
    assert staff.get("/api/v1/alerts/").json()["count"] == 2
    assert staff.post(f"/api/v1/alerts/{spike.pk}/resolve/").status_code == 403
    spike.refresh_from_db()
    assert spike.status == AlertStatus.OPEN


def test_alert_actions_are_audited(world: World, items) -> None:
    spike, _ = _alerts(world, items)
    before = AuditEvent.objects.count()
    bearer_client(world.pt.user).post(f"/api/v1/alerts/{spike.pk}/acknowledge/")
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.member_id == world.member.pk
    assert event.action == "update"


def test_the_alert_list_costs_the_same_queries_for_two_or_six(world: World, items) -> None:
    _alerts(world, items)
    pt = bearer_client(world.pt.user)
    pt.get("/api/v1/me/")  # the sign-in cached (no user query after), as on every request
    with CaptureQueriesContext(connection) as two:
        assert pt.get("/api/v1/alerts/").json()["count"] == 2
    for _ in range(4):
        someone = factories.MemberFactory.create(user__organization=world.org)
        factories.CareAssignmentFactory.create(member=someone, therapist=world.pt)
        Alert.objects.create(member=someone, therapist=world.pt, kind=AlertKind.INACTIVE)
    with CaptureQueriesContext(connection) as six:
        assert pt.get("/api/v1/alerts/").json()["count"] == 6
    assert len(two) == len(six)


# --- the caseload page ----------------------------------------------------------------------


def test_caseload_shows_open_alerts_first(world: World, items) -> None:
    # Names no random name of the page's other people can hold (a member's Faker first name
    # was once "Aaron", beside the last name "Aaron" this test sorts by).
    calm = factories.MemberFactory.create(
        user__organization=world.org, user__last_name="Aacalm", user__first_name="Calm"
    )
    factories.CareAssignmentFactory.create(member=calm, therapist=world.pt)
    world.member.user.first_name, world.member.user.last_name = "Alerted", "Zzalert"
    world.member.user.save(update_fields=["first_name", "last_name"])
    spike, quiet = _alerts(world, items)
    Alert.objects.filter(pk=quiet.pk).update(status=AlertStatus.ACKNOWLEDGED)
    client = Client()
    client.force_login(world.pt.user)
    page = client.get("/caseload/")
    html = page.content.decode()
    assert page.status_code == 200
    # The alerts section comes before the member table, open before acknowledged.
    assert html.index('data-testid="caseload-alerts"') < html.index("caseload-table")
    assert html.index('data-status="open"') < html.index('data-status="acknowledged"')
    # Members with open alerts first, although "Zzalert" sorts after "Aacalm".
    assert html.index("Zzalert") < html.index("Aacalm")
    assert 'data-testid="member-alerts"' in html

    response = client.post(f"/caseload/alerts/{spike.pk}/resolve/")
    assert response.status_code == 302
    spike.refresh_from_db()
    assert spike.status == AlertStatus.RESOLVED
    assert client.get(f"/caseload/alerts/{spike.pk}/resolve/").status_code == 405
    other = Client()
    other.force_login(world.pt_other.user)
    assert other.post(f"/caseload/alerts/{quiet.pk}/resolve/").status_code == 404


def test_no_alerts_says_what_would_show(world: World) -> None:
    client = Client()
    client.force_login(world.pt.user)
    assert 'data-testid="no-alerts"' in client.get("/caseload/").content.decode()
