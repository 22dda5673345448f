"""A member's day is their local date: at the same instant Honolulu is still on the 9th while
Auckland is on the 10th. Logging, the 7-day window, corrections and today's counts all turn at
the member's own midnight, not the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from members.models import SessionLog
from tests import factories
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import plan_with_items, session_body

pytestmark = pytest.mark.django_db

# 08:30 UTC on 10 March 2025: 22:30 on the 9th in Honolulu (UTC-10), 21:30 on the 10th in
# Auckland (UTC+13, summer time), 04:30 on the 10th in New York (UTC-4 since 9 March).
INSTANT = datetime(2025, 3, 10, 8, 30, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch):
    """Sets what timezone.now() answers everywhere in the app."""

    class Clock:
        now = INSTANT

        def set(self, moment: datetime) -> None:
            self.now = moment

    current = Clock()
    monkeypatch.setattr(timezone, "now", lambda: current.now)
    return current


def _member_in(world: World, zone: str):
    member = factories.MemberFactory.create(user__organization=world.org, timezone=zone)
    factories.CareAssignmentFactory.create(
        member=member, therapist=world.pt, start_date=date(2025, 1, 1)
    )
    _, items = plan_with_items(
        pt=world.pt,
        member=member,
        n=2,
        start=date(2025, 2, 1),
        at=datetime(2025, 2, 1, 18, tzinfo=UTC),
    )
    return member, items


def _post(member, body):
    return bearer_client(member.user).post("/api/v1/sessions/", body, format="json")


def test_honolulu_is_still_on_the_ninth(world: World, clock) -> None:
    member, items = _member_in(world, "Pacific/Honolulu")
    assert bearer_client(member.user).get("/api/v1/today/").json()["date"] == "2025-03-09"
    tenth = _post(member, session_body(member, items, day=date(2025, 3, 10)))
    assert tenth.status_code == 400
    assert "future" in tenth.json()["errors"]["date"][0]
    ninth = _post(member, session_body(member, items, day=date(2025, 3, 9)))
    assert ninth.status_code == 201, ninth.content


def test_auckland_is_already_on_the_tenth(world: World, clock) -> None:
    member, items = _member_in(world, "Pacific/Auckland")
    assert bearer_client(member.user).get("/api/v1/today/").json()["date"] == "2025-03-10"
    assert _post(member, session_body(member, items, day=date(2025, 3, 10))).status_code == 201


@pytest.mark.parametrize(
    ("zone", "oldest"),
    [("Pacific/Honolulu", date(2025, 3, 2)), ("Pacific/Auckland", date(2025, 3, 3))],
)
def test_the_seven_day_window_counts_local_days(world: World, clock, zone, oldest) -> None:
    member, items = _member_in(world, zone)
    assert _post(member, session_body(member, items, day=oldest)).status_code == 201
    too_old = _post(member, session_body(member, items, day=oldest - timedelta(days=1)))
    assert too_old.status_code == 400
    assert "date" in too_old.json()["errors"]


def test_a_correction_is_possible_until_local_midnight(world: World, clock) -> None:
    member, items = _member_in(world, "America/New_York")
    # 23:50 on Monday 10 March in New York (EDT, UTC-4) is 03:50 UTC on the 11th.
    clock.set(datetime(2025, 3, 11, 3, 50, tzinfo=UTC))
    logged = _post(member, session_body(member, items, day=date(2025, 3, 10)))
    assert logged.status_code == 201, logged.content
    path = f"/api/v1/sessions/{logged.json()['id']}/"
    client = bearer_client(member.user)
    clock.set(datetime(2025, 3, 11, 3, 59, tzinfo=UTC))  # 23:59 local
    assert client.patch(path, {"pain_after": 2}, format="json").status_code == 200
    clock.set(datetime(2025, 3, 11, 4, 1, tzinfo=UTC))  # 00:01 on Tuesday, local
    late = client.patch(path, {"pain_after": 1}, format="json")
    assert late.status_code == 400
    assert SessionLog.objects.get(pk=logged.json()["id"]).pain_after == 2


def test_todays_done_count_turns_at_local_midnight(world: World, clock) -> None:
    member, items = _member_in(world, "America/New_York")
    clock.set(datetime(2025, 3, 11, 3, 50, tzinfo=UTC))  # 23:50 on the 10th, local
    assert _post(member, session_body(member, items, day=date(2025, 3, 10))).status_code == 201
    client = bearer_client(member.user)
    before = client.get("/api/v1/today/").json()
    assert before["date"] == "2025-03-10"
    assert [i["times_done"] for i in before["items"]] == [1, 1]
    clock.set(datetime(2025, 3, 11, 4, 10, tzinfo=UTC))  # 00:10 on the 11th, local
    after = client.get("/api/v1/today/").json()
    assert after["date"] == "2025-03-11"
    assert [i["times_done"] for i in after["items"]] == [0, 0]
    assert after["streak"] == 1  # yesterday done, today not over yet
