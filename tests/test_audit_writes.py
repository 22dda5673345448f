"""Every write of member data leaves exactly one audit row, whether it came from a page or the
API: the services write the rows (exercise_tracker.audit.record_write), not the views."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from exercise_tracker import clock
from exercise_tracker.models import AuditAction, AuditEvent
from members.models import Alert, AlertKind, AssessmentSchedule, Member, ReminderSchedule, User
from members.services.reminders import create_reminder
from members.services.rtm import start_monitoring
from programs.models import Plan

from .conftest import World, bearer_client
from .instrument_wording import load_fake_wording
from .members.sessions_helpers import entry, local_today, plan_with_items, session_body
from .programs.factories_plans import PlanExerciseFactory

pytestmark = pytest.mark.django_db

ODI_ANSWERS = [2, 2, 2, 2, 2, 1, 1, 1, 1, 2]
ODI_FIELDS = {f"odi-{n}": str(v) for n, v in enumerate(ODI_ANSWERS, start=1)}


_SIGNED_IN: dict[int, Client] = {}
# The id a write needs, made beforehand (PREPARE): one slot, set by the test.
PREPARED: list[Any] = [None]


def page_client(user: User) -> Client:
    """A browser signed in before the write (signing in is audited on its own)."""
    if user.pk not in _SIGNED_IN:
        client = Client()
        client.force_login(user)
        _SIGNED_IN[user.pk] = client
    return _SIGNED_IN[user.pk]


@pytest.fixture(autouse=True)
def _fresh_browsers() -> None:
    _SIGNED_IN.clear()


@dataclass
class Write:
    """One write: who does it, how (returns the response), and what the row must say."""

    name: str
    user: Callable[[World], User]
    do: Callable[[World, Any], Any]
    action: str
    object_type: str


def _alert(world: World) -> Alert:
    return Alert.objects.create(member=world.member, kind=AlertKind.PAIN_SPIKE)


def _session_id(world: World, items: list[Any]) -> int:
    response = bearer_client(world.member.user).post(
        "/api/v1/sessions/", session_body(world.member, items), format="json"
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _monitored(world: World) -> None:
    start_monitoring(
        user=world.pt.user,
        member=world.member,
        start_date=local_today(world.member) - timedelta(days=2),
        consent_at=timezone.now() - timedelta(days=3),
    )


def _reminder(world: World) -> ReminderSchedule:
    return create_reminder(member=world.member, local_time=time(7, 30))


def _schedule(world: World) -> AssessmentSchedule:
    return AssessmentSchedule.objects.create(
        member=world.member, instrument="odi", every_n_days=14, start_date=timezone.localdate()
    )


def _plan(world: World) -> Plan:
    return Plan.objects.get(member=world.member)


MEMBER = lambda world: world.member.user  # noqa: E731
PT = lambda world: world.pt.user  # noqa: E731

WRITES = [
    # --- the API ---------------------------------------------------------------------------
    Write(
        "api: log a session",
        MEMBER,
        lambda world, items: bearer_client(world.member.user).post(
            "/api/v1/sessions/", session_body(world.member, items), format="json"
        ),
        AuditAction.CREATE,
        "members.sessionlog",
    ),
    Write(
        "api: correct a session",
        MEMBER,
        lambda world, items: bearer_client(world.member.user).patch(
            f"/api/v1/sessions/{PREPARED[0]}/",
            {"pain_after": 2, "entries": [entry(items[0])]},
            format="json",
        ),
        AuditAction.UPDATE,
        "members.sessionlog",
    ),
    Write(
        "api: create a plan",
        PT,
        lambda world, items: bearer_client(world.pt.user).post(
            "/api/v1/plans/",
            {
                "member": world.member.pk,
                "title": "Next phase",
                "start_date": local_today(world.member).isoformat(),
                "items": [{"exercise": PlanExerciseFactory.create().pk}],
            },
            format="json",
        ),
        AuditAction.CREATE,
        "programs.plan",
    ),
    Write(
        "api: revise a plan",
        PT,
        lambda world, items: bearer_client(world.pt.user).patch(
            f"/api/v1/plans/{_plan(world).pk}/",
            {"reason": "Progress", "items": [{"id": items[0].pk, "reps": 12}]},
            format="json",
        ),
        AuditAction.UPDATE,
        "programs.plan",
    ),
    Write(
        "api: start monitoring",
        PT,
        lambda world, items: bearer_client(world.pt.user).post(
            f"/api/v1/members/{world.member.pk}/monitoring/",
            {
                "start_date": local_today(world.member).isoformat(),
                "consent_at": timezone.now().isoformat(),
            },
            format="json",
        ),
        AuditAction.CREATE,
        "members.monitoringepisode",
    ),
    Write(
        "api: record review time",
        PT,
        lambda world, items: bearer_client(world.pt.user).post(
            f"/api/v1/members/{world.member.pk}/review-time/",
            {"date": clock.clinic_today(world.member).isoformat(), "minutes": 12},
            format="json",
        ),
        AuditAction.CREATE,
        "members.reviewtime",
    ),
    Write(
        "api: acknowledge an alert",
        PT,
        lambda world, items: bearer_client(world.pt.user).post(
            f"/api/v1/alerts/{PREPARED[0]}/acknowledge/"
        ),
        AuditAction.UPDATE,
        "members.alert",
    ),
    Write(
        "api: resolve an alert",
        PT,
        lambda world, items: bearer_client(world.pt.user).post(
            f"/api/v1/alerts/{PREPARED[0]}/resolve/"
        ),
        AuditAction.UPDATE,
        "members.alert",
    ),
    Write(
        "api: answer a questionnaire",
        MEMBER,
        lambda world, items: bearer_client(world.member.user).post(
            "/api/v1/assessments/", {"instrument": "odi", "answers": ODI_ANSWERS}, format="json"
        ),
        AuditAction.CREATE,
        "members.assessment",
    ),
    Write(
        "api: schedule a questionnaire",
        PT,
        lambda world, items: bearer_client(world.pt.user).post(
            "/api/v1/assessment-schedules/",
            {"member": world.member.pk, "instrument": "odi", "every_n_days": 14},
            format="json",
        ),
        AuditAction.CREATE,
        "members.assessmentschedule",
    ),
    Write(
        "api: change a questionnaire schedule",
        PT,
        lambda world, items: bearer_client(world.pt.user).patch(
            f"/api/v1/assessment-schedules/{PREPARED[0]}/", {"every_n_days": 28}, format="json"
        ),
        AuditAction.UPDATE,
        "members.assessmentschedule",
    ),
    Write(
        "api: add a reminder",
        MEMBER,
        lambda world, items: bearer_client(world.member.user).post(
            "/api/v1/reminders/", {"local_time": "08:15"}, format="json"
        ),
        AuditAction.CREATE,
        "members.reminderschedule",
    ),
    Write(
        "api: change a reminder",
        MEMBER,
        lambda world, items: bearer_client(world.member.user).patch(
            f"/api/v1/reminders/{PREPARED[0]}/", {"local_time": "09:00"}, format="json"
        ),
        AuditAction.UPDATE,
        "members.reminderschedule",
    ),
    Write(
        "api: delete a reminder",
        MEMBER,
        lambda world, items: bearer_client(world.member.user).delete(
            f"/api/v1/reminders/{PREPARED[0]}/"
        ),
        AuditAction.DELETE,
        "members.reminderschedule",
    ),
    Write(
        "api: quiet hours",
        MEMBER,
        lambda world, items: bearer_client(world.member.user).patch(
            "/api/v1/reminders/preferences/",
            {"quiet_hours_start": "22:00", "quiet_hours_end": "07:00"},
            format="json",
        ),
        AuditAction.UPDATE,
        "members.memberpreferences",
    ),
    # --- the pages -------------------------------------------------------------------------
    Write(
        "page: log today's session",
        MEMBER,
        lambda world, items: page_client(world.member.user).post(
            "/today/",
            {
                "client_id": str(uuid.uuid4()),
                f"status-{items[0].pk}": "done",
                f"sets-{items[0].pk}": "2",
                f"reps-{items[0].pk}": "10",
                f"status-{items[1].pk}": "skipped",
                "pain_before": "3",
                "pain_after": "3",
            },
        ),
        AuditAction.CREATE,
        "members.sessionlog",
    ),
    Write(
        "page: start monitoring",
        PT,
        lambda world, items: page_client(world.pt.user).post(
            f"/members/{world.member.pk}/adherence/monitoring/", {"consent": "1"}
        ),
        AuditAction.CREATE,
        "members.monitoringepisode",
    ),
    Write(
        "page: record review time",
        PT,
        lambda world, items: page_client(world.pt.user).post(
            f"/members/{world.member.pk}/adherence/review-time/",
            {"date": clock.clinic_today(world.member).isoformat(), "minutes": "20"},
        ),
        AuditAction.CREATE,
        "members.reviewtime",
    ),
    Write(
        "page: resolve an alert",
        PT,
        lambda world, items: page_client(world.pt.user).post(
            f"/caseload/alerts/{PREPARED[0]}/resolve/"
        ),
        AuditAction.UPDATE,
        "members.alert",
    ),
    Write(
        "page: answer a questionnaire",
        MEMBER,
        lambda world, items: page_client(world.member.user).post(
            "/questionnaires/odi/", {**ODI_FIELDS, "client_id": str(uuid.uuid4())}
        ),
        AuditAction.CREATE,
        "members.assessment",
    ),
    Write(
        "page: add a reminder",
        MEMBER,
        lambda world, items: page_client(world.member.user).post(
            "/settings/reminders/",
            {
                "new-local_time": "07:45",
                "new-days_of_week": ["0", "2"],
                "new-channels": ["in_app"],
                "new-enabled": "on",
            },
        ),
        AuditAction.CREATE,
        "members.reminderschedule",
    ),
    Write(
        "page: change a reminder",
        MEMBER,
        lambda world, items: page_client(world.member.user).post(
            f"/settings/reminders/{PREPARED[0]}/",
            {
                f"r{PREPARED[0]}-local_time": "19:15",
                f"r{PREPARED[0]}-days_of_week": ["5", "6"],
                f"r{PREPARED[0]}-channels": ["in_app"],
                f"r{PREPARED[0]}-enabled": "on",
            },
        ),
        AuditAction.UPDATE,
        "members.reminderschedule",
    ),
    Write(
        "page: delete a reminder",
        MEMBER,
        lambda world, items: page_client(world.member.user).post(
            f"/settings/reminders/{PREPARED[0]}/delete/"
        ),
        AuditAction.DELETE,
        "members.reminderschedule",
    ),
    Write(
        "page: quiet hours",
        MEMBER,
        lambda world, items: page_client(world.member.user).post(
            "/settings/reminders/quiet-hours/",
            {"quiet_hours_start": "22:00", "quiet_hours_end": "07:00", "sms_phone": ""},
        ),
        AuditAction.UPDATE,
        "members.memberpreferences",
    ),
]

# What each write needs beforehand (its id lands in PREPARED).
PREPARE: dict[str, Callable[[World, Any], Any]] = {
    "api: correct a session": lambda world, items: _session_id(world, items),
    "api: record review time": lambda world, items: _monitored(world),
    "page: record review time": lambda world, items: _monitored(world),
    "api: acknowledge an alert": lambda world, items: _alert(world).pk,
    # The ODI is offered once the clinic has loaded its licensed wording.
    "page: answer a questionnaire": lambda world, items: load_fake_wording("odi"),
    "api: answer a questionnaire": lambda world, items: load_fake_wording("odi"),
    "api: resolve an alert": lambda world, items: _alert(world).pk,
    "page: resolve an alert": lambda world, items: _alert(world).pk,
    "api: change a questionnaire schedule": lambda world, items: _schedule(world).pk,
    "api: change a reminder": lambda world, items: _reminder(world).pk,
    "api: delete a reminder": lambda world, items: _reminder(world).pk,
    "page: change a reminder": lambda world, items: _reminder(world).pk,
    "page: delete a reminder": lambda world, items: _reminder(world).pk,
}


def _path_of(response: Any) -> str:
    request = response.wsgi_request
    return str(request.path)


@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_each_write_of_member_data_leaves_one_audit_row(world: World, write: Write) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    prepare = PREPARE.get(write.name)
    PREPARED[0] = prepare(world, items) if prepare else None
    _SIGNED_IN.clear()
    page_client(world.member.user), page_client(world.pt.user)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    response = write.do(world, items)

    assert response.status_code in (200, 201, 204, 302), response.content[:500]
    rows = list(AuditEvent.objects.filter(id__gt=before))
    assert len(rows) == 1, [(r.action, r.object_type, r.path) for r in rows]
    (row,) = rows
    user = write.user(world)
    member: Member = world.member
    assert (row.action, row.object_type) == (write.action, write.object_type)
    assert (row.user_id, row.username, row.member_id) == (user.pk, user.username, member.pk)
    assert row.object_id
    # The row knows the request it was written in, though the service was never handed it.
    assert row.path == _path_of(response)
    assert row.request_id == response["X-Request-ID"]


def test_a_write_refused_leaves_no_row(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=1)
    before = AuditEvent.objects.count()
    body = session_body(world.member, items) | {"rpe": 11}
    response = bearer_client(world.member.user).post("/api/v1/sessions/", body, format="json")
    assert response.status_code == 400
    assert AuditEvent.objects.count() == before


def test_a_retried_session_is_written_and_audited_once(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=1)
    body = session_body(world.member, items)
    client = bearer_client(world.member.user)
    before = AuditEvent.objects.count()
    assert client.post("/api/v1/sessions/", body, format="json").status_code == 201
    assert client.post("/api/v1/sessions/", body, format="json").status_code == 200
    assert AuditEvent.objects.count() == before + 1


def test_a_service_called_outside_a_request_audits_too(world: World) -> None:
    """A command or a task calls the same service: the same row, with no path."""
    before = AuditEvent.objects.count()
    _monitored(world)
    row = AuditEvent.objects.get(id__gt=0, object_type="members.monitoringepisode")
    assert AuditEvent.objects.count() == before + 1
    assert (row.action, row.user_id, row.path) == (AuditAction.CREATE, world.pt.user.pk, "")


def test_reads_by_staff_on_pages_are_audited(world: World) -> None:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    client = page_client(world.pt.user)
    for path, object_type in (
        ("/caseload/", "members.caseload"),
        (f"/plans/{plan.pk}/edit/", "programs.plan"),
        (f"/caseload/{world.member.pk}/plan/", "programs.plan_builder"),
    ):
        before = AuditEvent.objects.count()
        assert client.get(path).status_code == 200, path
        row = AuditEvent.objects.latest("id")
        assert AuditEvent.objects.count() == before + 1, path
        assert (row.action, row.object_type, row.path) == (AuditAction.READ, object_type, path)


def test_a_csv_export_is_recorded_as_an_export(world: World) -> None:
    client = bearer_client(world.coordinator)
    before = AuditEvent.objects.count()
    response = client.get("/api/v1/dashboard/adherence/", {"format": "csv"})
    assert response.status_code == 200
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    row = AuditEvent.objects.latest("id")
    assert AuditEvent.objects.count() == before + 1
    assert (row.action, row.object_type) == (AuditAction.EXPORT, "members.adherence_dashboard")


def test_the_admin_audits_its_member_list_and_care_team_changes(world: World) -> None:
    client = Client()
    client.force_login(world.staff)
    before = AuditEvent.objects.count()
    assert client.get("/admin/members/member/").status_code == 200
    row = AuditEvent.objects.latest("id")
    assert AuditEvent.objects.count() == before + 1
    assert (row.action, row.object_type, row.user_id) == (
        AuditAction.READ,
        "members.member_list",
        world.staff.pk,
    )
    before = AuditEvent.objects.count()
    added = client.post(
        "/admin/members/careassignment/add/",
        {
            "member": world.other_member.pk,
            "therapist": world.pt.pk,
            "is_primary": "",
            "start_date": timezone.localdate().isoformat(),
        },
    )
    assert added.status_code == 302, added.content[:2000]
    row = AuditEvent.objects.latest("id")
    assert AuditEvent.objects.count() == before + 1
    assert (row.action, row.object_type, row.member_id) == (
        AuditAction.CREATE,
        "members.careassignment",
        world.other_member.pk,
    )
