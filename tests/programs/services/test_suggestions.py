"""Suggestions kept from the rules: one per item and rule, idempotent, never re-suggesting what
was dismissed; accept makes exactly one revision with the proposed dose, which today shows;
a plan revised since makes a suggestion stale."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from members.selectors.sessions import today_for
from programs.models import PlanItem, PlanRevision, ProgressionSuggestion
from programs.services import suggestions as services
from programs.services.plans import revise_plan
from tests.conftest import World
from tests.programs.suggestion_helpers import (
    bridge_plan,
    days_back,
    log_on,
    too_easy_run,
    too_easy_run_ending_today,
)

pytestmark = pytest.mark.django_db


def test_too_easy_run_gives_one_pending_suggestion_and_a_second_run_adds_nothing(
    world: World,
) -> None:
    plan, bridge, walk, harder, _ = bridge_plan(pt=world.pt, member=world.member)
    too_easy_run(world.member, bridge, walk)
    assert services.evaluate_member(member_id=world.member.pk) == 1
    assert services.evaluate_member(member_id=world.member.pk) == 0
    suggestion = ProgressionSuggestion.objects.get()
    assert (suggestion.rule, suggestion.status, suggestion.plan_item_id) == (
        "too_easy",
        "pending",
        bridge.pk,
    )
    assert suggestion.proposal["exercise"] == harder.pk
    assert len(suggestion.evidence["entries"]) == 3
    assert suggestion.plan_revision == plan.revision


def test_one_pending_per_item_and_rule_is_a_database_constraint(world: World) -> None:
    from django.db import IntegrityError, transaction

    _, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    too_easy_run(world.member, bridge, walk)
    services.evaluate_member(member_id=world.member.pk)
    twin = ProgressionSuggestion.objects.get()
    twin.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_accept_makes_one_revision_and_today_shows_the_harder_exercise(world: World) -> None:
    plan, bridge, walk, harder, _ = bridge_plan(pt=world.pt, member=world.member)
    too_easy_run(world.member, bridge, walk)
    services.evaluate_member(member_id=world.member.pk)
    suggestion = ProgressionSuggestion.objects.get()
    before = PlanRevision.objects.filter(plan=plan).count()
    services.accept_suggestion(user=world.pt.user, suggestion=suggestion)
    assert PlanRevision.objects.filter(plan=plan).count() == before + 1
    revision = PlanRevision.objects.filter(plan=plan).latest("number")
    assert revision.reason.startswith("Accepted suggestion (Too easy")
    assert revision.changes == ["Swapped Glute bridge for Single-leg bridge"]
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.revision_id, suggestion.decided_by_id) == (
        "accepted",
        revision.pk,
        world.pt.user.pk,
    )
    today = today_for(world.member)
    shown = [(i.exercise["id"], i.dose["sets"], i.dose["reps"]) for i in today.items]
    assert (harder.pk, 2, 8) in shown
    assert all(e != bridge.exercise_id for e, _, _ in shown)
    # The walk's item was not touched (same days, same dose).
    assert PlanItem.objects.get(plan=plan, key=walk.key, valid_to_revision__isnull=True).reps == 5
    # Accepting twice: a conflict, not a second revision.
    with pytest.raises(services.SuggestionConflict):
        services.accept_suggestion(user=world.pt.user, suggestion=suggestion)
    assert PlanRevision.objects.filter(plan=plan).count() == before + 1


def test_accept_a_set_more_after_two_weeks_at_the_top(world: World) -> None:
    plan, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    for day in days_back(world.member, 13, 11, 9, 6, 4, 2):
        log_on(world.member, day, [(bridge, {}), (walk, {"feedback": "too_hard"})])
    services.evaluate_member(member_id=world.member.pk)
    top = ProgressionSuggestion.objects.get(rule="top_of_dose")
    assert top.evidence["trigger"] == "two_weeks_at_top"
    services.accept_suggestion(user=world.pt.user, suggestion=top)
    current = PlanItem.objects.get(plan=plan, key=bridge.key, valid_to_revision__isnull=True)
    assert (current.exercise_id, current.sets, current.reps) == (bridge.exercise_id, 3, 10)
    assert current.days_mask == bridge.days_mask and current.times_per_day == bridge.times_per_day
    # The walk, rated too hard twice running, got its own suggestion; it is stale now.
    assert ProgressionSuggestion.objects.get(rule="ease_off").status == "stale"


def test_dismissed_evidence_is_not_suggested_again(world: World) -> None:
    _, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    too_easy_run(world.member, bridge, walk, ago=(9, 8, 7))
    services.evaluate_member(member_id=world.member.pk)
    suggestion = ProgressionSuggestion.objects.get()
    with pytest.raises(ValidationError):
        services.dismiss_suggestion(user=world.pt.user, suggestion=suggestion, reason="  ")
    services.dismiss_suggestion(
        user=world.pt.user, suggestion=suggestion, reason="Knee sore this week"
    )
    assert services.evaluate_member(member_id=world.member.pk) == 0
    # Two more too-easy sessions are not a new run of three...
    too_easy_run(world.member, bridge, walk, ago=(5, 4))
    assert services.evaluate_member(member_id=world.member.pk) == 0
    # ...a third is.
    too_easy_run(world.member, bridge, walk, ago=(3,))
    assert services.evaluate_member(member_id=world.member.pk) == 1
    new = ProgressionSuggestion.objects.get(status="pending")
    assert {e["date"] for e in new.evidence["entries"]} == {
        d.isoformat() for d in days_back(world.member, 5, 4, 3)
    }


def test_a_plan_revised_since_makes_the_suggestion_stale(world: World) -> None:
    plan, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    too_easy_run(world.member, bridge, walk)
    services.evaluate_member(member_id=world.member.pk)
    suggestion = ProgressionSuggestion.objects.get()
    revise_plan(user=world.pt.user, plan=plan, reason="New title", title="Spring program")
    suggestion.refresh_from_db()
    assert suggestion.status == "stale"
    # Still true on the new plan: suggested again, on the new revision.
    services.evaluate_member(member_id=world.member.pk)
    again = ProgressionSuggestion.objects.get(status="pending")
    assert again.plan_revision == plan.revision + 1
    # A pending one made on an older revision is refused.
    ProgressionSuggestion.objects.filter(pk=again.pk).update(plan_revision=1)
    with pytest.raises(services.StaleSuggestion):
        services.accept_suggestion(user=world.pt.user, suggestion=again)


def test_another_pt_may_not_decide(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    _, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    too_easy_run(world.member, bridge, walk)
    services.evaluate_member(member_id=world.member.pk)
    suggestion = ProgressionSuggestion.objects.get()
    with pytest.raises(PermissionDenied):
        services.accept_suggestion(user=world.pt_other.user, suggestion=suggestion)


def test_logging_a_session_has_it_evaluated_by_the_next_sweep(world: World) -> None:
    from programs.models import PendingEvaluation
    from programs.services.evaluations import queue_pending

    _, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    too_easy_run_ending_today(world.member, bridge, walk)
    assert not ProgressionSuggestion.objects.exists()  # nothing until the sweep
    assert PendingEvaluation.objects.get().member_id == world.member.pk
    assert queue_pending() == 1  # tasks run eagerly in these tests
    assert ProgressionSuggestion.objects.filter(rule="too_easy", status="pending").count() == 1
    assert not PendingEvaluation.objects.exists()


def test_evaluation_is_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries
) -> None:
    _, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    for day in days_back(world.member, *range(20, 0, -1)):
        log_on(
            world.member,
            day,
            [(bridge, {"feedback": "too_easy"}), (walk, {"feedback": "too_hard"})],
        )
    with django_assert_max_num_queries(12):
        services.evaluate_member(member_id=world.member.pk)
    assert ProgressionSuggestion.objects.count() == 3
