"""The integration stage's test data agrees with the logs (issue 15, item 10): plans written,
revised and paused, sessions logged (a phone's retry among them) and corrected, questionnaires
answered and scheduled, all through the real API on PostgreSQL, and the roll-over and the
inactivity check run by a real Celery worker; then `check_adherence` finds no difference.

The suite runs on a throwaway test database, so CI's check of the integration stage's data is
this test rather than a `manage.py check_adherence` run after it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from members.models import Member, MemberAdherence, SessionLog
from members.services.adherence_check import check_adherence
from members.tasks import raise_inactivity_alerts, roll_over_adherence
from programs.models import PlanItem
from tests.conftest import World, bearer_client
from tests.instrument_wording import load_fake_wording
from tests.integration.conftest import WorkerProcess
from tests.members.sessions_helpers import entry, local_today, session_body
from tests.programs.factories_plans import PlanExerciseFactory, item
from tests.services import require_postgres

pytestmark = pytest.mark.integration

RESULT_TIMEOUT = 60
ODI = [2, 2, 2, 2, 2, 1, 1, 1, 1, 2]


def test_figures_made_through_the_api_and_the_worker_agree_with_the_logs(
    celery_worker_process: WorkerProcess, transactional_db: None, world: World
) -> None:
    require_postgres()
    bridge, bird, clam = (
        PlanExerciseFactory.create(name=name) for name in ("Glute bridge", "Bird dog", "Clam")
    )
    member, other = world.member, world.other_member
    today = local_today(member)
    pt, pt_other = bearer_client(world.pt.user), bearer_client(world.pt_other.user)

    def create_plan(client: APIClient, who: Member, items: list[dict], start: date) -> dict:
        response = client.post(
            "/api/v1/plans/",
            {
                "member": who.pk,
                "title": "Home program",
                "start_date": start.isoformat(),
                "status": "active",
                "items": items,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        return response.json()

    plan = create_plan(pt, member, [item(bridge), item(bird)], today - timedelta(days=20))
    other_plan = create_plan(pt_other, other, [item(clam)], today - timedelta(days=10))

    # Sessions over the last week, each sent twice (the phone did not hear the first answer).
    member_api, other_api = bearer_client(member.user), bearer_client(other.user)
    items = list(PlanItem.objects.filter(pk__in=[i["id"] for i in plan["items"]]).order_by("order"))
    for back in (6, 5, 3, 2, 1):
        body = session_body(member, items, day=today - timedelta(days=back))
        if back == 3:
            body |= {"status": "partial", "entries": [entry(items[0], reps_done=6)]}
        first = member_api.post("/api/v1/sessions/", body, format="json")
        again = member_api.post("/api/v1/sessions/", body, format="json")
        assert first.status_code == 201, first.content
        assert again.status_code in (200, 201) and again.json()["id"] == first.json()["id"]
    other_items = list(PlanItem.objects.filter(pk__in=[i["id"] for i in other_plan["items"]]))
    logged = other_api.post(
        "/api/v1/sessions/",
        session_body(other, other_items, day=today - timedelta(days=2)),
        format="json",
    )
    assert logged.status_code == 201, logged.content

    # Today's session, then corrected on the day.
    todays = member_api.post("/api/v1/sessions/", session_body(member, items), format="json")
    assert todays.status_code == 201, todays.content
    corrected = member_api.patch(
        f"/api/v1/sessions/{todays.json()['id']}/",
        {"status": "partial", "entries": [entry(items[1], reps_done=5)]},
        format="json",
    )
    assert corrected.status_code == 200, corrected.content

    # The PT revises the plan (fewer reps, a third exercise) and pauses the other member's.
    revised = pt.patch(
        f"/api/v1/plans/{plan['id']}/",
        {
            "reason": "Ready for more",
            "items": [{"id": items[0].pk, "reps": 8}, {"id": items[1].pk}, {"exercise": clam.pk}],
        },
        format="json",
    )
    assert revised.status_code == 200, revised.content
    paused = pt_other.patch(
        f"/api/v1/plans/{other_plan['id']}/",
        {"reason": "Flare-up, resting a week", "status": "paused"},
        format="json",
    )
    assert paused.status_code == 200, paused.content

    # Questionnaires: answered by the member (the ODI once the clinic's wording is loaded),
    # scheduled by the PT.
    load_fake_wording("odi")
    answered = member_api.post(
        "/api/v1/assessments/", {"instrument": "odi", "answers": ODI}, format="json"
    )
    assert answered.status_code == 201, answered.content
    nprs = other_api.post(
        "/api/v1/assessments/", {"instrument": "nprs", "answers": [4]}, format="json"
    )
    assert nprs.status_code == 201, nprs.content
    scheduled = pt.post(
        "/api/v1/assessment-schedules/",
        {"member": member.pk, "instrument": "odi", "every_n_days": 14},
        format="json",
    )
    assert scheduled.status_code == 201, scheduled.content

    # The worker's periodic jobs on the same rows.
    assert isinstance(roll_over_adherence.delay().get(timeout=RESULT_TIMEOUT), int)
    assert isinstance(raise_inactivity_alerts.delay().get(timeout=RESULT_TIMEOUT), int)

    assert SessionLog.objects.filter(member=member).count() == 6
    assert MemberAdherence.objects.filter(member__in=[member, other]).count() == 2
    result = check_adherence()
    assert result.checked >= 2
    assert result.differences == [], "\n".join(map(str, result.differences))
    # And the check does see a stale figure (as the second seed_demo used to leave them).
    MemberAdherence.objects.filter(member=member).update(completed=0)
    assert check_adherence().members == [member.pk]
