"""A session's figures written without holding the member's lock while reading
(members.services.adherence.refresh_session_day on PostgreSQL): the write goes in only if the
figures' row is still the one read, else it reads again, and after OPTIMISTIC_TRIES it takes
the lock first. Whatever the interleaving, the figures are those a full rebuild gives."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from members.models import AdherenceDay, AdherenceWeek, MemberAdherence, SessionLog
from members.services import adherence
from members.services.adherence import refresh_adherence
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import local_today, plan_with_items, session_body

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the guarded write is PostgreSQL's"
)


def _figures(member_id: int) -> dict[str, Any]:
    return {
        "days": sorted(
            AdherenceDay.objects.filter(member_id=member_id).values_list(
                "date", "prescribed", "due", "done", "credited", "has_data", "pain_total",
                "pain_count",
            )
        ),
        "weeks": sorted(
            AdherenceWeek.objects.filter(member_id=member_id).values_list(
                "week_start", "due", "credited", "active_days"
            )
        ),
        "summary": list(
            MemberAdherence.objects.filter(member_id=member_id).values(
                "as_of", "prescribed", "completed", "adherence", "active_days_30",
                "current_streak", "best_streak", "first_active", "last_active", "has_plan",
                "this_week", "last_week", "pain_first_week", "pain_last_week", "risk",
            )
        ),
    }  # fmt: skip


def _rebuilt(member_id: int) -> dict[str, Any]:
    MemberAdherence.objects.filter(member_id=member_id).delete()
    AdherenceDay.objects.filter(member_id=member_id).delete()
    AdherenceWeek.objects.filter(member_id=member_id).delete()
    refresh_adherence(member_ids=[member_id])
    return _figures(member_id)


@pytest.mark.django_db(transaction=True)
def test_sessions_racing_on_two_days_leave_the_figures_a_rebuild_gives(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=3)
    today = local_today(world.member)
    client = bearer_client(world.member.user)
    first = client.post("/api/v1/sessions/", session_body(world.member, items), format="json")
    assert first.status_code == 201, first.content  # the figures are current from here
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            mine = bearer_client(world.member.user)
            day = today - timedelta(days=n % 2)  # today and yesterday: rows of two days
            body = session_body(world.member, items, day=day, pain_before=n % 5)
            barrier.wait(timeout=30)
            statuses.append(mine.post("/api/v1/sessions/", body, format="json").status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert statuses == [201] * threads_n
    assert SessionLog.objects.filter(member=world.member).count() == threads_n + 1
    fast = _figures(world.member.pk)
    assert fast == _rebuilt(world.member.pk)


@pytest.mark.django_db
def test_a_write_between_the_read_and_the_guarded_write_makes_it_read_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    client = bearer_client(world.member.user)
    assert (
        client.post(
            "/api/v1/sessions/", session_body(world.member, items), format="json"
        ).status_code
        == 201
    )
    real = adherence._figures_and_history
    reads: list[int] = []

    def read_then_someone_writes(member_id: int, **kwargs: Any) -> Any:
        found = real(member_id, **kwargs)
        reads.append(member_id)
        if len(reads) == 1:  # the figures' row changes after the first read: a new version
            MemberAdherence.objects.filter(member_id=member_id).update(best_streak=0)
        return found

    monkeypatch.setattr(adherence, "_figures_and_history", read_then_someone_writes)
    response = client.post("/api/v1/sessions/", session_body(world.member, items), format="json")
    assert response.status_code == 201, response.content
    assert len(reads) == 2  # the first guarded write found another version and wrote nothing
    fast = _figures(world.member.pk)
    assert fast == _rebuilt(world.member.pk)


@pytest.mark.django_db
def test_after_the_tries_the_figures_are_written_under_the_lock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    client = bearer_client(world.member.user)
    assert (
        client.post(
            "/api/v1/sessions/", session_body(world.member, items), format="json"
        ).status_code
        == 201
    )
    tries: list[int] = []

    def never(*args: Any) -> bool:
        tries.append(1)
        return False

    monkeypatch.setattr(adherence, "_upsert_if_unchanged", never)
    response = client.post("/api/v1/sessions/", session_body(world.member, items), format="json")
    assert response.status_code == 201, response.content
    assert len(tries) == adherence.OPTIMISTIC_TRIES
    fast = _figures(world.member.pk)
    assert fast == _rebuilt(world.member.pk)
