"""`/api/v1/lessons/`: members read their assigned lessons and record reading them once; PTs
read the library; nobody sees another member's lessons."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exercise_tracker.models import AuditEvent
from members.rules import safety
from programs.models import Lesson, LessonRead
from programs.selectors.lessons import lesson_progress, next_unread_lesson
from programs.services.lessons import record_lesson_read
from tests.conftest import World, bearer_client
from tests.programs.lessons.helpers import load_shipped, plan_with_lessons


def test_a_member_lists_their_lessons_with_read_at(world: World) -> None:
    lessons = load_shipped()
    plan_with_lessons(world, [lessons[0], lessons[5]])
    client = bearer_client(world.member.user)
    body = client.get("/api/v1/lessons/").json()
    assert [row["id"] for row in body["results"]] == [lessons[0].pk, lessons[5].pk]
    assert [row["read_at"] for row in body["results"]] == [None, None]
    assert client.get(f"/api/v1/lessons/{lessons[1].pk}/").status_code == 404  # not assigned


def test_reading_is_recorded_once(world: World) -> None:
    lessons = load_shipped()
    plan_with_lessons(world, lessons[:2])
    client = bearer_client(world.member.user)
    before = AuditEvent.objects.count()
    first = client.post(f"/api/v1/lessons/{lessons[0].pk}/read/")
    again = client.post(f"/api/v1/lessons/{lessons[0].pk}/read/")
    assert first.status_code == again.status_code == 200
    assert first.json()["read_at"] is not None
    assert again.json()["read_at"] == first.json()["read_at"]
    assert LessonRead.objects.filter(member=world.member).count() == 1
    assert AuditEvent.objects.count() - before == 1  # the one write
    listed = client.get("/api/v1/lessons/").json()["results"]
    assert [row["read_at"] is not None for row in listed] == [True, False]
    assert next_unread_lesson(world.member.user) == lessons[1]
    assert lesson_progress([world.member.pk])[world.member.pk].label == "1/2"


def test_the_help_now_lesson_carries_the_safety_wording(world: World) -> None:
    lessons = load_shipped()
    help_now = Lesson.objects.get(slug="when-to-get-help-now")
    plan_with_lessons(world, [help_now])
    body = bearer_client(world.member.user).get(f"/api/v1/lessons/{help_now.pk}/").json()
    flags = [s for s in body["sections"] if s["kind"] == "red_flags"]
    assert flags[0]["heading"] == safety.RED_FLAG_LEAD
    assert flags[0]["bullets"] == list(safety.RED_FLAG_SIGNS)
    assert flags[0]["action"] == safety.RED_FLAG_ACTION
    # every section has the same keys, so a client never meets a missing field
    assert {frozenset(s) for s in body["sections"]} == {
        frozenset({"kind", "heading", "paragraphs", "bullets", "action"})
    }
    assert all(s["action"] is None for s in body["sections"] if s["kind"] == "text")
    assert len(lessons) == 6


def test_a_pt_lists_the_library_and_may_not_record_reads(world: World) -> None:
    lessons = load_shipped()
    client = bearer_client(world.foreign_pt.user)
    body = client.get("/api/v1/lessons/").json()
    assert [row["id"] for row in body["results"]] == [lesson.pk for lesson in lessons]
    assert all(row["read_at"] is None for row in body["results"])
    assert client.post(f"/api/v1/lessons/{lessons[0].pk}/read/").status_code == 404


def test_another_members_lessons_and_drafts_are_404(world: World) -> None:
    lessons = load_shipped()
    plan_with_lessons(world, [lessons[3]], member=world.other_member, pt=world.pt_other)
    client = bearer_client(world.member.user)
    assert client.get(f"/api/v1/lessons/{lessons[3].pk}/").status_code == 404
    assert client.post(f"/api/v1/lessons/{lessons[3].pk}/read/").status_code == 404
    from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan

    make_plan(
        pt=world.pt,
        member=world.member,
        items=[item(PlanExerciseFactory.create())],
        start=lessons[0].created_at.date(),
        status="draft",
        lessons=[lessons[4].pk],
    )
    assert client.get(f"/api/v1/lessons/{lessons[4].pk}/").status_code == 404
    with pytest.raises(Lesson.DoesNotExist):
        record_lesson_read(user=world.member.user, lesson_id=lessons[4].pk)


def test_the_list_costs_the_same_queries_for_many_lessons(world: World) -> None:
    lessons = load_shipped()
    plan = plan_with_lessons(world, lessons[:1])
    client = bearer_client(world.member.user)
    client.get("/api/v1/me/")  # a first request caches the signed-in user: count like for like
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/lessons/").status_code == 200
    from programs.services import plans as services

    services.revise_plan(
        user=world.pt.user, plan=plan, reason="all", lessons=[x.pk for x in lessons]
    )
    for lesson in lessons[:3]:
        record_lesson_read(user=world.member.user, lesson_id=lesson.pk)
    with CaptureQueriesContext(connection) as six:
        assert len(client.get("/api/v1/lessons/").json()["results"]) == 6
    assert len(six) == len(one)


def test_lesson_progress_is_two_queries(world: World, django_assert_max_num_queries) -> None:
    lessons = load_shipped()
    plan_with_lessons(world, lessons[:3])
    plan_with_lessons(world, lessons[:2], member=world.other_member, pt=world.pt_other)
    record_lesson_read(user=world.other_member.user, lesson_id=lessons[0].pk)
    with django_assert_max_num_queries(2):
        progress = lesson_progress([world.member.pk, world.other_member.pk])
    assert progress[world.member.pk].label == "0/3"
    assert progress[world.other_member.pk].label == "1/2"
