"""`/api/v1/suggestions/`: the PT's caseload's suggestions with rule and evidence, filters,
accept (one revision, 409 when stale or decided), dismiss (a reason, 400 without), and a
fixed number of queries for the list."""

from __future__ import annotations

import pytest

from programs.models import PlanItem, PlanRevision, ProgressionSuggestion
from programs.services import suggestions as services
from programs.services.plans import revise_plan
from tests.conftest import World, bearer_client
from tests.programs.suggestion_helpers import bridge_plan, days_back, log_on

pytestmark = pytest.mark.django_db


def _suggested(world: World, member=None, pt=None) -> ProgressionSuggestion:
    member = member or world.member
    _plan, bridge, walk, _, _ = bridge_plan(pt=pt or world.pt, member=member)
    for day in days_back(member, 5, 3, 1):
        log_on(member, day, [(bridge, {"feedback": "too_easy"}), (walk, {})])
    services.evaluate_member(member_id=member.pk)
    return ProgressionSuggestion.objects.get(member=member, rule="too_easy")


def test_list_names_the_rule_and_the_evidence(world: World) -> None:
    suggestion = _suggested(world)
    body = bearer_client(world.pt.user).get("/api/v1/suggestions/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == suggestion.pk
    assert row["rule"] == "too_easy" and row["status"] == "pending"
    assert row["exercise"]["name"] == "Glute bridge"
    assert row["proposal"]["exercise_name"] == "Single-leg bridge"
    assert [e["feedback"] for e in row["evidence"]["entries"]] == ["too_easy"] * 3
    assert "Single-leg bridge" in row["summary"]


def test_filters_member_and_status(world: World) -> None:
    _suggested(world)
    client = bearer_client(world.pt.user)
    assert client.get(f"/api/v1/suggestions/?member={world.member.pk}").json()["count"] == 1
    assert client.get("/api/v1/suggestions/?status=dismissed").json()["count"] == 0
    bad = client.get("/api/v1/suggestions/?status=maybe")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]
    other = client.get(f"/api/v1/suggestions/?member={world.other_member.pk}")
    assert other.status_code == 400 and "member" in other.json()["errors"]


def test_other_roles_see_none(world: World) -> None:
    suggestion = _suggested(world)
    for user in (world.member.user, world.coordinator, world.pt_other.user, world.foreign_pt.user):
        client = bearer_client(user)
        listed = client.get("/api/v1/suggestions/")
        assert listed.status_code in (200, 404)
        if listed.status_code == 200:
            assert listed.json()["count"] == 0
        assert client.post(f"/api/v1/suggestions/{suggestion.pk}/accept/").status_code == 404
    assert ProgressionSuggestion.objects.get(pk=suggestion.pk).status == "pending"


def test_accept_is_one_tap_and_one_revision(world: World) -> None:
    suggestion = _suggested(world)
    plan = suggestion.plan
    before = PlanRevision.objects.filter(plan=plan).count()
    client = bearer_client(world.pt.user)
    response = client.post(f"/api/v1/suggestions/{suggestion.pk}/accept/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert PlanRevision.objects.filter(plan=plan).count() == before + 1
    # Another exercise is another prescription: the old item ended, the new one written.
    assert not PlanItem.objects.filter(
        key=suggestion.item_key, valid_to_revision__isnull=True
    ).exists()
    swapped = PlanItem.objects.filter(plan=plan, valid_to_revision__isnull=True).order_by("order")
    assert next(i.exercise.name for i in swapped) == "Single-leg bridge"
    today = bearer_client(world.member.user).get("/api/v1/today/").json()
    assert today["items"][0]["exercise"]["name"] == "Single-leg bridge"
    assert today["items"][0]["dose_text"] == "2 sets of 8 reps"
    again = client.post(f"/api/v1/suggestions/{suggestion.pk}/accept/")
    assert again.status_code == 409
    assert PlanRevision.objects.filter(plan=plan).count() == before + 1


def test_accept_on_a_plan_revised_since_is_a_conflict_and_closes_it(world: World) -> None:
    suggestion = _suggested(world)
    plan = suggestion.plan
    # A revision made while the suggestion waits (as a second PT tab would): the service's
    # own closing is undone to exercise the accept path's check.
    revise_plan(user=world.pt.user, plan=plan, reason="Title", title="Renamed")
    ProgressionSuggestion.objects.filter(pk=suggestion.pk).update(status="pending")
    response = bearer_client(world.pt.user).post(f"/api/v1/suggestions/{suggestion.pk}/accept/")
    assert response.status_code == 409
    assert set(response.json()) == {"detail", "errors"}
    assert ProgressionSuggestion.objects.get(pk=suggestion.pk).status == "stale"
    assert PlanRevision.objects.filter(plan=plan).count() == 2


def test_dismiss_needs_a_reason(world: World) -> None:
    suggestion = _suggested(world)
    client = bearer_client(world.pt.user)
    missing = client.post(f"/api/v1/suggestions/{suggestion.pk}/dismiss/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    blank = client.post(
        f"/api/v1/suggestions/{suggestion.pk}/dismiss/", {"reason": " "}, format="json"
    )
    assert blank.status_code == 400 and "reason" in blank.json()["errors"]
    done = client.post(
        f"/api/v1/suggestions/{suggestion.pk}/dismiss/",
        {"reason": "Wait for the scan"},
        format="json",
    )
    assert done.status_code == 200
    assert done.json()["status"] == "dismissed"
    assert done.json()["dismiss_reason"] == "Wait for the scan"
    assert PlanRevision.objects.filter(plan=suggestion.plan).count() == 1  # nothing changed


def test_list_is_a_fixed_number_of_queries(world: World, django_assert_max_num_queries) -> None:
    from tests import factories

    _suggested(world)
    for n in range(4):
        member = factories.MemberFactory.create(
            user__organization=world.org, user__username=f"m{n}"
        )
        factories.CareAssignmentFactory.create(member=member, therapist=world.pt)
        _suggested(world, member=member)
    client = bearer_client(world.pt.user)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/suggestions/").json()
    assert body["count"] == 5


def test_an_empty_page_is_a_400_naming_it(world: World) -> None:
    response = bearer_client(world.pt.user).get("/api/v1/suggestions/?page=")
    assert response.status_code == 400 and "page" in response.json()["errors"]
