"""Every route x every role, including another organization: 200 in scope, 404 out, 401 anonymous.

Later issues add rows to ROUTES. Each row names, per actor, the status expected; reads of a
member's data by someone other than that member must leave exactly one audit row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from exercise_tracker.models import AuditEvent

from ..conftest import World, bearer_client

ACTORS = (
    "anonymous",
    "member",
    "other_member",
    "pt",
    "pt_other",
    "coordinator",
    "foreign_member",
    "foreign_pt",
    "foreign_coordinator",
    "staff",
)


def actor_user(world: World, actor: str):
    return {
        "anonymous": None,
        "member": world.member.user,
        "other_member": world.other_member.user,
        "pt": world.pt.user,
        "pt_other": world.pt_other.user,
        "coordinator": world.coordinator,
        "foreign_member": world.foreign_member.user,
        "foreign_pt": world.foreign_pt.user,
        "foreign_coordinator": world.foreign_coordinator,
        "staff": world.staff,
    }[actor]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: Callable[[World], str]
    expect: dict[str, int]
    body: Callable[[World], dict] | None = None
    audited: frozenset[str] = field(default_factory=frozenset)


ALL_AUTHENTICATED_OK = {actor: 200 for actor in ACTORS if actor != "anonymous"} | {"anonymous": 401}
MEMBER_RECORD = {
    "anonymous": 401,
    "member": 200,
    "other_member": 404,
    "pt": 200,
    "pt_other": 404,
    "coordinator": 200,
    "foreign_member": 404,
    "foreign_pt": 404,
    "foreign_coordinator": 404,
    "staff": 200,
}

ROUTES = [
    Route("me", "get", lambda w: "/api/v1/me/", ALL_AUTHENTICATED_OK),
    Route(
        "members-list",
        "get",
        lambda w: "/api/v1/members/",
        ALL_AUTHENTICATED_OK,
        audited=frozenset(
            {"pt", "pt_other", "coordinator", "foreign_pt", "foreign_coordinator", "staff"}
        ),
    ),
    Route(
        "member-detail",
        "get",
        lambda w: f"/api/v1/members/{w.member.pk}/",
        MEMBER_RECORD,
        audited=frozenset({"pt", "coordinator", "staff"}),
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_route_answers_each_role(world: World, route: Route, actor: str) -> None:
    client = bearer_client(actor_user(world, actor))
    before = AuditEvent.objects.count()
    kwargs = {"format": "json", "data": route.body(world)} if route.body else {}
    response = getattr(client, route.method)(route.path(world), **kwargs)
    expected = route.expect[actor]
    assert response.status_code == expected, (route.name, actor, response.content[:300])
    if expected >= 400:
        assert set(response.json()) == {"detail", "errors"}
    audit_rows = AuditEvent.objects.count() - before
    assert audit_rows == (1 if actor in route.audited else 0), (route.name, actor)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        ("member", {"member"}),
        ("pt", {"member"}),
        ("pt_other", {"other_member"}),
        ("coordinator", {"member", "other_member"}),
        ("foreign_coordinator", {"foreign_member"}),
        ("foreign_pt", {"foreign_member"}),
        ("staff", {"member", "other_member", "foreign_member"}),
    ],
)
def test_member_list_is_scoped(world: World, actor: str, visible: set[str]) -> None:
    client = bearer_client(actor_user(world, actor))
    body = client.get("/api/v1/members/").json()
    ids = {row["id"] for row in body["results"]}
    expected = {getattr(world, name).pk for name in visible}
    assert ids == expected
    assert body["count"] == len(expected)
