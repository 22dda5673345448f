"""The request id is the server's; the client's X-Request-ID is kept beside it. On PostgreSQL
the audit table itself refuses UPDATE and DELETE."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from exercise_tracker.middleware import RequestIdLogFilter
from exercise_tracker.models import AuditAction, AuditEvent

from ..services import require_postgres

pytestmark = pytest.mark.django_db

SERVER_ID = re.compile(r"[0-9a-f]{32}")


def _failed_login(**headers: Any):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json", **headers
    )


def test_a_clients_request_id_is_kept_beside_the_servers_never_instead() -> None:
    response = _failed_login(HTTP_X_REQUEST_ID="abc-123")
    assert SERVER_ID.fullmatch(response["X-Request-ID"])
    assert response["X-Client-Request-ID"] == "abc-123"
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILURE)
    assert event.request_id == response["X-Request-ID"]
    assert event.client_request_id == "abc-123"
    # Two requests with the same client id still get two ids of their own.
    again = _failed_login(HTTP_X_REQUEST_ID="abc-123")
    assert again["X-Request-ID"] != response["X-Request-ID"]


def test_an_odd_client_request_id_is_dropped() -> None:
    response = _failed_login(HTTP_X_REQUEST_ID="x" * 65)
    assert SERVER_ID.fullmatch(response["X-Request-ID"])
    assert "X-Client-Request-ID" not in response
    assert AuditEvent.objects.get().client_request_id == ""


def test_log_lines_carry_both_ids() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", None, None)
    RequestIdLogFilter().filter(record)
    assert (getattr(record, "request_id", None), getattr(record, "client_request_id", None)) == (
        "-",
        "-",
    )


def test_the_audit_table_refuses_update_and_delete_at_the_database() -> None:
    require_postgres()
    _failed_login()
    statements = (
        "UPDATE exercise_tracker_auditevent SET username = 'x'",
        "DELETE FROM exercise_tracker_auditevent",
    )
    for sql in statements:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEvent.objects.filter(username="nobody").count() == 1
