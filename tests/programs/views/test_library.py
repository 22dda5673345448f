"""The library pages: `/library/` (PTs and staff) and `/library/<id>/` (staff roles who see it;
a member is sent to their own page of it)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from members.models import User
from programs.models import Exercise
from tests.conftest import World
from tests.factories import EquipmentFactory, ExerciseFactory, ExerciseImageFactory

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def card_names(html: str) -> list[str]:
    return re.findall(r'<span class="library-card-name">([^<]+)</span>', html)


@pytest.fixture
def library(world: World) -> dict[str, Exercise]:
    mat = EquipmentFactory.create(slug="mat", name="Exercise mat")
    bridge = ExerciseFactory.create(
        name="Glute bridge",
        regions=["hips", "pelvis"],
        equipment=[mat],
        precautions=["Lifting too high arches the low back."],
        dosing="reps_hold",
        default_sets=3,
        default_reps=12,
        default_hold_seconds=3,
    )
    single = ExerciseFactory.create(name="Single-leg bridge", regions=["hips"], regression=bridge)
    bridge.progression = single
    bridge.save()
    rows = {
        "bridge": bridge,
        "single": single,
        "figure4": ExerciseFactory.create(
            name="Figure-4 piriformis stretch", category="stretching", regions=["hips"]
        ),
        "calf": ExerciseFactory.create(
            name="Standing calf stretch", category="stretching", regions=["ankles", "knees"]
        ),
        "foreign": ExerciseFactory.create(
            name="South clinic bridge", slug="south-bridge", organization=world.other_org
        ),
    }
    ExerciseImageFactory.create(exercise=bridge, alt_text="A person lifting the hips")
    ExerciseImageFactory.create(exercise=bridge, is_main=False, order=1, alt_text="Animation")
    return rows


def test_a_pt_searches_and_filters_the_library(world: World, library) -> None:
    client = signed_in(world.pt.user)
    html = client.get("/library/").content.decode()
    assert card_names(html) == [
        "Figure-4 piriformis stretch",
        "Glute bridge",
        "Single-leg bridge",
        "Standing calf stretch",
    ]
    assert 'alt="A person lifting the hips"' in html
    thumb = library["bridge"].images.get(is_main=True).thumbnail_small.url
    assert f'src="{thumb}"' in html  # the thumbnail, never the original
    assert "Picture coming" in html  # the others have no picture yet

    html = client.get("/library/", {"q": "bridge"}).content.decode()
    assert card_names(html) == ["Glute bridge", "Single-leg bridge"]
    assert 'value="bridge"' in html  # the search box keeps the words

    html = client.get("/library/", {"category": "stretching", "region": "hips"}).content.decode()
    assert card_names(html) == ["Figure-4 piriformis stretch"]
    assert '<option value="stretching" selected>' in html


def test_a_bad_filter_says_so_and_shows_the_library(world: World, library) -> None:
    response = signed_in(world.pt.user).get("/library/", {"region": "elbows"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert len(card_names(html)) == 4


def test_pages_keep_the_filters(world: World, library) -> None:
    for n in range(30):
        ExerciseFactory.create(name=f"Hip drill {n:02d}", regions=["hips"])
    html = signed_in(world.pt.user).get("/library/", {"region": "hips"}).content.decode()
    assert "Page 1 of 2" in html
    assert 'href="?region=hips&amp;page=2"' in html


def test_the_library_page_queries_stay_constant(
    world: World, library, django_assert_max_num_queries
) -> None:
    client = signed_in(world.pt.user)
    with django_assert_max_num_queries(20) as few:
        client.get("/library/")
    for _ in range(20):
        ExerciseImageFactory.create(exercise=ExerciseFactory.create(regions=["hips", "knees"]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/library/").content.decode()
    assert len(card_names(html)) == 24


@pytest.mark.parametrize("actor", ["member", "coordinator"])
def test_the_browser_is_for_pts_and_staff(world: World, actor: str) -> None:
    user = world.member.user if actor == "member" else world.coordinator
    assert signed_in(user).get("/library/").status_code == 404
    assert signed_in(world.staff).get("/library/").status_code == 200
    assert Client().get("/library/").status_code == 302  # to the login page


def test_pts_see_a_library_link(world: World) -> None:
    html = signed_in(world.pt.user).get("/caseload/").content.decode()
    assert 'href="/library/"' in html
    html = signed_in(world.member.user).get("/today/").content.decode()
    assert 'href="/library/"' not in html


def test_the_exercise_page(world: World, library, django_assert_max_num_queries) -> None:
    bridge = library["bridge"]
    client = signed_in(world.pt.user)
    with django_assert_max_num_queries(12):
        response = client.get(f"/library/{bridge.pk}/")
    html = response.content.decode()
    assert "<h1" in html and "Glute bridge" in html
    assert "<li>Lie on your back.</li>" in html and "<li>Lift the hips.</li>" in html
    assert "Take care" in html and "Lifting too high arches the low back." in html
    assert "3 sets of 12 reps, hold 3 s each" in html
    assert 'alt="A person lifting the hips"' in html and 'alt="Animation"' in html
    assert f'href="/library/{library["single"].pk}/"' in html  # harder version
    assert "Exercise mat" in html or "exercise mat" in html


def test_members_open_only_their_plans_exercises_and_never_another_clinics(
    world: World, library
) -> None:
    """A member's page of an exercise is /plan/exercises/<id>/, for the exercises of their own
    plans (tests/programs/test_plan_exercise_page.py); the library page sends them there."""
    client = signed_in(world.member.user)
    response = client.get(f"/library/{library['single'].pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/plan/exercises/{library['single'].pk}/"
    assert client.get(f"/library/{library['single'].pk}/", follow=True).status_code == 404
    assert client.get(f"/library/{library['foreign'].pk}/", follow=True).status_code == 404
    assert (
        signed_in(world.foreign_pt.user).get(f"/library/{library['foreign'].pk}/").status_code
        == 200
    )


def test_the_pt_sees_the_tags_the_builder_checks(world: World) -> None:
    exercise = ExerciseFactory.create(precaution_tags=["extension", "prone_lying"])
    html = signed_in(world.pt.user).get(f"/library/{exercise.pk}/").content.decode()
    assert "Lumbar extension (bending backwards); Lying face down" in html
