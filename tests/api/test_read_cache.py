"""The read cache (exercise_tracker/readcache.py): a write is visible on the next read, nothing
crosses organizations or users, ETag and 304, staff reads audited on the 304 path too, and the
queries a cached read costs."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from exercise_tracker import readcache
from exercise_tracker.models import AuditEvent
from tests.conftest import World, bearer_client
from tests.factories import ExerciseFactory
from tests.members.sessions_helpers import plan_with_items, session_body
from tests.programs.services.test_image_pipeline import png, post_image

pytestmark = pytest.mark.django_db

LIBRARY = "/api/v1/exercises/"


def names(response: Any) -> set[str]:
    return {card["name"] for card in response.json()["results"]}


def test_library_list_has_an_etag_and_answers_304(world: World) -> None:
    ExerciseFactory.create(name="Bridge")
    client = bearer_client(world.pt.user)
    first = client.get(LIBRARY)
    assert first.status_code == 200 and first["ETag"].startswith('"')
    again = client.get(LIBRARY, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"]
    # Another query is another answer.
    other = client.get(LIBRARY + "?q=bridge", HTTP_IF_NONE_MATCH=first["ETag"])
    assert other.status_code == 200 and other["ETag"] != first["ETag"]


def test_library_patch_is_visible_on_the_next_read(world: World) -> None:
    own = ExerciseFactory.create(name="Wall push", organization=world.org)
    client = bearer_client(world.pt.user)
    before = client.get(LIBRARY)
    assert "Wall push" in names(before)
    response = client.patch(f"{LIBRARY}{own.pk}/", {"name": "Wall press"}, format="json")
    assert response.status_code == 200, response.content
    after = client.get(LIBRARY, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert "Wall press" in names(after) and "Wall push" not in names(after)
    # Every user of the organization sees it (the answer is shared by organization).
    assert "Wall press" in names(bearer_client(world.pt_other.user).get(LIBRARY))


def test_image_upload_is_visible_on_the_next_read(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    own = ExerciseFactory.create(name="Step up", organization=world.org)
    client = bearer_client(world.pt.user)
    card = next(c for c in client.get(LIBRARY).json()["results"] if c["id"] == own.pk)
    assert card["thumbnail"] is None
    with django_capture_on_commit_callbacks(execute=True):  # the thumbnails task, eager
        assert post_image(client, own, png()).status_code == 201
    card = next(c for c in client.get(LIBRARY).json()["results"] if c["id"] == own.pk)
    assert card["thumbnail"] and card["thumbnail_alt_text"] == "A person bridging"


def test_a_write_through_the_orm_bumps_the_version_too(world: World) -> None:
    """The admin and fixture loads save models directly: the signal receivers bump for them."""
    exercise = ExerciseFactory.create(name="Clam")
    client = bearer_client(world.pt.user)
    assert "Clam" in names(client.get(LIBRARY))
    exercise.name = "Clamshell"
    exercise.save()
    assert "Clamshell" in names(client.get(LIBRARY))


def test_no_library_answer_crosses_organizations(world: World) -> None:
    ExerciseFactory.create(name="North only", organization=world.org)
    ExerciseFactory.create(name="South only", organization=world.other_org)
    north = bearer_client(world.pt.user).get(LIBRARY)
    south = bearer_client(world.foreign_pt.user).get(LIBRARY)
    assert "North only" in names(north) and "South only" not in names(north)
    assert "South only" in names(south) and "North only" not in names(south)
    assert north["ETag"] != south["ETag"]
    # The north answer's ETag means nothing to the south organization.
    again = bearer_client(world.foreign_pt.user).get(LIBRARY, HTTP_IF_NONE_MATCH=north["ETag"])
    assert again.status_code == 200 and "North only" not in names(again)
    # Staff see every organization's, in an answer of their own.
    staff = bearer_client(world.staff).get(LIBRARY)
    assert {"North only", "South only"} <= names(staff)


def test_plan_revision_is_visible_on_the_next_read(world: World) -> None:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=2)
    client = bearer_client(world.pt.user)
    url = f"/api/v1/plans/{plan.pk}/"
    first = client.get(url)
    assert first.status_code == 200 and first.json()["revision"] == 1
    unchanged = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert unchanged.status_code == 304
    # Health data: nothing is kept by a browser or proxy; the client revalidates with the ETag.
    assert unchanged["Cache-Control"] == first["Cache-Control"] == "private, no-store"
    patched = client.patch(url, {"reason": "Progressing", "title": "Week 3"}, format="json")
    assert patched.status_code == 200, patched.content
    after = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    assert (after.json()["revision"], after.json()["title"]) == (2, "Week 3")
    member_view = bearer_client(world.member.user).get(url)
    assert member_view.json()["title"] == "Week 3"


def test_a_cached_plan_is_not_shown_to_who_may_not_read_it(world: World) -> None:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    url = f"/api/v1/plans/{plan.pk}/"
    assert bearer_client(world.pt.user).get(url).status_code == 200  # cached now
    for outsider in (world.pt_other.user, world.other_member.user, world.foreign_pt.user,
                     world.coordinator):  # fmt: skip
        assert bearer_client(outsider).get(url).status_code == 404


def test_staff_reads_are_audited_on_the_304_path_too(world: World) -> None:
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=1)
    url = f"/api/v1/plans/{plan.pk}/"
    client = bearer_client(world.staff)
    reads = AuditEvent.objects.filter(user_id=world.staff.pk, member_id=world.member.pk)
    first = client.get(url)
    assert first.status_code == 200 and reads.count() == 1
    assert client.get(url).status_code == 200  # from the cache
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert reads.count() == 3


def test_a_logged_session_is_visible_on_the_next_today(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    client = bearer_client(world.member.user)
    before = client.get("/api/v1/today/")
    assert before.status_code == 200 and before.json()["sessions_today"] == 0
    assert [i["times_done"] for i in before.json()["items"]] == [0, 0]
    logged = client.post("/api/v1/sessions/", session_body(world.member, items), format="json")
    assert logged.status_code == 201, logged.content
    after = client.get("/api/v1/today/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after.json()["sessions_today"] == 1
    assert [i["times_done"] for i in after.json()["items"]] == [1, 1]


def test_today_is_never_another_members(world: World) -> None:
    plan_with_items(pt=world.pt, member=world.member, n=2)
    mine = bearer_client(world.member.user).get("/api/v1/today/")
    theirs = bearer_client(world.other_member.user).get(
        "/api/v1/today/", HTTP_IF_NONE_MATCH=mine["ETag"]
    )
    assert len(mine.json()["items"]) == 2
    assert theirs.status_code == 200 and theirs.json()["items"] == []
    foreign = bearer_client(world.foreign_member.user).get("/api/v1/today/")
    assert foreign.json()["items"] == [] and foreign["ETag"] != mine["ETag"]


def test_me_answers_304_and_changes_with_the_account(world: World) -> None:
    client = bearer_client(world.member.user)
    first = client.get("/api/v1/me/")
    assert client.get("/api/v1/me/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.patch("/api/v1/me/", {"first_name": "Nora"}, format="json").status_code == 200
    after = client.get("/api/v1/me/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after.json()["first_name"] == "Nora"
    other = bearer_client(world.other_member.user).get("/api/v1/me/")
    assert other.json()["id"] == world.other_member.user.pk


def test_queries_per_cached_read(world: World, django_assert_num_queries) -> None:
    ExerciseFactory.create(name="Bridge")
    plan, _ = plan_with_items(pt=world.pt, member=world.member, n=2)
    pt, member = bearer_client(world.pt.user), bearer_client(world.member.user)
    for client, url in ((pt, LIBRARY), (pt, f"/api/v1/plans/{plan.pk}/"),
                        (member, "/api/v1/today/"), (member, "/api/v1/me/")):  # fmt: skip
        assert client.get(url).status_code == 200  # fills the cache
    with django_assert_num_queries(0):
        assert pt.get(LIBRARY).status_code == 200
    with django_assert_num_queries(0):
        assert member.get("/api/v1/today/").status_code == 200
        assert member.get("/api/v1/me/").status_code == 200
    # A PT's plan read: who may read it (the scoped query) and the audit row, every time, in one
    # statement on PostgreSQL (audit.select_read_by_staff), two elsewhere.
    from django.db import connection

    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        assert pt.get(f"/api/v1/plans/{plan.pk}/").status_code == 200


def test_reads_still_answer_with_the_cache_off(world: World, settings: Any) -> None:
    settings.READ_CACHE = False
    ExerciseFactory.create(name="Bridge")
    response = bearer_client(world.pt.user).get(LIBRARY)
    assert response.status_code == 200 and "Bridge" in names(response)
    assert "ETag" not in response
    assert readcache.enabled() is False


def test_another_process_sees_a_bump_at_once(world: World) -> None:
    """Versions live in Redis, not in the process: a new process (another gunicorn worker, a
    Celery worker) reads the version a write here made, so it never answers from an old one."""
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    from tests.services import require_redis

    require_redis()
    code = (
        "import django, os; django.setup(); from exercise_tracker import readcache; "
        "readcache.namespace = os.environ['RC_NS']; "
        "print(readcache.versions(['library:global'])[0][0])"
    )
    env = {
        **os.environ,
        "RC_NS": readcache._ns(),
        "DJANGO_SETTINGS_MODULE": "exercise_tracker.settings_test",
    }

    def seen_elsewhere() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
            cwd=django_settings.BASE_DIR,
        )  # fmt: skip
        return done.stdout.strip().splitlines()[-1]

    here = readcache.versions(["library:global"])[0][0]
    assert seen_elsewhere() == here
    ExerciseFactory.create(name="New global exercise")  # a write: bumps library:global
    bumped = readcache.versions(["library:global"])[0][0]
    assert bumped != here
    assert seen_elsewhere() == bumped


def test_a_bump_lost_to_a_cache_outage_is_written_before_the_next_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    exercise = ExerciseFactory.create(name="Heel raise")
    client = bearer_client(world.pt.user)
    assert "Heel raise" in names(client.get(LIBRARY))  # stored under the current versions
    real = readcache._cache()

    class Down:
        def set_many(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("cache down")

    monkeypatch.setattr(readcache, "_cache", lambda: Down())
    exercise.name = "Heel lift"
    exercise.save()
    # Its commit writes the new versions, and finds the cache down (the test's transaction never
    # commits: the write the commit runs is run here).
    readcache._write_committed(("library:global", "library:all"))
    assert readcache._unwritten
    monkeypatch.setattr(readcache, "_cache", lambda: real)  # the cache is back
    assert "Heel lift" in names(client.get(LIBRARY))
    assert not readcache._unwritten


def test_a_write_writes_its_version_at_commit_or_before_its_own_next_read(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    scope = "member:424242"
    key = readcache._ns() + readcache.VERSION_PREFIX + scope
    (before,), _ = readcache.versions([scope])
    # The connection's own state (django.db.connection is a proxy with a __dict__ of its own).
    state = connections[DEFAULT_DB_ALIAS].__dict__
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        readcache.member_changed(424242)
        readcache.member_changed(424242)
        assert scope in state[readcache._UNFLUSHED]
        assert readcache._cache().get(key) == before  # nothing written before the commit
        (own,), _ = readcache.versions([scope])  # but the writer's own read sees its write
        assert own != before
        assert readcache._cache().get(key) == own
    assert len(callbacks) == 1  # once per scope per transaction
    callbacks[0]()
    # The commit writes again: a reader elsewhere may have stored the old rows under `own`.
    assert readcache._cache().get(key) not in (before, own)
    assert scope not in state[readcache._UNFLUSHED]

    # A write that reads nothing before its commit: one write, at the commit, and nothing left
    # to write before the next read. (Another member: the test's transaction never commits, so
    # the first one's commit write is still pending in it.)
    other = readcache._ns() + readcache.VERSION_PREFIX + "member:434343"
    (first,), _ = readcache.versions(["member:434343"])
    with django_capture_on_commit_callbacks(execute=True):
        readcache.member_changed(434343)
        assert readcache._cache().get(other) == first
    assert readcache._cache().get(other) != first
    assert "member:434343" not in state[readcache._UNFLUSHED]
