"""The fast lane (exercise_tracker/fast_lane.py): cached API reads answered before most of the
middleware, with the same answer, the same headers and the same checks as the whole stack, and
a staff read's audit row committed without waiting for the disk, alone in its transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction

from exercise_tracker import access
from exercise_tracker.fast_lane import FastLaneMiddleware
from exercise_tracker.models import AuditEvent
from tests.conftest import World, bearer_client
from tests.factories import ExerciseFactory
from tests.members.sessions_helpers import plan_with_items

pytestmark = pytest.mark.django_db

LIBRARY = "/api/v1/exercises/"


@pytest.fixture
def lane(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether the lane answered each API request it was asked to take, in order."""
    answered: list[bool] = []
    original = FastLaneMiddleware.answer

    def answer(self: FastLaneMiddleware, request: Any) -> Any:
        response = original(self, request)
        answered.append(response is not None)
        return response

    monkeypatch.setattr(FastLaneMiddleware, "answer", answer)
    yield answered


def _reads(world: World) -> list[tuple[Any, str]]:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=2)
    ExerciseFactory.create(name="Bridge")
    return [
        (world.pt.user, LIBRARY),
        (world.pt.user, LIBRARY + "?q=bridge"),
        (world.pt.user, f"/api/v1/plans/{plan.pk}/"),
        (world.staff, f"/api/v1/plans/{plan.pk}/"),
        (world.member.user, "/api/v1/today/"),
        (world.member.user, "/api/v1/me/"),
    ]


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.items() if k not in ("X-Request-ID", "Date")}


@pytest.mark.parametrize("secure", [False, True])
def test_the_lane_answers_as_the_whole_stack_does(
    world: World, settings: Any, lane: list[bool], secure: bool
) -> None:
    """Each cached read, asked through the lane and with the lane off: the same status, body
    and headers (HSTS included over HTTPS), for the stored answer and for its 304."""
    from tests.services import require_redis

    require_redis()
    settings.DEBUG = False
    settings.SECURE_HSTS_SECONDS = 3600
    for user, url in _reads(world):
        client = bearer_client(user)
        first = client.get(url, secure=secure)  # stored now
        etag = first["ETag"]
        lane.clear()
        settings.FAST_LANE = True
        fast = client.get(url, secure=secure)
        fast_304 = client.get(url, HTTP_IF_NONE_MATCH=etag, secure=secure)
        assert lane == [True, True], url
        settings.FAST_LANE = False
        slow = client.get(url, secure=secure)
        slow_304 = client.get(url, HTTP_IF_NONE_MATCH=etag, secure=secure)
        assert lane == [True, True], url  # not asked with the lane off
        assert (fast.status_code, slow.status_code) == (200, 200), url
        assert (fast_304.status_code, slow_304.status_code) == (304, 304), url
        assert fast.content == slow.content == first.content, url
        assert _headers(fast) == _headers(slow) == _headers(first), url
        assert _headers(fast_304) == _headers(slow_304), url
        assert ("Strict-Transport-Security" in fast) is secure, url
        assert fast["X-Request-ID"] != slow["X-Request-ID"]


def test_what_the_lane_does_not_take_goes_through_the_stack(world: World, lane: list[bool]) -> None:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    client = bearer_client(world.pt.user)
    url = f"/api/v1/plans/{plan.pk}/"
    client.get(url)
    lane.clear()
    assert client.get(url + "?revision=1").status_code == 200  # not the latest: DRF's
    assert client.get("/api/v1/plans/").status_code == 200  # a list the lane has no answer for
    assert client.get("/api/v1/nothing/").status_code == 404
    assert bearer_client(world.pt_other.user).get(url).status_code == 404
    assert lane == [False, False, False, False]
    assert client.post(url, {}).status_code in (403, 405)  # not a GET: never asked
    assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200  # another renderer
    assert lane == [False, False, False, False, False]


def test_a_host_not_allowed_is_refused_before_the_lane_answers(
    world: World, settings: Any, lane: list[bool]
) -> None:
    settings.ALLOWED_HOSTS = ["clinic.example"]
    client = bearer_client(world.member.user)
    assert client.get("/api/v1/me/", HTTP_HOST="clinic.example").status_code == 200
    assert client.get("/api/v1/me/", HTTP_HOST="clinic.example").status_code == 200
    lane.clear()
    assert client.get("/api/v1/me/", HTTP_HOST="evil.example").status_code == 400
    assert lane == [False]


def test_the_https_redirect_comes_before_the_lane(
    world: World, settings: Any, lane: list[bool]
) -> None:
    settings.SECURE_SSL_REDIRECT = True  # read when the middleware is made: before the client
    client = bearer_client(world.member.user)
    assert client.get("/api/v1/me/", secure=True).status_code == 200
    assert client.get("/api/v1/me/", secure=True).status_code == 200  # stored: the lane's
    lane.clear()
    response = client.get("/api/v1/me/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert lane == [False]


def test_a_database_error_in_the_lane_is_answered_by_the_stack(
    world: World, monkeypatch: pytest.MonkeyPatch, lane: list[bool]
) -> None:
    """The plan's access check and audit row fail in the lane (the database away for a
    moment): the request goes on through DRF, which answers it and audits it once."""
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    url = f"/api/v1/plans/{plan.pk}/"
    client = bearer_client(world.pt.user)
    client.get(url)
    original = access.visible_plan_row

    def flaky(user: Any, plan_id: int, *, audit_request: Any = None) -> Any:
        if audit_request is not None:
            raise OperationalError("server closed the connection unexpectedly")
        return original(user, plan_id)

    monkeypatch.setattr(access, "visible_plan_row", flaky)
    rows = AuditEvent.objects.filter(user_id=world.pt.user.pk, action="read")
    before = rows.count()
    lane.clear()
    assert client.get(url).status_code == 200
    assert lane == [False] and rows.count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_staff_read_audited_alone_commits_without_waiting_and_nothing_else_does(
    world: World,
) -> None:
    """PostgreSQL: the read's own statement turns `synchronous_commit` off for its transaction
    only; inside a transaction (with writes of its own) the statement leaves it alone."""
    from exercise_tracker import audit
    from tests.services import require_postgres

    require_postgres()
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    seen: list[str] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return str(cursor.fetchone()[0])

    assert not connection.in_atomic_block  # as a request's read is
    rows = AuditEvent.objects.filter(
        user_id=world.pt.user.pk, object_id=str(plan.pk), action="read"
    )
    with connection.execute_wrapper(spy):
        found = access.visible_plan_row(world.pt.user, plan.pk, audit_request=_request(world))
    assert found is not None and rows.count() == 1
    assert "set_config('synchronous_commit', 'off', true)" in seen[-1]
    assert setting() == "on"
    seen.clear()
    with transaction.atomic(), connection.execute_wrapper(spy):
        access.visible_plan_row(world.pt.user, plan.pk, audit_request=_request(world))
    assert "set_config" not in seen[-1] and rows.count() == 2
    audit_off = audit.READ_AUDIT_ASYNC_COMMIT
    try:
        audit.READ_AUDIT_ASYNC_COMMIT = False
        with connection.execute_wrapper(spy):
            access.visible_plan_row(world.pt.user, plan.pk, audit_request=_request(world))
    finally:
        audit.READ_AUDIT_ASYNC_COMMIT = audit_off
    assert "set_config" not in seen[-1] and rows.count() == 3


def _request(world: World) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/api/v1/plans/")
    request.user = world.pt.user
    return request
