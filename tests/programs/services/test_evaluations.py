"""The progression outbox (programs.services.evaluations): a change writes the member's row in
its own transaction, the sweep queues one evaluation per row, oldest first, and the evaluation
deletes the row only at the version it was queued for. Tasks run eagerly here; the real worker
runs them in tests/integration/test_celery_worker.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import SessionLog
from members.services.sessions import EntryInput, correct_session, log_session
from programs.models import PendingEvaluation, ProgressionSuggestion
from programs.services import evaluations
from programs.services.plans import revise_plan
from programs.tasks import evaluate_progression
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import local_today, plan_with_items, session_body
from tests.programs.suggestion_helpers import bridge_plan, too_easy_run

pytestmark = pytest.mark.django_db


def _row(member_id: int) -> PendingEvaluation:
    return PendingEvaluation.objects.get(member_id=member_id)


def _log(world: World, items) -> None:
    log_session(
        member=world.member,
        local_date=local_today(world.member),
        status="completed",
        entries=[EntryInput(plan_item=i.pk, status="done") for i in items],
    )


def test_a_logged_session_writes_the_row_and_a_second_change_bumps_its_version(
    world: World,
) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    _log(world, items)
    first = _row(world.member.pk)
    assert (first.version, first.queued_at) == (1, None)
    PendingEvaluation.objects.filter(pk=first.pk).update(queued_at=timezone.now())
    _log(world, items)
    second = _row(world.member.pk)
    # A change after the sweep queued it: a newer version, to be queued again.
    assert (second.version, second.queued_at) == (2, None)
    assert second.requested_at == first.requested_at  # the oldest change keeps its place


def test_the_row_is_part_of_the_change_and_rolls_back_with_it(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    with pytest.raises(RuntimeError), transaction.atomic():
        _log(world, items)
        assert PendingEvaluation.objects.filter(member_id=world.member.pk).exists()
        raise RuntimeError("the request failed after the write")
    assert not PendingEvaluation.objects.exists()


def test_a_retried_session_post_asks_for_nothing_more(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=6)
    client = bearer_client(world.member.user)
    body = session_body(world.member, items)
    assert client.post("/api/v1/sessions/", body, format="json").status_code == 201
    assert client.post("/api/v1/sessions/", body, format="json").status_code == 200
    assert _row(world.member.pk).version == 1
    # A session without exercises (skipped) goes the other way on PostgreSQL: asked for too.
    skipped = session_body(world.member, [], status="skipped")
    assert client.post("/api/v1/sessions/", skipped, format="json").status_code == 201
    assert _row(world.member.pk).version == 2


def test_a_correction_and_a_plan_revision_ask_for_an_evaluation(world: World) -> None:
    plan, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    _log(world, items)
    PendingEvaluation.objects.all().delete()
    logged = SessionLog.objects.get(member=world.member)
    correct_session(session=logged, changes={"pain_after": 6})
    assert _row(world.member.pk).version == 1
    PendingEvaluation.objects.all().delete()
    revise_plan(user=world.pt.user, plan=plan, reason="New title", title="Spring program")
    assert _row(world.member.pk).version == 1


def test_the_sweep_evaluates_the_oldest_first_and_deletes_what_it_evaluated(
    world: World,
) -> None:
    _, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    too_easy_run(world.member, bridge, walk)
    now = timezone.now()
    for member, minutes in ((world.other_member, 3), (world.member, 2), (world.foreign_member, 1)):
        PendingEvaluation.objects.create(
            member=member, requested_at=now - timedelta(minutes=minutes), version=1
        )
    assert evaluations.queue_pending(limit=2) == 2
    assert list(PendingEvaluation.objects.values_list("member_id", flat=True)) == [
        world.foreign_member.pk
    ]
    assert ProgressionSuggestion.objects.get().member_id == world.member.pk
    assert evaluations.queue_pending() == 1
    assert evaluations.queue_pending() == 0
    assert not PendingEvaluation.objects.exists()


def test_a_change_during_the_evaluation_keeps_the_row_for_the_next_sweep(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    _log(world, items)
    queued_at = timezone.now()
    PendingEvaluation.objects.update(queued_at=queued_at)
    _log(world, items)  # committed after the sweep read version 1
    evaluate_progression(world.member.pk, 1)  # the task queued at version 1
    row = _row(world.member.pk)
    assert (row.version, row.queued_at) == (2, None)
    assert evaluations.queue_pending() == 1
    assert not PendingEvaluation.objects.exists()


def test_a_queued_row_is_queued_again_only_once_it_must_have_been_lost(world: World) -> None:
    now = timezone.now()
    PendingEvaluation.objects.create(
        member=world.member, requested_at=now, version=1, queued_at=now - timedelta(minutes=1)
    )
    assert evaluations.queue_pending(now=now) == 0  # the task is on its way
    later = now + evaluations.REQUEUE_AFTER
    assert evaluations.queue_pending(now=later) == 1
    assert not PendingEvaluation.objects.exists()


def test_with_the_broker_away_the_rows_wait_unqueued(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broker_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(evaluate_progression, "apply_async", broker_down)
    now = timezone.now()
    for member in (world.member, world.other_member):
        PendingEvaluation.objects.create(member=member, requested_at=now, version=1)
    assert evaluations.queue_pending(now=now) == 0
    assert set(PendingEvaluation.objects.values_list("queued_at", flat=True)) == {None}
    monkeypatch.undo()
    assert evaluations.queue_pending() == 2


def test_a_task_queued_before_the_outbox_still_evaluates(world: World) -> None:
    _, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    too_easy_run(world.member, bridge, walk)
    assert evaluate_progression(world.member.pk) == 1


@pytest.mark.parametrize("rows", [1, 3])
def test_the_sweep_claims_in_two_statements_whatever_the_number_of_rows(
    world: World, rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claim (rows locked, then marked queued); the tasks go to the broker, recorded here
    instead of run eagerly, with each row's version."""
    sent: list[tuple[object, ...]] = []
    monkeypatch.setattr(
        evaluate_progression, "apply_async", lambda args, kwargs, **options: sent.append(args)
    )
    now = timezone.now()
    members = [world.member, world.other_member, world.foreign_member][:rows]
    for member in members:
        PendingEvaluation.objects.create(member=member, requested_at=now, version=4)
    with CaptureQueriesContext(connection) as captured:
        assert evaluations.queue_pending(now=now) == rows
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, statements
    assert sorted(sent) == sorted((m.pk, 4) for m in members)
    assert set(PendingEvaluation.objects.values_list("queued_at", flat=True)) == {now}
