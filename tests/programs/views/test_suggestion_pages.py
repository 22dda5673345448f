"""Suggestions on the caseload page and in the plan builder: listed with their evidence,
accepted with one tap (a revision) or dismissed with a reason, plain forms."""

from __future__ import annotations

import pytest
from django.test import Client

from members.models import User
from programs.models import PlanRevision, ProgressionSuggestion
from programs.services import suggestions as services
from tests.conftest import World
from tests.programs.suggestion_helpers import bridge_plan, days_back, log_on

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _suggested(world: World) -> ProgressionSuggestion:
    _, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    for day in days_back(world.member, 5, 3, 1):
        log_on(world.member, day, [(bridge, {"feedback": "too_easy"}), (walk, {})])
    services.evaluate_member(member_id=world.member.pk)
    return ProgressionSuggestion.objects.get(rule="too_easy")


def test_caseload_and_builder_show_the_suggestion_with_its_evidence(world: World) -> None:
    suggestion = _suggested(world)
    client = signed_in(world.pt.user)
    page = client.get("/caseload/").content.decode()
    assert 'data-testid="suggestion"' in page
    assert "Suggest Single-leg bridge" in page
    assert page.count("too easy") >= 3
    builder = client.get(f"/plans/{suggestion.plan_id}/edit/").content.decode()
    assert 'data-rule="too_easy"' in builder
    other = signed_in(world.pt_other.user).get("/caseload/").content.decode()
    assert 'data-testid="no-suggestions"' in other


def test_accept_from_the_builder_comes_back_to_it(world: World) -> None:
    suggestion = _suggested(world)
    response = signed_in(world.pt.user).post(
        f"/caseload/suggestions/{suggestion.pk}/accept/", {"back": "builder"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{suggestion.plan_id}/edit/"
    assert PlanRevision.objects.filter(plan=suggestion.plan).count() == 2


def test_dismiss_without_a_reason_changes_nothing(world: World) -> None:
    suggestion = _suggested(world)
    client = signed_in(world.pt.user)
    client.post(f"/caseload/suggestions/{suggestion.pk}/dismiss/", {"reason": ""})
    assert ProgressionSuggestion.objects.get(pk=suggestion.pk).status == "pending"
    client.post(f"/caseload/suggestions/{suggestion.pk}/dismiss/", {"reason": "Next visit"})
    assert ProgressionSuggestion.objects.get(pk=suggestion.pk).dismiss_reason == "Next visit"


def test_others_get_404(world: World) -> None:
    suggestion = _suggested(world)
    for user in (world.pt_other.user, world.member.user, world.coordinator, world.foreign_pt.user):
        response = signed_in(user).post(f"/caseload/suggestions/{suggestion.pk}/accept/")
        assert response.status_code == 404
    assert ProgressionSuggestion.objects.get(pk=suggestion.pk).status == "pending"


def test_the_caseload_reads_suggestions_in_one_query_however_many(
    world: World, django_assert_max_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _suggested(world)
    client = signed_in(world.pt.user)
    with CaptureQueriesContext(connection) as one:
        client.get("/caseload/")
    ProgressionSuggestion.objects.create(
        **{
            f.attname: getattr(ProgressionSuggestion.objects.get(), f.attname)
            for f in ProgressionSuggestion._meta.concrete_fields
            if f.attname not in ("id", "rule")
        },
        rule="top_of_dose",
    )
    with CaptureQueriesContext(connection) as two:
        page = client.get("/caseload/").content.decode()
    assert page.count('data-testid="suggestion"') == 2
    assert len(one) == len(two)
