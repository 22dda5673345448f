"""The writes `make bench` measures, held to a fixed number of statements: a member's session
with six exercises (its figures rewritten in the same transaction) and a PT's plan from a
template. Each count is the whole request (the token's user included) and does not grow with
the number of entries or items; what the fast paths answer equals what a full read or rebuild
gives."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exercise_tracker.models import AuditEvent, IdempotencyRecord
from members.models import AdherenceDay, AdherenceWeek, MemberAdherence
from members.services.adherence import refresh_adherence
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import plan_with_items, session_body
from tests.programs.factories_plans import TemplateItemFactory

pytestmark = pytest.mark.django_db

# After the first request the token's user comes from the read cache (no statement). The items'
# versions with their exercises and their plans' revisions (one statement); the session
# (INSERT ... ON CONFLICT DO NOTHING, no savepoint) with its entries, its audit row and the
# member's progression outbox row (one statement on PostgreSQL; four elsewhere); on PostgreSQL,
# the member's figures' row version with their recent day rows and the day's sessions counted
# (no lock), then the member's row locked and the figures, day row, week row and the member's
# dashboard sort keys written if that row version still holds (one statement each); elsewhere
# the member's row locked with their figures' dates, the recent day rows with the day's sessions
# counted, the three upserts and the sort keys.
SESSION_STATEMENTS = 4 if connection.vendor == "postgresql" else 11
# The token's user (a first request: not cached yet); the member; the PT's assignment with their
# profile; the template; its items; their exercises; the template's suggested lessons; the plan;
# its items (one INSERT); revision 1 with its warnings; the audit row. The answer is built from
# what was written.
PLAN_STATEMENTS = 11


def _statements(captured: CaptureQueriesContext) -> list[str]:
    # Savepoints are the test's own transaction around the service's: not the request's.
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def _figures(member_id: int) -> dict[str, Any]:
    return {
        "days": sorted(
            AdherenceDay.objects.filter(member_id=member_id).values_list(
                "date",
                "prescribed",
                "due",
                "done",
                "credited",
                "has_data",
                "pain_total",
                "pain_count",
            )
        ),
        "weeks": sorted(
            AdherenceWeek.objects.filter(member_id=member_id).values_list(
                "week_start", "due", "credited", "active_days"
            )
        ),
        "summary": MemberAdherence.objects.filter(member_id=member_id)
        .values(
            "as_of",
            "prescribed",
            "completed",
            "adherence",
            "active_days_30",
            "current_streak",
            "best_streak",
            "first_active",
            "last_active",
            "has_plan",
            "this_week",
            "last_week",
            "pain_first_week",
            "pain_last_week",
            "risk",
        )
        .get(),
    }


@pytest.mark.parametrize("n", [1, 6])
def test_a_session_is_a_fixed_number_of_statements(world: World, n: int) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=n)
    client = bearer_client(world.member.user)
    # The first session brings the member's figures up to today (the full refresh).
    first = client.post("/api/v1/sessions/", session_body(world.member, items), format="json")
    assert first.status_code == 201, first.content
    audits = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/api/v1/sessions/", session_body(world.member, items), format="json"
        )
    assert response.status_code == 201, response.content
    assert len(response.json()["entries"]) == n
    assert len(_statements(captured)) == SESSION_STATEMENTS, _statements(captured)
    assert AuditEvent.objects.count() == audits + 1
    row = AuditEvent.objects.latest("pk")  # written in the session's own statement
    assert (row.object_type, row.object_id) == ("members.sessionlog", str(response.json()["id"]))
    assert (row.user_id, row.member_id, row.action) == (
        world.member.user.pk,
        world.member.pk,
        "create",
    )
    # The figures the fast path wrote are those a full rebuild writes.
    fast = _figures(world.member.pk)
    MemberAdherence.objects.filter(member=world.member).delete()
    AdherenceDay.objects.filter(member=world.member).delete()
    AdherenceWeek.objects.filter(member=world.member).delete()
    refresh_adherence(member_ids=[world.member.pk])
    assert _figures(world.member.pk) == fast


def test_a_session_with_an_idempotency_key_adds_only_its_record(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=6)
    client = bearer_client(world.member.user)
    client.post("/api/v1/sessions/", session_body(world.member, items), format="json")
    body = session_body(world.member, items)
    key = str(uuid.uuid4())
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/sessions/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.content
    # The key's look-up and its record.
    assert len(_statements(captured)) <= SESSION_STATEMENTS + 2, _statements(captured)
    assert IdempotencyRecord.objects.count() == 1
    again = client.post("/api/v1/sessions/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == 201 and again.json() == response.json()


def test_a_retried_session_answers_the_first_without_storing_a_second(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=6)
    client = bearer_client(world.member.user)
    body = session_body(world.member, items)
    first = client.post("/api/v1/sessions/", body, format="json")
    retry = client.post("/api/v1/sessions/", body, format="json")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    changed = client.post("/api/v1/sessions/", body | {"notes": "Other"}, format="json")
    assert changed.status_code == 409


@pytest.mark.parametrize("n", [2, 8])
def test_a_plan_from_a_template_is_a_fixed_number_of_statements(world: World, n: int) -> None:
    first = TemplateItemFactory.create(order=0)
    for order in range(1, n):
        TemplateItemFactory.create(template=first.template, order=order)
    client = bearer_client(world.pt.user)
    body = {
        "member": world.member.pk,
        "title": "Bench draft",
        "template": first.template.pk,
        "start_date": "2025-03-03",
        "status": "draft",
    }
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/plans/", body, format="json")
    assert response.status_code == 201, response.content
    assert len(_statements(captured)) == PLAN_STATEMENTS, _statements(captured)
    # Built from what was written, the answer is what reading the plan back gives.
    read = client.get(f"/api/v1/plans/{response.json()['id']}/")
    assert read.status_code == 200
    assert response.json() == read.json()
    assert len(response.json()["items"]) == n
