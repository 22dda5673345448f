"""The plan handout PDF: who may download it, what it says, and that typed text stays text."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from exercise_tracker.models import AuditEvent
from members.models import User
from programs.models import Exercise
from tests.conftest import World, bearer_client
from tests.factories import ExerciseImageFactory
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan

START = date(2025, 3, 3)


def _url(plan_id: int) -> str:
    return f"/api/v1/plans/{plan_id}/handout.pdf"


def _text(response: object) -> str:
    reader = PdfReader(BytesIO(response.content))  # type: ignore[attr-defined]
    return "\n".join(page.extract_text() or "" for page in reader.pages)


@pytest.fixture
def exercises(db: None) -> list[Exercise]:
    bridge = PlanExerciseFactory.create(
        name="Glute bridge",
        instructions=["Lie on your back, knees bent.", "Squeeze and lift the hips."],
        precautions=["Lift only as high as the back stays flat."],
    )
    walk = PlanExerciseFactory.create(
        name="Interval walking", instructions=["Walk, then sit when the legs tire."]
    )
    return [bridge, walk]


def test_the_member_downloads_their_handout_with_names_steps_doses_and_pictures(
    world: World, exercises: list[Exercise]
) -> None:
    bridge, walk = exercises
    ExerciseImageFactory.create(exercise=bridge, alt_text="Lifting the hips from the floor")
    world.pt.contact_phone = "555-0100"
    world.pt.save()
    plan = make_plan(
        pt=world.pt,
        member=world.member,
        items=[item(bridge, sets=3, reps=12, note="Slow on the way down"), item(walk)],
        start=START,
    ).plan
    response = bearer_client(world.member.user).get(_url(plan.pk))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _text(response)
    for expected in (
        world.org.name,
        world.member.user.display_name,
        "Glute bridge",
        "3 sets of 12 reps",
        "Squeeze and lift the hips.",
        "Slow on the way down",
        "Interval walking",
        "555-0100",
        "Take care: Lift only as high as the back stays flat.",
        "Stop an exercise if it makes your symptoms worse",
        "Get emergency care now",
    ):
        assert expected in text.replace("\n", " "), expected
    # The red flags send the member to emergency care, not to the clinic (issue 14).
    assert "Call your clinician" not in text.replace("\n", " ")
    # The picture is in the PDF: an image XObject on the first page.
    page = PdfReader(BytesIO(response.content)).pages[0]
    assert len(page.images) >= 1


def test_typed_text_prints_as_written_never_as_markup(
    world: World, exercises: list[Exercise]
) -> None:
    bridge, _ = exercises
    note = 'Go <b>slow</b> & <font size="40">steady</font> <img src="/etc/passwd"/> <br/>'
    plan = make_plan(
        pt=world.pt,
        member=world.member,
        items=[item(bridge, note=note)],
        start=START,
        note_to_member="</para><para>Injected & fine",
        title="Plan <i>one</i>",
    ).plan
    response = bearer_client(world.pt.user).get(_url(plan.pk))
    assert response.status_code == 200, response.content
    text = " ".join(_text(response).split())
    assert "<b>slow</b> &" in text
    assert '<img src="/etc/passwd"/>' in text
    assert "</para><para>Injected & fine" in text
    assert "Plan <i>one</i>" in text


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 200),
        ("pt", 200),
        ("staff", 200),
        ("other_member", 404),
        ("pt_other", 404),
        ("coordinator", 404),
        ("foreign_pt", 404),
        ("foreign_coordinator", 404),
    ],
)
def test_who_may_download_it(
    world: World, exercises: list[Exercise], who: str, status: int
) -> None:
    plan = make_plan(pt=world.pt, member=world.member, items=[item(exercises[0])], start=START)
    people: dict[str, User] = {
        "member": world.member.user,
        "other_member": world.other_member.user,
        "pt": world.pt.user,
        "pt_other": world.pt_other.user,
        "coordinator": world.coordinator,
        "foreign_pt": world.foreign_pt.user,
        "foreign_coordinator": world.foreign_coordinator,
        "staff": world.staff,
    }
    response = bearer_client(people[who]).get(_url(plan.plan.pk))
    assert response.status_code == status, response.content


def test_anonymous_is_401_and_a_draft_is_not_the_members_yet(
    world: World, exercises: list[Exercise]
) -> None:
    draft = make_plan(
        pt=world.pt, member=world.member, items=[item(exercises[0])], start=START, status="draft"
    ).plan
    assert bearer_client(None).get(_url(draft.pk)).status_code == 401
    assert bearer_client(world.member.user).get(_url(draft.pk)).status_code == 404
    assert bearer_client(world.pt.user).get(_url(draft.pk)).status_code == 200


def test_a_staff_download_is_audited(world: World, exercises: list[Exercise]) -> None:
    plan = make_plan(pt=world.pt, member=world.member, items=[item(exercises[0])], start=START).plan
    assert bearer_client(world.staff).get(_url(plan.pk)).status_code == 200
    assert AuditEvent.objects.filter(member_id=world.member.pk, action="read").exists()


def test_queries_do_not_grow_with_the_items(
    world: World, django_assert_max_num_queries: object
) -> None:
    few = [PlanExerciseFactory.create() for _ in range(2)]
    many = [PlanExerciseFactory.create() for _ in range(10)]
    for exercise in few + many:
        ExerciseImageFactory.create(exercise=exercise)
    small = make_plan(pt=world.pt, member=world.member, items=[item(e) for e in few], start=START)
    big = make_plan(
        pt=world.pt_other,
        member=world.other_member,
        items=[item(e) for e in many],
        start=START,
    )
    client = bearer_client(world.staff)  # reads both plans alike (and is audited alike)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(_url(small.plan.pk)).status_code == 200
    with django_assert_max_num_queries(len(baseline.captured_queries)):  # type: ignore[operator]
        assert client.get(_url(big.plan.pk)).status_code == 200


def test_an_exercise_longer_than_a_page_continues_on_the_next_one(world: World) -> None:
    # Twelve steps of 300 characters and a 500-character note (the limits) beside a very tall
    # picture: one table row taller than a page made ReportLab raise LayoutError (a 500).
    steps = [f"Step {n}: " + "breathe out and move slowly " * 10 for n in range(1, 13)]
    long_one = PlanExerciseFactory.create(name="Long exercise", instructions=steps)
    ExerciseImageFactory.create(
        exercise=long_one,
        image__width=100,
        image__height=1200,
        thumbnail_large__width=100,
        thumbnail_large__height=1200,
    )
    short = PlanExerciseFactory.create(name="Short exercise", instructions=["Just this."])
    plan = make_plan(
        pt=world.pt,
        member=world.member,
        items=[
            item(long_one, note="Mind the knee " * 35, load="x" * 80),
            item(short),
        ],
        start=START,
    ).plan
    response = bearer_client(world.member.user).get(_url(plan.pk))
    assert response.status_code == 200, response.content[:500]
    reader = PdfReader(BytesIO(response.content))
    assert len(reader.pages) >= 2
    text = " ".join(_text(response).split())
    assert "Step 12:" in text and "Short exercise" in text and "Mind the knee" in text


def test_the_handout_reads_thumbnails_never_the_original(
    world: World, exercises: list[Exercise]
) -> None:
    bridge, walk = exercises
    # An original that would be slow to decode, and no thumbnail yet: no picture, no decode.
    ExerciseImageFactory.create(exercise=bridge, thumbnail_large="", thumbnail_small="")
    with_thumbnail = ExerciseImageFactory.create(exercise=walk)
    original = str(with_thumbnail.image.name)
    with_thumbnail.image.storage.delete(original)  # only thumbnails remain
    plan = make_plan(
        pt=world.pt, member=world.member, items=[item(bridge), item(walk)], start=START
    ).plan
    opened: list[str] = []
    import PIL.Image

    real_open = PIL.Image.open

    def spy(fp, *args, **kwargs):
        if isinstance(getattr(fp, "name", None), str) and fp.name:
            opened.append(fp.name)  # files from storage (ReportLab also opens its buffers)
        return real_open(fp, *args, **kwargs)

    from unittest import mock

    with mock.patch("programs.handout.PILImage.open", side_effect=spy):
        response = bearer_client(world.member.user).get(_url(plan.pk))
    assert response.status_code == 200
    assert opened == [with_thumbnail.thumbnail_large.name]
    assert len(PdfReader(BytesIO(response.content)).pages[0].images) == 1


def test_the_handout_is_rate_limited(world: World, exercises: list[Exercise]) -> None:
    from django.conf import settings
    from django.core.cache import cache
    from django.test import override_settings

    plan = make_plan(pt=world.pt, member=world.member, items=[item(exercises[0])], start=START).plan
    framework: dict[str, Any] = dict(settings.REST_FRAMEWORK)
    rates = {**framework["DEFAULT_THROTTLE_RATES"], "handout": "2/min"}
    cache.clear()
    with override_settings(REST_FRAMEWORK={**framework, "DEFAULT_THROTTLE_RATES": rates}):
        client = bearer_client(world.member.user)
        answers = [client.get(_url(plan.pk)).status_code for _ in range(3)]
    cache.clear()
    assert answers == [200, 200, 429]
