"""The plan builder's page and its preview API: who reaches them, what they carry."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import connection
from django.test import Client

from members.models import User
from programs.models import MovementBias
from tests.conftest import World, bearer_client
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan

START = date(2025, 3, 3)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _config(response: object) -> dict:
    html = response.content.decode()  # type: ignore[attr-defined]
    start = html.index('<script id="plan-builder-config" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    return dict(json.loads(body))


def test_a_pt_opens_a_new_plan_for_their_member(world: World) -> None:
    response = _client(world.pt.user).get(f"/caseload/{world.member.pk}/plan/")
    assert response.status_code == 200
    config = _config(response)
    assert config["member"] == world.member.pk and config["plan"] is None
    assert config["api"]["preview"] == "/api/v1/plans/preview/"
    assert "A new plan for" in response.content.decode()


def test_a_pt_adjusts_their_members_plan(world: World) -> None:
    plan = make_plan(
        pt=world.pt, member=world.member, items=[item(PlanExerciseFactory.create())], start=START
    ).plan
    response = _client(world.pt.user).get(f"/plans/{plan.pk}/edit/")
    assert response.status_code == 200
    assert _config(response)["plan"] == plan.pk


@pytest.mark.parametrize(
    "who", ["pt_other", "member", "coordinator", "foreign_pt", "foreign_coordinator", "staff"]
)
def test_anyone_else_gets_404(world: World, who: str) -> None:
    plan = make_plan(
        pt=world.pt, member=world.member, items=[item(PlanExerciseFactory.create())], start=START
    ).plan
    user = {
        "pt_other": world.pt_other.user,
        "member": world.member.user,
        "coordinator": world.coordinator,
        "foreign_pt": world.foreign_pt.user,
        "foreign_coordinator": world.foreign_coordinator,
        "staff": world.staff,
    }[who]
    client = _client(user)
    assert client.get(f"/caseload/{world.member.pk}/plan/").status_code == 404
    assert client.get(f"/plans/{plan.pk}/edit/").status_code == 404


def test_the_caseload_links_each_member_to_their_plan_in_constant_queries(
    world: World, django_assert_max_num_queries: object
) -> None:
    plan = make_plan(
        pt=world.pt, member=world.member, items=[item(PlanExerciseFactory.create())], start=START
    ).plan
    client = _client(world.pt.user)
    html = client.get("/caseload/").content.decode()
    assert f'href="/plans/{plan.pk}/edit/"' in html
    # A second member without a plan gets the "New plan" link.
    from tests.factories import CareAssignmentFactory, MemberFactory

    other = MemberFactory.create(user__organization=world.org)
    CareAssignmentFactory.create(member=other, therapist=world.pt)
    for _ in range(5):
        extra = MemberFactory.create(user__organization=world.org)
        CareAssignmentFactory.create(member=extra, therapist=world.pt)
    # 8 for the page and its plan links, 7 for the members' adherence figures (their rows, the
    # roll-ups grouped in the database and the open alerts' count), 1 the audit row,
    # 1 the pending progression suggestions, 2 for the lessons read (constant: read and assigned
    # counts for all rows at once), 2 for unread messages (per member for the links, and the
    # navigation's count), 2 for the walking figures (the latest week's and the trend's rows for
    # all members at once).
    # On PostgreSQL three more: the dashboard's `SET LOCAL jit = off` and the transaction it
    # lives in (a savepoint pair inside the test's transaction).
    budget = 26 if connection.vendor == "postgresql" else 23
    with django_assert_max_num_queries(budget):  # type: ignore[operator]
        html = client.get("/caseload/").content.decode()
    assert f'href="/caseload/{other.pk}/plan/"' in html


def test_preview_gives_warnings_and_the_estimate_without_saving(world: World) -> None:
    world.member.condition = "lumbar_spinal_stenosis"
    world.member.save()
    press_up = PlanExerciseFactory.create(
        name="Prone press-up", movement_bias=MovementBias.EXTENSION
    )
    client = bearer_client(world.pt.user)
    body = {"member": world.member.pk, "items": [item(press_up, sets=2, reps=10)]}
    response = client.post("/api/v1/plans/preview/", body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert [w["code"] for w in data["warnings"]] == ["precaution_conflict"]
    assert data["estimated_minutes"] > 0
    assert not world.member.plans.exists()


def test_preview_names_the_bad_field_and_refuses_other_caseloads(world: World) -> None:
    bridge = PlanExerciseFactory.create()
    client = bearer_client(world.pt.user)
    bad = {"member": world.member.pk, "items": [item(bridge, reps=0)]}
    response = client.post("/api/v1/plans/preview/", bad, format="json")
    assert response.status_code == 400
    assert "items[0].reps" in response.json()["errors"]
    other = {"member": world.other_member.pk, "items": [item(bridge)]}
    response = client.post("/api/v1/plans/preview/", other, format="json")
    assert response.status_code == 400 and "member" in response.json()["errors"]
    member = bearer_client(world.member.user)
    assert member.post("/api/v1/plans/preview/", other, format="json").status_code == 403
    assert (
        bearer_client(world.coordinator)
        .post("/api/v1/plans/preview/", other, format="json")
        .status_code
        == 404
    )


def test_the_builder_saves_with_the_pts_session_only_with_the_csrf_token(world: World) -> None:
    # The page is a client of the API with the session cookie: a forged cross-site PATCH (no
    # token) must change nothing, the page's own request (token from the cookie) works.
    bridge = PlanExerciseFactory.create()
    plan = make_plan(pt=world.pt, member=world.member, items=[item(bridge)], start=START).plan
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.pt.user)
    assert client.get(f"/plans/{plan.pk}/edit/").status_code == 200
    token = client.cookies["csrftoken"].value
    body = {"reason": "Progressing", "title": "Harder"}
    forged = client.patch(f"/api/v1/plans/{plan.pk}/", body, content_type="application/json")
    assert forged.status_code == 403
    plan.refresh_from_db()
    assert plan.revision == 1 and plan.title != "Harder"
    saved = client.patch(
        f"/api/v1/plans/{plan.pk}/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["revision"] == 2 and saved.json()["title"] == "Harder"


def test_the_caseload_offers_a_new_plan_beside_the_current_one(world: World) -> None:
    plan = make_plan(
        pt=world.pt, member=world.member, items=[item(PlanExerciseFactory.create())], start=START
    ).plan
    html = _client(world.pt.user).get("/caseload/").content.decode()
    assert f'href="/plans/{plan.pk}/edit/"' in html
    assert f'href="/caseload/{world.member.pk}/plan/"' in html


def test_the_builder_shows_when_to_move_on_for_each_template(world: World) -> None:
    from tests.programs.factories_plans import PlanTemplateFactory

    PlanTemplateFactory.create(
        name="A Stenosis phase 1", progression_criteria="Move on when walks reach 15 minutes."
    )
    html = _client(world.pt.user).get(f"/caseload/{world.member.pk}/plan/").content.decode()
    assert "When to move on:" in html
    assert 'data-criteria="Move on when walks reach 15 minutes."' in html
