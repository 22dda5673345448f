"""POST and GET /api/v1/walks/ and /api/v1/symptom-checks/: fields named on bad input, retries
that never double, the alerts and the emergency guidance, scoping and query counts."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from exercise_tracker.idempotency import REPLAYED_HEADER
from exercise_tracker.models import AuditEvent
from members.models import Alert, AlertKind, AlertStatus, SymptomCheck, Walk
from members.rules import safety
from members.services.walks import log_symptom_check, log_walk
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import local_today, plan_with_items

pytestmark = pytest.mark.django_db


def walk_body(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "date": local_today(world.member).isoformat(),
        "minutes_to_symptoms": 8,
        "total_minutes": 20,
        "rests": 2,
        **fields,
    }


def check_body(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "date": local_today(world.member).isoformat(),
        "numbness": "none",
        "tingling": "none",
        "weakness": "none",
        **fields,
    }


def post(world: World, path: str, body: dict[str, Any], **headers: Any):
    return bearer_client(world.member.user).post(path, body, format="json", **headers)


# --- walks --------------------------------------------------------------------------------------


def test_member_records_a_walk(world: World) -> None:
    body = walk_body(world, distance_m=900, support="cart")
    response = post(world, "/api/v1/walks/", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert {k: data[k] for k in body} == body
    assert data["member"] == world.member.pk
    walk = Walk.objects.get(pk=data["id"])
    assert (walk.minutes_to_symptoms, walk.total_minutes, walk.rests) == (8, 20, 2)
    assert AuditEvent.objects.filter(object_type="members.walk", action="create").count() == 1


def test_no_symptoms_is_null_and_must_be_said(world: World) -> None:
    response = post(world, "/api/v1/walks/", walk_body(world, minutes_to_symptoms=None))
    assert response.status_code == 201
    assert response.json()["minutes_to_symptoms"] is None
    body = walk_body(world)
    del body["minutes_to_symptoms"]
    refused = post(world, "/api/v1/walks/", body)
    assert refused.status_code == 400
    assert "minutes_to_symptoms" in refused.json()["errors"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"minutes_to_symptoms": 21}, "minutes_to_symptoms"),
        ({"total_minutes": 0}, "total_minutes"),
        ({"total_minutes": 301, "minutes_to_symptoms": 1}, "total_minutes"),
        ({"rests": -1}, "rests"),
        ({"rests": "2"}, "rests"),
        ({"distance_m": 50_001}, "distance_m"),
        ({"support": "bicycle"}, "support"),
        ({"date": "tomorrow"}, "date"),
        ({"plan_item": 0}, "plan_item"),
        ({"steps": 3000}, "non_field_errors"),
    ],
)
def test_bad_walks_name_the_field(world: World, fields: dict[str, Any], field: str) -> None:
    response = post(world, "/api/v1/walks/", walk_body(world, **fields))
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert Walk.objects.count() == 0


def test_dates_in_the_members_future_or_too_old_are_refused(world: World) -> None:
    today = local_today(world.member)
    for day in (today + timedelta(days=1), today - timedelta(days=8)):
        response = post(world, "/api/v1/walks/", walk_body(world, date=day.isoformat()))
        assert response.status_code == 400
        assert "date" in response.json()["errors"]
    week_ago = today - timedelta(days=7)
    assert (
        post(world, "/api/v1/walks/", walk_body(world, date=week_ago.isoformat())).status_code
        == 201
    )


def test_plan_item_must_be_the_members(world: World) -> None:
    _, mine = plan_with_items(pt=world.pt, member=world.member, n=1)
    _, theirs = plan_with_items(pt=world.pt_other, member=world.other_member, n=1)
    refused = post(world, "/api/v1/walks/", walk_body(world, plan_item=theirs[0].pk))
    assert refused.status_code == 400
    assert "plan_item" in refused.json()["errors"]
    stored = post(world, "/api/v1/walks/", walk_body(world, plan_item=mine[0].pk))
    assert stored.status_code == 201
    assert stored.json()["plan_item"] == mine[0].pk


def test_a_retry_answers_the_first_walk_and_other_content_is_a_conflict(world: World) -> None:
    body = walk_body(world)
    first = post(world, "/api/v1/walks/", body)
    again = post(world, "/api/v1/walks/", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = post(world, "/api/v1/walks/", {**body, "rests": 5})
    assert other.status_code == 409
    assert Walk.objects.count() == 1


def test_idempotency_key_replays_the_first_answer(world: World) -> None:
    body = walk_body(world, client_id=None)
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    first = post(world, "/api/v1/walks/", body, **key)
    again = post(world, "/api/v1/walks/", body, **key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again[REPLAYED_HEADER] == "true"
    assert again.json() == first.json()
    assert Walk.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_retries_store_one_walk(world: World) -> None:
    body = walk_body(world)
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def send() -> None:
        try:
            client = bearer_client(world.member.user)
            barrier.wait(timeout=30)
            statuses.append(client.post("/api/v1/walks/", body, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [200] * 7 + [201]
    assert Walk.objects.filter(member=world.member).count() == 1


def test_pt_reads_their_members_walks_coordinator_and_others_do_not(world: World) -> None:
    log_walk(member=world.member, local_date=local_today(world.member), total_minutes=10, rests=0)
    log_walk(
        member=world.other_member,
        local_date=local_today(world.other_member),
        total_minutes=12,
        rests=1,
    )
    pt = bearer_client(world.pt.user).get(f"/api/v1/walks/?member={world.member.pk}")
    assert pt.status_code == 200
    assert [w["member"] for w in pt.json()["results"]] == [world.member.pk]
    assert (
        bearer_client(world.pt.user)
        .get(f"/api/v1/walks/?member={world.other_member.pk}")
        .status_code
        == 400
    )
    assert bearer_client(world.coordinator).get("/api/v1/walks/").status_code == 404
    mine = bearer_client(world.member.user).get("/api/v1/walks/").json()
    assert [w["member"] for w in mine["results"]] == [world.member.pk]


def test_walk_list_queries_do_not_grow(world: World, django_assert_max_num_queries) -> None:
    today = local_today(world.member)
    for back in range(6):
        log_walk(
            member=world.member,
            local_date=today - timedelta(days=back),
            total_minutes=20,
            rests=1,
            minutes_to_symptoms=10,
        )
    client = bearer_client(world.pt.user)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/walks/")
    assert response.json()["count"] == 6
    with django_assert_max_num_queries(8):
        assert bearer_client(world.pt.user).get("/api/v1/symptom-checks/").status_code == 200


def test_tolerance_halved_over_two_weeks_alerts_the_pt(world: World) -> None:
    today = local_today(world.member)
    for back, minutes in ((12, 14), (10, 12), (8, 10), (5, 6)):
        log_walk(
            member=world.member,
            local_date=today - timedelta(days=back),
            total_minutes=30,
            rests=1,
            minutes_to_symptoms=minutes,
            now=timezone.now() - timedelta(days=back),  # recorded on the day
        )
    assert not Alert.objects.filter(kind=AlertKind.WALK_TOLERANCE_DROP).exists()
    response = post(world, "/api/v1/walks/", walk_body(world, minutes_to_symptoms=5))
    assert response.status_code == 201
    alert = Alert.objects.get(member=world.member, kind=AlertKind.WALK_TOLERANCE_DROP)
    # Days 8-14 back: 10, 12, 14 -> 12; last 7 days: 5, 6 -> 5.5 <= 6.
    assert alert.details["median_days_8_14"] == 12.0
    assert alert.details["median_last_7_days"] == 5.5
    assert alert.therapist == world.pt
    # Another low walk keeps one active alert, brought up to date.
    post(world, "/api/v1/walks/", walk_body(world, minutes_to_symptoms=2))
    assert (
        Alert.objects.filter(member=world.member, kind=AlertKind.WALK_TOLERANCE_DROP).count() == 1
    )


# --- symptom check-ins --------------------------------------------------------------------------


def test_member_checks_in_with_no_symptoms(world: World) -> None:
    response = post(world, "/api/v1/symptom-checks/", check_body(world))
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["numbness"], data["numbness_change"], data["emergency_guidance"]) == (
        "none",
        None,
        None,
    )
    assert data["pt_told"] is False


def test_change_is_required_where_a_symptom_is_felt(world: World) -> None:
    response = post(world, "/api/v1/symptom-checks/", check_body(world, tingling="left"))
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"tingling_change"}
    for bad in (
        {"numbness": "arm"},
        {"weakness": None},
        {"tingling": "left", "tingling_change": "x"},
    ):
        refused = post(world, "/api/v1/symptom-checks/", check_body(world, **bad))
        assert refused.status_code == 400
    assert SymptomCheck.objects.count() == 0


def test_new_weakness_gives_the_emergency_guidance_and_an_urgent_alert(world: World) -> None:
    log_symptom_check(
        member=world.member,
        local_date=local_today(world.member) - timedelta(days=7),
        numbness="left",
        numbness_change="same",
        tingling="none",
        weakness="none",
    )
    body = check_body(world, numbness="left", numbness_change="same", weakness="right")
    body["weakness_change"] = "worse"
    response = post(world, "/api/v1/symptom-checks/", body)
    assert response.status_code == 201
    guidance = response.json()["emergency_guidance"]
    assert guidance["lead"] == safety.RED_FLAG_LEAD
    assert guidance["signs"] == list(safety.RED_FLAG_SIGNS)
    assert response.json()["pt_told"] is True
    alert = Alert.objects.get(member=world.member, kind=AlertKind.LEG_WEAKNESS)
    assert alert.status == AlertStatus.OPEN
    assert alert.details["new"] is True
    listed = bearer_client(world.pt.user).get("/api/v1/alerts/").json()["results"]
    assert [a["kind"] for a in listed] == ["leg_weakness"]
    # A retry answers the same guidance and raises nothing new.
    again = post(world, "/api/v1/symptom-checks/", body)
    assert again.status_code == 200
    assert again.json()["emergency_guidance"] == guidance
    assert Alert.objects.filter(kind=AlertKind.LEG_WEAKNESS).count() == 1


def test_an_acknowledged_weakness_alert_opens_again_on_a_new_report(world: World) -> None:
    today = local_today(world.member)
    log_symptom_check(
        member=world.member,
        local_date=today - timedelta(days=7),
        numbness="none",
        tingling="none",
        weakness="left",
        weakness_change="worse",
    )
    alert = Alert.objects.get(kind=AlertKind.LEG_WEAKNESS)
    bearer_client(world.pt.user).post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    post(
        world, "/api/v1/symptom-checks/", check_body(world, weakness="both", weakness_change="same")
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert alert.details["more_sides"] is True


def test_spreading_numbness_and_worse_twice_running_alert(world: World) -> None:
    today = local_today(world.member)
    log_symptom_check(
        member=world.member,
        local_date=today - timedelta(days=7),
        numbness="left",
        numbness_change="worse",
        tingling="none",
        weakness="none",
    )
    response = post(
        world,
        "/api/v1/symptom-checks/",
        check_body(world, numbness="both", numbness_change="worse"),
    )
    assert response.status_code == 201
    assert response.json()["emergency_guidance"] is None
    kinds = set(Alert.objects.filter(member=world.member).values_list("kind", flat=True))
    assert kinds == {AlertKind.NUMBNESS_SPREADING, AlertKind.SYMPTOMS_WORSE}


def test_coordinator_cannot_read_check_ins(world: World) -> None:
    assert bearer_client(world.coordinator).get("/api/v1/symptom-checks/").status_code == 404
    assert (
        bearer_client(world.coordinator)
        .post("/api/v1/symptom-checks/", check_body(world), format="json")
        .status_code
        == 404
    )
