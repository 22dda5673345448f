"""One error format; malformed or oversized input is a 4xx, never a 500; pages are capped."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from tests.conftest import World, bearer_client

pytestmark = pytest.mark.django_db


def test_malformed_json_is_400(db: None) -> None:
    response = Client().post(
        "/api/v1/auth/token/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert "JSON parse error" in body["detail"]


def test_oversized_body_is_413(world: World) -> None:
    client = bearer_client(world.pt.user)
    huge = '{"refresh": "' + "a" * 3_000_000 + '"}'
    response = client.generic("POST", "/api/v1/auth/logout/", huge, content_type="application/json")
    assert response.status_code == 413
    assert set(response.json()) == {"detail", "errors"}


def test_unknown_api_path_is_json_404(db: None) -> None:
    response = Client().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}


def test_page_size_is_capped_at_100(world: World) -> None:
    for _ in range(105):
        factories.MemberFactory.create(user__organization=world.org)
    body = bearer_client(world.coordinator).get("/api/v1/members/?page_size=1000000").json()
    assert len(body["results"]) == 100
    assert body["count"] == 107
    assert set(body) == {"count", "next", "previous", "results"}


def test_member_list_query_count_is_constant(world: World, django_assert_max_num_queries) -> None:
    client = bearer_client(world.coordinator)
    with django_assert_max_num_queries(5):
        client.get("/api/v1/members/")
    for _ in range(20):
        member = factories.MemberFactory.create(user__organization=world.org)
        factories.CareAssignmentFactory.create(member=member, therapist=world.pt)
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/members/?page_size=100").json()["count"] == 22


def test_bad_page_number_is_404_not_500(world: World) -> None:
    response = bearer_client(world.coordinator).get("/api/v1/members/?page=abc")
    assert response.status_code == 404
