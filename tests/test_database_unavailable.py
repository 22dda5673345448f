"""The database gone mid-request (a PostgreSQL restart): 503 with Retry-After, never a 500 with
a traceback; nothing half-written; the next request after it is back succeeds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, close_old_connections, connection
from django.test import Client

from members.models import SessionEntry, SessionLog
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import plan_with_items, session_body
from tests.services import require_postgres


@contextmanager
def _database_down() -> Iterator[None]:
    def refuse(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


def _assert_unavailable(response: Any, *, api: bool) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "5"
    assert b"Traceback" not in response.content
    if api:
        assert response.json() == {
            "detail": "The service is briefly unavailable. Please try again in a moment.",
            "errors": {},
        }


@pytest.mark.django_db
def test_requests_while_the_database_is_down_get_503_and_retry_after(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    body = session_body(world.member, items)
    member_api = bearer_client(world.member.user)
    member_api.raise_request_exception = False
    pages = Client(raise_request_exception=False)
    pages.force_login(world.pt.user)

    with _database_down():
        _assert_unavailable(member_api.get("/api/v1/sessions/"), api=True)
        _assert_unavailable(member_api.post("/api/v1/sessions/", body, format="json"), api=True)
        _assert_unavailable(pages.get("/caseload/"), api=False)
    assert not SessionLog.objects.filter(member=world.member).exists()

    # Back: the member's app retries the same session, and it is stored once.
    retried = member_api.post("/api/v1/sessions/", body, format="json")
    assert retried.status_code == 201
    assert pages.get("/caseload/").status_code == 200
    assert SessionLog.objects.filter(member=world.member).count() == 1


def _terminate(pid: int) -> None:
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_a_restart_mid_session_write_leaves_nothing_and_the_app_recovers(world: World) -> None:
    require_postgres()
    _, items = plan_with_items(pt=world.pt, member=world.member, n=3)
    body = session_body(world.member, items)
    member_api = bearer_client(world.member.user)
    member_api.raise_request_exception = False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    written: list[str] = []

    def restart_before_entries(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        # The session's rows are written (its entries with it, or before them); the server goes
        # away before the next statement of the same transaction (the figures).
        if written and written[-1] == "entries":
            _terminate(pid)
        result = execute(sql, *args)
        writes = sql.lstrip().upper().startswith(("INSERT", "WITH"))
        written.append("entries" if writes and "members_sessionentry" in sql else "other")
        return result

    with connection.execute_wrapper(restart_before_entries):
        response = member_api.post("/api/v1/sessions/", body, format="json")
    _assert_unavailable(response, api=True)

    # What Django does when a request ends (the test client leaves it out): drop the broken
    # connection. The next request connects afresh.
    close_old_connections()
    assert not SessionLog.objects.filter(member=world.member).exists()
    assert not SessionEntry.objects.filter(session__member=world.member).exists()
    retried = member_api.post("/api/v1/sessions/", body, format="json")
    assert retried.status_code == 201, retried.content
    assert SessionEntry.objects.filter(session__member=world.member).count() == 3


@pytest.mark.django_db
def test_the_database_gone_after_the_view_is_a_503_too(world: World) -> None:
    """The page was built, then the database went away before the session was saved (done by
    middleware after the view, on every request): a 503 as well, not a 500."""
    pages = Client(raise_request_exception=False)
    pages.force_login(world.member.user)

    def refuse_session_save(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if "django_session" in sql and sql.lstrip().upper().startswith(("UPDATE", "INSERT")):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, *args)

    with connection.execute_wrapper(refuse_session_save):
        _assert_unavailable(pages.get("/today/"), api=False)
    assert pages.get("/today/").status_code == 200
