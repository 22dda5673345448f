"""The cheaper hot reads (issue: read paths near the framework's limit) answer exactly as before:
the API's routes resolve as Django's own resolver resolves them, a plan's compiled access check
lets in exactly whom `visible_plans` lets in, the audit row of a staff read is the same row, and
a read whose keys the sign-in fetched still sees a write made anywhere before it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.exceptions import Resolver404
from django.utils import timezone

from exercise_tracker import access, readcache
from exercise_tracker.models import AuditEvent
from exercise_tracker.urls import api_v1
from members.models import CareAssignment
from programs.models import Exercise, Plan, PlanStatus
from tests.conftest import World, bearer_client
from tests.factories import ExerciseFactory
from tests.members.sessions_helpers import plan_with_items

pytestmark = pytest.mark.django_db

LIBRARY = "/api/v1/exercises/"


# --- routing -------------------------------------------------------------------------------------


def _sample_paths() -> list[str]:
    """A path for every API route (ids filled in), its neighbours, and paths of no route."""
    import re

    paths = ["/api/v1/", "/api/v1/nothing/", "/api/v1/plans/x/y/", "/api/v1/me", "/api/v1/Me/"]
    for pattern in api_v1.url_patterns:
        text = str(pattern.pattern).removeprefix("^").removesuffix("$")
        text = re.sub(r"<[^>]+>", "7", text)
        text = re.sub(r"\(\?P<[^>]+>[^)]+\)", "7", text)
        paths += ["/api/v1/" + text, "/api/v1/" + text + "extra/"]
    return paths


def test_every_api_path_resolves_as_djangos_resolver_resolves_it() -> None:
    from django.urls.resolvers import RoutePattern

    plain = URLResolver(RoutePattern("api/v1/", is_endpoint=False), list(api_v1.url_patterns))
    for path in _sample_paths():
        try:
            expected: Any = plain.resolve(path.lstrip("/"))
        except Resolver404:
            expected = None
        try:
            found: Any = api_v1.resolve(path.lstrip("/"))
        except Resolver404:
            found = None
        if expected is None:
            assert found is None, path
            continue
        assert found is not None, path
        assert (found.func, found.args, found.kwargs, found.url_name, found.route) == (
            expected.func, expected.args, expected.kwargs, expected.url_name, expected.route,
        ), path  # fmt: skip


def test_the_api_comes_first_and_no_page_shadows_it() -> None:
    resolver = get_resolver()
    assert resolver.url_patterns[0] is api_v1
    for pattern in resolver.url_patterns[1:]:
        if isinstance(pattern, URLPattern):
            assert not str(pattern.pattern).startswith("api/v1"), pattern
    for path in _sample_paths():
        try:
            match = resolver.resolve(path)
        except Resolver404:
            continue
        assert match.route.startswith("api/v1/"), path


# --- a plan's access check ----------------------------------------------------------------------


def test_the_compiled_plan_check_lets_in_whom_visible_plans_lets_in(world: World) -> None:
    active, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    draft = Plan.objects.create(
        member=world.member, organization=world.org, title="Draft", status=PlanStatus.DRAFT,
        start_date=timezone.now().date(),
    )  # fmt: skip
    theirs, _ = plan_with_items(pt=world.pt_other, member=world.other_member, n=1)
    foreign, _ = plan_with_items(pt=world.foreign_pt, member=world.foreign_member, n=1)
    users = [
        world.member.user, world.other_member.user, world.pt.user, world.pt_other.user,
        world.coordinator, world.foreign_pt.user, world.foreign_member.user, world.staff,
    ]  # fmt: skip
    plans = [active.pk, draft.pk, theirs.pk, foreign.pk, 0, 10**9]
    for _ in range(2):  # built, then from the compiled query
        for user in users:
            for pk in plans:
                expected = (
                    access.visible_plans(user)
                    .filter(pk=pk)
                    .values_list("member_id", "organization_id", "revision")
                    .first()
                )
                assert access.visible_plan_row(user, pk) == expected, (user.username, pk)


def test_a_pt_whose_assignment_ended_reads_the_plan_no_more(world: World) -> None:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    url = f"/api/v1/plans/{plan.pk}/"
    client = bearer_client(world.pt.user)
    assert client.get(url).status_code == 200  # the check compiled, the answer cached
    CareAssignment.objects.filter(member=world.member, therapist=world.pt).update(
        end_date=timezone.now().date() - timedelta(days=1)
    )
    assert client.get(url).status_code == 404


def test_a_staff_plan_read_writes_the_same_audit_row(world: World) -> None:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    client = bearer_client(world.staff)
    response = client.get(
        f"/api/v1/plans/{plan.pk}/", HTTP_X_REQUEST_ID="client-7", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    row = AuditEvent.objects.get(user_id=world.staff.pk)
    assert (row.username, row.role, row.action, row.outcome) == (
        "staff",
        "staff",
        "read",
        "success",
    )
    assert (row.member_id, row.object_type, row.object_id) == (
        world.member.pk, "programs.plan", str(plan.pk),
    )  # fmt: skip
    assert row.path == f"/api/v1/plans/{plan.pk}/" and row.ip_address == "10.1.2.3"
    assert row.request_id == response["X-Request-ID"] and row.client_request_id == "client-7"
    assert abs((timezone.now() - row.at).total_seconds()) < 60


# --- the sign-in's round trip fetches the read's keys -------------------------------------------


def _bump_elsewhere(scope: str) -> None:
    """A new version written straight to the cache, as another process's write would."""
    caches["default"].set(readcache._ns() + readcache.VERSION_PREFIX + scope, "elsewhere", None)


def test_a_prefetched_read_sees_another_process_write(world: World) -> None:
    from tests.services import require_redis

    require_redis()
    exercise = ExerciseFactory.create(name="Bird dog", organization=world.org)
    client = bearer_client(world.pt.user)
    first = client.get(LIBRARY)
    second = client.get(LIBRARY)  # the sign-in fetched this read's keys
    assert second["ETag"] == first["ETag"] and readcache._hints
    assert client.get(LIBRARY, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # Written by another process: the row without signals, its bump straight to Redis.
    Exercise.objects.filter(pk=exercise.pk).update(name="Bird dog, slow")
    _bump_elsewhere(f"library:org:{world.org.pk}")
    after = client.get(LIBRARY, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    assert "Bird dog, slow" in {card["name"] for card in after.json()["results"]}


@pytest.mark.parametrize("reader", ["pt", "member"])
def test_prefetched_plan_and_today_see_another_process_write(world: World, reader: str) -> None:
    from tests.services import require_redis

    require_redis()
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    user = world.pt.user if reader == "pt" else world.member.user
    url = f"/api/v1/plans/{plan.pk}/" if reader == "pt" else "/api/v1/today/"
    client = bearer_client(user)
    first = client.get(url)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    Plan.objects.filter(pk=plan.pk).update(note_to_member="Slowly now")
    _bump_elsewhere(f"member:{world.member.pk}")
    after = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    body = after.json()
    assert (body["note_to_member"] if reader == "pt" else body["plan"]["note"]) == "Slowly now"


def test_prefetched_keys_of_another_organization_are_never_used(world: World) -> None:
    """A user moved to another organization: the keys remembered for them name the old one;
    the read asks for the new organization's keys and answers with its library."""
    from tests.services import require_redis

    require_redis()
    ExerciseFactory.create(name="North only", organization=world.org)
    ExerciseFactory.create(name="South only", organization=world.other_org)
    user = world.pt_other.user
    client = bearer_client(user)
    client.get(LIBRARY)
    assert "North only" in {c["name"] for c in client.get(LIBRARY).json()["results"]}
    user.organization = world.other_org
    user.save()  # drops the cached sign-in
    names = {c["name"] for c in client.get(LIBRARY).json()["results"]}
    assert "South only" in names and "North only" not in names


# --- the Content-Security-Policy of API answers, built once ---------------------------------------


def test_api_answers_carry_the_policy_django_csp_builds(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.test import Client

    from exercise_tracker import middleware

    settings.DEBUG = False
    client = bearer_client(world.member.user)
    page_policy = Client().get("/healthz")["Content-Security-Policy"]  # django-csp's own
    assert client.get("/api/v1/me/")["Content-Security-Policy"] == page_policy
    built: list[dict[str, Any]] = []

    def counted(**parts: Any) -> str:
        built.append(parts)
        return "default-src 'none'"

    monkeypatch.setattr(middleware, "build_policy", counted)
    for _ in range(3):  # built once already: not again
        assert client.get("/api/v1/me/")["Content-Security-Policy"] == page_policy
    assert built == []
    monkeypatch.undo()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get("/api/v1/me/")["Content-Security-Policy"] == "default-src 'none'"


# --- content negotiation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept", [None, "", "*/*", "application/json", "text/html", "application/json; indent=4",
               "text/html, */*;q=0.8", "application/xml"],
)  # fmt: skip
@pytest.mark.parametrize("query", ["", "?format=json", "?format=api"])
def test_negotiation_chooses_as_drf_does(accept: str | None, query: str) -> None:
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from exercise_tracker.negotiation import ContentNegotiation

    headers: dict[str, Any] = {} if accept is None else {"HTTP_ACCEPT": accept}
    for renderers in ([JSONRenderer()], [JSONRenderer(), BrowsableAPIRenderer()],
                      [BrowsableAPIRenderer(), JSONRenderer()]):  # fmt: skip
        chosen = []
        for negotiation in (DefaultContentNegotiation(), ContentNegotiation()):
            request = Request(APIRequestFactory().get("/api/v1/me/" + query, None, **headers))
            try:
                renderer, media_type = negotiation.select_renderer(request, renderers)
                chosen.append((type(renderer), media_type))
            except Exception as exc:  # NotAcceptable (406), Http404 for an unknown format
                chosen.append((type(exc), ""))
        assert chosen[0] == chosen[1], (accept, query, renderers)


# --- /me/ written without a serializer per request ------------------------------------------------


def test_me_answers_the_bytes_drf_would_render(world: World) -> None:
    from rest_framework.renderers import JSONRenderer

    from members.api.me import MeSerializer

    world.member.user.first_name = "Zoë «Jo»"
    world.member.user.save()
    for user in (world.member.user, world.pt.user, world.staff):
        user.refresh_from_db()
        response = bearer_client(user).get("/api/v1/me/")
        assert response.status_code == 200
        assert response.content == JSONRenderer().render(MeSerializer(user).data)


# --- answered before DRF's dispatch (exercise_tracker/fast_reads.py) -----------------------------


def _reads(world: World) -> list[tuple[Any, str]]:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=2)
    ExerciseFactory.create(name="Bridge")
    return [
        (world.pt.user, LIBRARY),
        (world.pt.user, f"/api/v1/plans/{plan.pk}/"),
        (world.staff, f"/api/v1/plans/{plan.pk}/"),
        (world.member.user, "/api/v1/today/"),
        (world.member.user, "/api/v1/me/"),
    ]


def test_answers_from_the_cache_are_those_drf_gives(world: World) -> None:
    """The first read goes through DRF (nothing stored), the second is answered before it: the
    same status, body and headers (but the request id)."""
    for user, url in _reads(world):
        client = bearer_client(user)
        first, again = client.get(url), client.get(url)
        assert first.status_code == again.status_code == 200, url
        assert first.content == again.content, url
        headers = {k: v for k, v in first.items() if k != "X-Request-ID"}
        assert headers == {k: v for k, v in again.items() if k != "X-Request-ID"}, url
        not_modified = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert not_modified.status_code == 304, url
        assert not_modified.get("Cache-Control") == first.get("Cache-Control"), url


def test_a_read_counts_the_rate_limit_once_whichever_way_it_is_answered(world: World) -> None:
    from tests.api.test_hot_paths import _forget_counts, _limited

    for user, url in _reads(world):
        window = _forget_counts(user)
        client = bearer_client(user)
        with _limited("4/min"):
            first = client.get(url)  # through DRF (not stored yet): signed in once
            statuses = [first.status_code, client.get(url).status_code,
                        client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code]  # fmt: skip
            assert statuses == [200, 200, 304], url
            assert caches["default"].get(f"throttle_user_{user.pk}:{window}") == 3, url
            assert client.get(url).status_code == 200  # the 4th
            limited = client.get(url)
            assert limited.status_code == 429 and set(limited.json()) == {"detail", "errors"}


def test_a_refused_token_is_answered_by_drf(world: World) -> None:
    from exercise_tracker.tokens import VersionedRefreshToken
    from members.services.accounts import end_tokens

    for user, url in _reads(world):
        user.refresh_from_db()  # its token version, after an earlier round signed it out
        client = bearer_client(None)
        token = VersionedRefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert client.get(url).status_code == 200 and client.get(url).status_code == 200
        end_tokens(user_id=user.pk)  # sign-out everywhere: the token's version is old now
        refused = client.get(url)
        assert refused.status_code == 401, url
        assert "detail" in refused.json()
    garbage = bearer_client(None)
    garbage.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    assert garbage.get(LIBRARY).status_code == 401


def test_who_may_not_read_gets_drfs_answer(world: World) -> None:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    url = f"/api/v1/plans/{plan.pk}/"
    assert bearer_client(world.pt.user).get(url).status_code == 200
    assert bearer_client(world.pt.user).get(url).status_code == 200  # stored, answered early
    for outsider in (world.pt_other.user, world.foreign_pt.user, world.coordinator,
                     world.other_member.user):  # fmt: skip
        response = bearer_client(outsider).get(url)
        assert response.status_code == 404 and "detail" in response.json()
    assert bearer_client(world.pt.user).get("/api/v1/today/").status_code == 404
    # An older revision is asked through DRF (its own checks and answer).
    assert bearer_client(world.pt.user).get(url + "?revision=9").status_code == 400


def test_staff_reads_answered_early_are_audited_once_each(world: World) -> None:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    url = f"/api/v1/plans/{plan.pk}/"
    client = bearer_client(world.pt.user)
    rows = AuditEvent.objects.filter(
        user_id=world.pt.user.pk, object_id=str(plan.pk), action="read"
    )
    first = client.get(url)
    assert rows.count() == 1
    client.get(url)
    client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert rows.count() == 3
    # The member's own reads are not audited (their own record).
    member = bearer_client(world.member.user)
    member.get(url)
    member.get(url)
    assert not AuditEvent.objects.filter(user_id=world.member.user.pk, action="read").exists()
