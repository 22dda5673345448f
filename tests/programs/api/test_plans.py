"""The plans and templates API: what a PT and a member see and may do."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.models import MovementBias, Plan
from tests.conftest import World, bearer_client
from tests.programs.factories_plans import (
    PlanExerciseFactory,
    PlanTemplateFactory,
    TemplateItemFactory,
    item,
    make_plan,
)

START = date(2025, 3, 3)


@pytest.fixture
def bridge(db: None):
    return PlanExerciseFactory.create(name="Glute bridge")


def _create_body(world: World, items: list[dict]) -> dict:
    return {
        "member": world.member.pk,
        "title": "Stenosis program",
        "start_date": "2025-03-03",
        "status": "active",
        "goals": "Walk to the shop",
        "note_to_member": "Stop if leg pain spreads.",
        "items": items,
    }


def test_pt_creates_a_plan_with_warnings_and_an_estimate(world: World, bridge) -> None:
    press_up = PlanExerciseFactory.create(
        name="Prone press-up", movement_bias=MovementBias.EXTENSION
    )
    client = bearer_client(world.pt.user)
    response = client.post(
        "/api/v1/plans/",
        _create_body(world, [item(bridge, sets=2, reps=10, rest_seconds=30), item(press_up)]),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["revision"] == 1 and body["status"] == "active"
    assert [i["exercise"]["name"] for i in body["items"]] == ["Glute bridge", "Prone press-up"]
    assert body["items"][0]["days_of_week"] == [0, 1, 2, 3, 4, 5, 6]
    assert body["warnings"][0]["code"] == "precaution_conflict"
    # 2 x 10 x 3 s + 30 s rest + 15 s, and 2 x 10 x 3 s + 30 s + 15 s (factory defaults)
    assert body["estimated_minutes"] == round((60 + 30 + 15) * 2 / 60, 1)
    assert body["member_name"] == world.member.user.display_name


def test_bad_items_answer_400_naming_the_field(world: World, bridge) -> None:
    client = bearer_client(world.pt.user)
    response = client.post(
        "/api/v1/plans/",
        _create_body(world, [item(bridge), item(bridge, reps=0), {"exercise": "²"}]),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["items[1].reps"] == ["Give a number from 1 to 100."]
    assert "items[2].exercise" in errors
    # The shape is right, the exercise is not one the PT can use: the service names it.
    response = client.post(
        "/api/v1/plans/", _create_body(world, [item(bridge), {"exercise": 10**9}]), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"items[1].exercise"}
    assert not Plan.objects.exists()


def test_member_reads_own_plan_but_never_writes(world: World, bridge) -> None:
    plan = make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START).plan
    member_client = bearer_client(world.member.user)
    assert member_client.get(f"/api/v1/plans/{plan.pk}/").status_code == 200
    response = member_client.patch(
        f"/api/v1/plans/{plan.pk}/", {"reason": "I want less", "title": "Mine"}, format="json"
    )
    assert response.status_code == 403
    assert "physical therapist" in response.json()["detail"]
    other = bearer_client(world.other_member.user)
    assert other.get(f"/api/v1/plans/{plan.pk}/").status_code == 404
    assert (
        other.patch(f"/api/v1/plans/{plan.pk}/", {"reason": "x"}, format="json").status_code == 404
    )
    assert (
        member_client.post(
            "/api/v1/plans/", _create_body(world, [item(bridge)]), format="json"
        ).status_code
        == 403
    )


def test_patch_makes_a_revision_with_a_readable_diff(world: World, bridge) -> None:
    bird = PlanExerciseFactory.create(name="Bird dog")
    plan = make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START).plan
    client = bearer_client(world.pt.user)
    detail = client.get(f"/api/v1/plans/{plan.pk}/").json()
    bridge_id = detail["items"][0]["id"]

    missing = client.patch(f"/api/v1/plans/{plan.pk}/", {"title": "x"}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]

    response = client.patch(
        f"/api/v1/plans/{plan.pk}/",
        {
            "reason": "Ready for more",
            "items": [{"id": bridge_id, "reps": 12}, {"exercise": bird.pk}],
            # Identity fields are not writable: ignored, never applied.
            "member": world.other_member.pk,
            "author": world.pt_other.pk,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["revision"] == 2 and body["member"] == world.member.pk
    assert body["author"] == world.pt.pk
    assert [(i["exercise"]["name"], i["reps"]) for i in body["items"]] == [
        ("Glute bridge", 12),
        ("Bird dog", 10),
    ]
    assert body["items"][0]["key"] == detail["items"][0]["key"]
    assert body["items"][0]["id"] != bridge_id

    client.patch(
        f"/api/v1/plans/{plan.pk}/", {"reason": "Flare-up", "status": "paused"}, format="json"
    )
    revisions = client.get(f"/api/v1/plans/{plan.pk}/revisions/").json()
    assert revisions["count"] == 3
    newest, middle, first = revisions["results"]
    assert newest["changes"] == ["Status: active → paused"] and newest["reason"] == "Flare-up"
    assert middle["changes"] == ["Glute bridge: reps 10 → 12", "Added Bird dog"]
    assert middle["author_name"] == world.pt.user.display_name
    assert first["number"] == 1
    # The member reads the same history.
    assert (
        bearer_client(world.member.user).get(f"/api/v1/plans/{plan.pk}/revisions/").json()["count"]
        == 3
    )
    at_one = client.get(f"/api/v1/plans/{plan.pk}/?revision=1").json()
    assert [(i["exercise"]["name"], i["reps"]) for i in at_one["items"]] == [("Glute bridge", 10)]
    assert client.get(f"/api/v1/plans/{plan.pk}/?revision=9").status_code == 400


def test_activating_a_second_plan_is_a_conflict(world: World, bridge) -> None:
    make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START)
    draft = make_plan(
        pt=world.pt, member=world.member, items=[item(bridge)], start=START, status="draft"
    ).plan
    client = bearer_client(world.pt.user)
    response = client.patch(
        f"/api/v1/plans/{draft.pk}/", {"reason": "Start", "status": "active"}, format="json"
    )
    assert response.status_code == 409
    assert "already has an active plan" in response.json()["detail"]
    response = client.post("/api/v1/plans/", _create_body(world, [item(bridge)]), format="json")
    assert response.status_code == 409


def test_create_from_a_template(world: World) -> None:
    first = TemplateItemFactory.create(order=0, sets=3, reps=8)
    TemplateItemFactory.create(template=first.template, order=1)
    foreign = PlanTemplateFactory.create(organization=world.other_org)
    client = bearer_client(world.pt.user)
    body = {k: v for k, v in _create_body(world, []).items() if k != "items"}
    response = client.post("/api/v1/plans/", body | {"template": first.template.pk}, format="json")
    assert response.status_code == 201, response.content
    assert [(i["sets"], i["reps"]) for i in response.json()["items"]] == [(3, 8), (2, 10)]
    assert response.json()["template"] == first.template.pk
    response = client.post("/api/v1/plans/", body | {"template": foreign.pk}, format="json")
    assert response.status_code == 400 and "template" in response.json()["errors"]


def test_detail_queries_do_not_grow_with_items(world: World) -> None:
    counts = []
    for n, member, pt in ((2, world.member, world.pt), (12, world.other_member, world.pt_other)):
        exercises = PlanExerciseFactory.create_batch(n)
        plan = make_plan(pt=pt, member=member, items=[item(e) for e in exercises], start=START).plan
        client = bearer_client(pt.user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/plans/{plan.pk}/")
        assert len(response.json()["items"]) == n
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1] <= 8, counts


def test_coordinators_see_no_plan_contents(world: World, bridge) -> None:
    plan = make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START).plan
    client = bearer_client(world.coordinator)
    assert client.get(f"/api/v1/plans/{plan.pk}/").status_code == 404
    assert client.get("/api/v1/plans/").status_code == 404


def test_templates_global_and_own_org_and_pt_creates_one(world: World, bridge) -> None:
    global_template = TemplateItemFactory.create().template
    own = PlanTemplateFactory.create(organization=world.org)
    PlanTemplateFactory.create(organization=world.other_org)
    client = bearer_client(world.pt.user)
    listed = client.get("/api/v1/templates/").json()
    assert {row["id"] for row in listed["results"]} == {global_template.pk, own.pk}
    response = client.post(
        "/api/v1/templates/",
        {
            "name": "Our hip protocol",
            "condition": "hip",
            "phase": 1,
            "items": [item(bridge, sets=3, reps=12)],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organization"] == world.org.pk and body["is_global"] is False
    assert body["items"][0]["reps"] == 12
    foreign = bearer_client(world.foreign_pt.user)
    assert foreign.get(f"/api/v1/templates/{body['id']}/").status_code == 404
    bad = client.post(
        "/api/v1/templates/",
        {"name": "x", "condition": "hip", "items": [item(bridge, sets=0)]},
        format="json",
    )
    assert bad.status_code == 400 and "items[0].sets" in bad.json()["errors"]


def test_list_filters_check_their_values(world: World, bridge) -> None:
    make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START)
    client = bearer_client(world.pt.user)
    assert client.get("/api/v1/plans/?status=active").json()["count"] == 1
    assert client.get("/api/v1/plans/?status=paused").json()["count"] == 0
    assert client.get(f"/api/v1/plans/?member={world.member.pk}").json()["count"] == 1
    for bad in ("status=", "status=done", "member=abc"):
        response = client.get(f"/api/v1/plans/?{bad}")
        assert response.status_code == 400, bad
        assert set(response.json()["errors"]) == {bad.split("=")[0]}
