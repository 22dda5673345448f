"""The Idempotency-Key header: a retry replays the first answer, a different body is a 409."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from exercise_tracker.idempotency import REPLAYED_HEADER, idempotent, purge_expired
from exercise_tracker.models import IdempotencyRecord
from exercise_tracker.tasks import purge_idempotency_records
from members.models import Organization

from . import factories


class MakeOrganization(APIView):
    """A stand-in write: each run stores one row, so doubles would show."""

    @idempotent
    def post(self, request: Request) -> Response:
        name = request.data.get("name") if isinstance(request.data, dict) else None
        if not name:
            return Response({"detail": "name", "errors": {"name": ["Required."]}}, status=400)
        n = Organization.objects.count()
        org = Organization.objects.create(name=name, slug=f"idem-{n}")
        return Response({"id": org.pk, "name": org.name}, status=status.HTTP_201_CREATED)


def post(user: Any, body: dict[str, Any], key: str | None) -> Response:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    request = APIRequestFactory().post("/api/v1/things/", body, format="json", **headers)
    force_authenticate(request, user=user)
    response = MakeOrganization.as_view()(request)
    response.render()
    return response


@pytest.fixture
def user(db: None):
    return factories.UserFactory.create()


def test_same_key_and_body_replays_the_first_response(user) -> None:
    before = Organization.objects.count()
    first = post(user, {"name": "A"}, "key-1")
    again = post(user, {"name": "A"}, "key-1")
    assert first.status_code == again.status_code == 201
    assert again.data == first.data
    assert again[REPLAYED_HEADER] == "true"
    assert REPLAYED_HEADER not in first
    assert Organization.objects.count() == before + 1


def test_key_order_in_the_body_does_not_matter(user) -> None:
    first = post(user, {"name": "A", "x": 1}, "key-2")
    again = post(user, {"x": 1, "name": "A"}, "key-2")
    assert again.data == first.data


def test_same_key_different_body_is_a_conflict(user) -> None:
    post(user, {"name": "A"}, "key-3")
    other = post(user, {"name": "B"}, "key-3")
    assert other.status_code == 409
    assert "different request" in other.data["detail"]


def test_a_key_in_flight_is_a_conflict(user) -> None:
    first = post(user, {"name": "A"}, "key-4")
    IdempotencyRecord.objects.filter(key="key-4").update(
        status_code=IdempotencyRecord.IN_FLIGHT, response_body=None
    )
    again = post(user, {"name": "A"}, "key-4")
    assert first.status_code == 201
    assert again.status_code == 409
    assert "still being processed" in again.data["detail"]


def test_keys_belong_to_one_user(user) -> None:
    other = factories.UserFactory.create()
    first = post(user, {"name": "A"}, "shared")
    second = post(other, {"name": "A"}, "shared")
    assert first.status_code == second.status_code == 201
    assert first.data["id"] != second.data["id"]


def test_refusals_are_not_stored_so_a_fixed_request_may_reuse_the_key(user) -> None:
    refused = post(user, {}, "key-5")
    fixed = post(user, {"name": "A"}, "key-5")
    assert refused.status_code == 400
    assert fixed.status_code == 201


def test_without_the_header_nothing_is_stored(user) -> None:
    post(user, {"name": "A"}, None)
    post(user, {"name": "A"}, None)
    assert IdempotencyRecord.objects.count() == 0
    assert Organization.objects.filter(name="A").count() == 2


def test_an_overlong_key_names_the_header(user) -> None:
    request = APIRequestFactory().post(
        "/x/", {"name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    force_authenticate(request, user=user)
    response = MakeOrganization.as_view()(request)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.data["errors"]


def test_records_are_kept_a_week_then_purged(user) -> None:
    post(user, {"name": "A"}, "old")
    record = IdempotencyRecord.objects.get(key="old")
    assert record.expires_at - record.created_at >= timedelta(days=7)
    assert purge_expired(now=timezone.now() + timedelta(days=6)) == 0
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert purge_idempotency_records.delay().get() == 1
    # An expired key is free again: a new request runs.
    assert post(user, {"name": "B"}, "old").status_code == 201


def test_a_request_cut_by_the_database_going_away_leaves_the_key_free(user) -> None:
    """The record is written in the work's transaction: a PostgreSQL restart mid-request takes
    both away, so the phone's retry runs the request (before, the record stayed "in flight" and
    the retry got a 409 for two minutes, which the today page read as "already stored")."""

    def refuse(execute: Any, sql: str, *args: Any) -> Any:
        if "members_organization" in sql and sql.lstrip().upper().startswith("INSERT"):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, *args)

    with connection.execute_wrapper(refuse), pytest.raises(OperationalError):
        post(user, {"name": "Cut"}, "key-cut")
    assert not IdempotencyRecord.objects.filter(key="key-cut").exists()

    again = post(user, {"name": "Cut"}, "key-cut")
    assert again.status_code == 201
    assert Organization.objects.filter(name="Cut").count() == 1
    replay = post(user, {"name": "Cut"}, "key-cut")
    assert replay.status_code == 201 and replay[REPLAYED_HEADER] == "true"
