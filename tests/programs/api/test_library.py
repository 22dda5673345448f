"""`/api/v1/exercises/`: the library list, filters, search, detail, and PTs' own exercises."""

from __future__ import annotations

from typing import Any

import pytest

from programs.api.serializers import ExerciseCardSerializer
from programs.models import Exercise
from programs.selectors import library as selectors
from tests.conftest import World, bearer_client
from tests.factories import EquipmentFactory, ExerciseFactory, ExerciseImageFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/exercises/"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def library(world: World) -> dict[str, Exercise]:
    strap = EquipmentFactory.create(slug="strap", name="Strap or towel")
    mat = EquipmentFactory.create(slug="mat", name="Exercise mat")
    rows = {
        "bridge": ExerciseFactory.create(
            name="Glute bridge",
            regions=["hips", "pelvis"],
            difficulty=1,
            cues=["Push through the heels."],
            equipment=[mat],
        ),
        "single": ExerciseFactory.create(
            name="Single-leg bridge", regions=["hips", "core"], difficulty=3
        ),
        "hamstring": ExerciseFactory.create(
            name="Supine hamstring stretch",
            category="stretching",
            regions=["hips", "knees"],
            instructions=["Loop a STRAP around one foot.", "Raise the leg."],
            equipment=[strap, mat],
        ),
        "chin": ExerciseFactory.create(
            name="Chin tuck",
            category="mobility",
            position="seated",
            regions=["cervical"],
            instructions=["Glide the head back: crème de la crème."],
        ),
        "own": ExerciseFactory.create(
            name="North clinic bridge", slug="north-bridge", organization=world.org
        ),
        "foreign": ExerciseFactory.create(
            name="South clinic bridge", slug="south-bridge", organization=world.other_org
        ),
    }
    return rows


# --- list and cards -----------------------------------------------------------------------------


def test_the_list_shows_the_global_library_and_the_users_own_organizations(
    world: World, library: dict[str, Exercise]
) -> None:
    for user in (world.pt.user, world.member.user, world.coordinator):
        got = names(bearer_client(user).get(URL))
        assert "North clinic bridge" in got
        assert "South clinic bridge" not in got
        assert got == sorted(got)
    assert "North clinic bridge" not in names(bearer_client(world.foreign_pt.user).get(URL))
    assert len(names(bearer_client(world.staff).get(URL))) == 6


def test_a_card_carries_the_small_thumbnail_never_the_original(
    world: World, library: dict[str, Exercise]
) -> None:
    ExerciseImageFactory.create(exercise=library["bridge"], alt_text="A person lifting the hips")
    ExerciseImageFactory.create(exercise=library["single"], thumbnail_small="")  # not made yet
    body = bearer_client(world.pt.user).get(URL, {"q": "bridge"}).json()
    cards = {row["name"]: row for row in body["results"]}
    bridge = cards["Glute bridge"]
    assert set(bridge) == {
        "id",
        "name",
        "slug",
        "summary",
        "category",
        "regions",
        "equipment",
        "position",
        "difficulty",
        "movement_bias",
        "dosing",
        "is_global",
        "thumbnail",
        "thumbnail_alt_text",
    }
    image = library["bridge"].images.get()
    assert bridge["thumbnail"].endswith(image.thumbnail_small.url)
    assert bridge["thumbnail"].startswith("http://testserver/")
    assert bridge["thumbnail_alt_text"] == "A person lifting the hips"
    assert bridge["regions"] == ["hips", "pelvis"]
    assert bridge["equipment"] == ["mat"]
    assert cards["Single-leg bridge"]["thumbnail"] is None
    assert (
        cards["Chin tuck" if "Chin tuck" in cards else "North clinic bridge"]["thumbnail"] is None
    )


def test_cards_are_what_the_card_serializer_documents(
    world: World, library: dict[str, Exercise], rf: Any
) -> None:
    # The list builds cards from plain rows for speed; ExerciseCardSerializer documents them.
    mat = EquipmentFactory.create(slug="mat", name="Mat")
    band = EquipmentFactory.create(slug="band", name="Band")
    library["bridge"].equipment.set([mat, band])
    library["bridge"].regions.set(["pelvis", "hips"])  # type: ignore[list-item]  # keyed by code
    ExerciseImageFactory.create(exercise=library["bridge"], alt_text="Lifting the hips")
    body = bearer_client(world.pt.user).get(URL, {"page_size": "100"}).json()
    request = rf.get(URL)
    for card in body["results"]:
        exercise = selectors.library_cards(world.pt.user).get(pk=card["id"])
        expected = ExerciseCardSerializer(exercise, context={"request": request}).data
        assert card == dict(expected), card["slug"]


def test_list_queries_do_not_grow_with_rows(
    world: World, django_assert_max_num_queries, library: dict[str, Exercise]
) -> None:
    client = bearer_client(world.pt.user)
    for exercise in library.values():
        ExerciseImageFactory.create(exercise=exercise)
    with django_assert_max_num_queries(7) as few:
        assert client.get(URL, {"page_size": 100}).status_code == 200
    mat = EquipmentFactory.create(slug="mat")
    for _ in range(40):
        exercise = ExerciseFactory.create(regions=["hips", "knees"], equipment=[mat])
        ExerciseImageFactory.create(exercise=exercise)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL, {"page_size": "100", "q": "exercise", "region": "hips"})
    assert response.json()["count"] == 44  # the 40 new ones and 4 hip exercises above


# --- filters and search -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "stretching"}, ["Supine hamstring stretch"]),
        (
            {"region": "hips", "category": "strength"},
            ["Glute bridge", "North clinic bridge", "Single-leg bridge"],
        ),
        ({"region": "cervical"}, ["Chin tuck"]),
        ({"equipment": "strap"}, ["Supine hamstring stretch"]),
        ({"equipment": "mat"}, ["Glute bridge", "Supine hamstring stretch"]),
        ({"difficulty": "3"}, ["Single-leg bridge"]),
        ({"position": "seated"}, ["Chin tuck"]),
        # q: the name, any case; name matches first
        ({"q": "BRIDGE"}, ["Glute bridge", "North clinic bridge", "Single-leg bridge"]),
        # q: every word must match somewhere
        ({"q": "single bridge"}, ["Single-leg bridge"]),
        # q: the cues and the steps, any case
        ({"q": "heels"}, ["Glute bridge"]),
        ({"q": "strap"}, ["Supine hamstring stretch"]),
        ({"q": "crème"}, ["Chin tuck"]),
        (
            {"q": "bridge", "ordering": "-difficulty"},
            ["Single-leg bridge", "Glute bridge", "North clinic bridge"],
        ),
        ({"q": "nothing like this"}, []),
    ],
)
def test_filters_and_search(
    world: World, library: dict[str, Exercise], params: dict, expected: list[str]
) -> None:
    assert names(bearer_client(world.pt.user).get(URL, params)) == expected


def test_search_ranks_name_matches_before_step_matches(world: World, library) -> None:
    ExerciseFactory.create(name="Bridge walk-out", instructions=["Walk out."])
    ExerciseFactory.create(name="Wall sit", instructions=["Lean like a bridge on the wall."])
    got = names(bearer_client(world.pt.user).get(URL, {"q": "bridge"}))
    assert got[-1] == "Wall sit"
    assert got[0] == "Bridge walk-out"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"category": "yoga"}, "category"),
        ({"region": "elbows"}, "region"),
        ({"equipment": "kettlebell"}, "equipment"),
        ({"difficulty": "9"}, "difficulty"),
        ({"position": "upside_down"}, "position"),
        ({"ordering": "password"}, "ordering"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(
    world: World, library, params: dict, field: str
) -> None:
    response = bearer_client(world.pt.user).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_inactive_exercises_leave_the_list_but_keep_their_page(world: World, library) -> None:
    Exercise.objects.filter(pk=library["chin"].pk).update(is_active=False)
    client = bearer_client(world.pt.user)
    assert "Chin tuck" not in names(client.get(URL))
    assert client.get(f"{URL}{library['chin'].pk}/").status_code == 200


# --- detail -------------------------------------------------------------------------------------


def test_detail_has_steps_cues_precautions_dose_pictures_and_versions(
    world: World, library: dict[str, Exercise]
) -> None:
    bridge, single = library["bridge"], library["single"]
    bridge.progression = single
    bridge.precautions = ["Not too high: it arches the back."]
    bridge.dosing, bridge.default_sets, bridge.default_reps = "reps_hold", 3, 12
    bridge.default_hold_seconds = 3
    bridge.save()
    single.regression = bridge
    single.save()
    ExerciseImageFactory.create(exercise=bridge, alt_text="Start and end of a bridge")
    ExerciseImageFactory.create(exercise=bridge, is_main=False, order=1, alt_text="Animation")

    body = bearer_client(world.member.user).get(f"{URL}{bridge.pk}/").json()
    assert body["instructions"] == ["Lie on your back.", "Lift the hips."]
    assert body["cues"] == ["Push through the heels."]
    assert body["precautions"] == ["Not too high: it arches the back."]
    assert body["dose"]["dosing"] == "reps_hold"
    assert body["dose"]["label"] == "3 sets of 12 reps, hold 3 s each"
    assert [i["alt_text"] for i in body["images"]] == ["Start and end of a bridge", "Animation"]
    assert all(i["thumbnail"] for i in body["images"])
    assert body["thumbnail_alt_text"] == "Start and end of a bridge"
    assert body["progression"] == {
        "id": single.pk,
        "name": "Single-leg bridge",
        "slug": single.slug,
    }
    assert body["regression"] is None
    assert body["organization"] is None and body["is_global"] is True


def test_another_organizations_exercise_is_404(world: World, library) -> None:
    client = bearer_client(world.pt.user)
    assert client.get(f"{URL}{library['foreign'].pk}/").status_code == 404
    assert client.get(f"{URL}{library['own'].pk}/").status_code == 200
    assert client.get(f"{URL}999999999/").status_code == 404


# --- create -------------------------------------------------------------------------------------


def new_exercise(**overrides) -> dict:
    return {
        "name": "Towel scrunch",
        "category": "strength",
        "position": "seated",
        "regions": ["ankles"],
        "instructions": ["Sit with a towel under one foot.", "Scrunch it towards you."],
        "cues": ["Keep the heel down."],
        "dose": {"dosing": "reps", "sets": 2, "reps": 15},
        "equipment": [],
        **overrides,
    }


def test_a_pt_creates_an_exercise_for_their_organization(world: World, library) -> None:
    client = bearer_client(world.pt.user)
    body = new_exercise(
        organization=world.other_org.pk, slug="hijack", regression=library["chin"].pk
    )
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    created = Exercise.objects.get(pk=data["id"])
    assert created.organization == world.org  # the PT's, whatever the body said
    assert created.slug == "towel-scrunch"
    assert created.created_by == world.pt.user
    assert data["dose"]["label"] == "2 sets of 15 reps"
    assert data["regression"]["id"] == library["chin"].pk
    assert data["precaution_tags"] == []
    # The same name again: a unique slug in the organization.
    again = client.post(URL, new_exercise(), format="json").json()
    assert again["slug"] == "towel-scrunch-2"
    # Their colleagues see it; the other clinic does not.
    assert client.get(f"{URL}{created.pk}/").status_code == 200
    assert bearer_client(world.pt_other.user).get(f"{URL}{created.pk}/").status_code == 200
    assert bearer_client(world.foreign_pt.user).get(f"{URL}{created.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"category": "yoga"}, "category"),
        ({"regions": []}, "regions"),
        ({"regions": ["elbows"]}, "regions[0]"),
        ({"instructions": []}, "instructions"),
        ({"instructions": ["   "]}, "instructions"),
        ({"equipment": ["kettlebell"]}, "equipment"),
        ({"difficulty": 4}, "difficulty"),
        ({"dose": {"dosing": "hold", "sets": 3}}, "dose.hold_seconds"),
        ({"dose": {"dosing": "reps", "sets": 0, "reps": 10}}, "dose.sets"),
        ({"regression": 2**62}, "regression"),
        ({"precaution_tags": ["yoga"]}, "precaution_tags[0]"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    world: World, library, overrides: dict, field: str
) -> None:
    response = bearer_client(world.pt.user).post(URL, new_exercise(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Exercise.objects.filter(name="Towel scrunch").exists()


def test_a_missing_field_is_named(world: World) -> None:
    body = new_exercise()
    del body["instructions"], body["dose"]
    response = bearer_client(world.pt.user).post(URL, body, format="json")
    assert response.status_code == 400
    assert {"instructions", "dose"} <= set(response.json()["errors"])


def test_linking_another_organizations_exercise_is_a_400_on_that_field(
    world: World, library
) -> None:
    body = new_exercise(progression=library["foreign"].pk)
    response = bearer_client(world.pt.user).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"progression": ["No such exercise in your library."]}


@pytest.mark.parametrize("actor", ["member", "coordinator", "staff"])
def test_only_pts_create(world: World, actor: str) -> None:
    user = {"member": world.member.user, "coordinator": world.coordinator, "staff": world.staff}
    response = bearer_client(user[actor]).post(URL, new_exercise(), format="json")
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Exercise.objects.exists()
    assert bearer_client(None).post(URL, new_exercise(), format="json").status_code == 401


# --- edit ---------------------------------------------------------------------------------------


def test_a_pt_edits_their_organizations_exercise(world: World, library) -> None:
    own = library["own"]
    response = bearer_client(world.pt_other.user).patch(
        f"{URL}{own.pk}/",
        {
            "name": "North clinic bridge, banded",
            "dose": {"reps": 15},
            "regions": ["hips", "knees"],
            "organization": world.other_org.pk,
            "slug": "elsewhere",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    own.refresh_from_db()
    assert own.name == "North clinic bridge, banded"
    assert own.slug == "north-bridge"  # addresses stay
    assert own.organization == world.org
    assert (own.default_sets, own.default_reps) == (2, 15)  # the rest of the dose kept
    assert response.json()["regions"] == ["hips", "knees"]


def test_a_global_exercise_is_403_for_a_pt_and_editable_by_staff(world: World, library) -> None:
    """Design choice: the global library is visible to the PT, so refusing with 404 would hide
    nothing; 403 says why (staff edit it). Another organization's exercise stays 404."""
    bridge = library["bridge"]
    response = bearer_client(world.pt.user).patch(
        f"{URL}{bridge.pk}/", {"name": "Mine now"}, format="json"
    )
    assert response.status_code == 403
    assert "staff" in response.json()["detail"]
    foreign = bearer_client(world.pt.user).patch(
        f"{URL}{library['foreign'].pk}/", {"name": "Mine now"}, format="json"
    )
    assert foreign.status_code == 404
    for user in (world.member.user, world.coordinator):
        assert (
            bearer_client(user).patch(f"{URL}{bridge.pk}/", {"name": "x"}, format="json")
        ).status_code == 403
    staff = bearer_client(world.staff).patch(
        f"{URL}{bridge.pk}/", {"summary": "Reviewed by staff."}, format="json"
    )
    assert staff.status_code == 200
    bridge.refresh_from_db()
    assert bridge.name == "Glute bridge" and bridge.summary == "Reviewed by staff."


def test_a_global_exercise_may_not_link_into_one_clinic(world: World, library) -> None:
    response = bearer_client(world.staff).patch(
        f"{URL}{library['bridge'].pk}/", {"progression": library["own"].pk}, format="json"
    )
    assert response.status_code == 400
    assert "progression" in response.json()["errors"]


def test_an_exercise_is_not_its_own_progression(world: World, library) -> None:
    own = library["own"]
    response = bearer_client(world.pt.user).patch(
        f"{URL}{own.pk}/", {"progression": own.pk}, format="json"
    )
    assert response.status_code == 400
    assert "progression" in response.json()["errors"]


def test_an_empty_filter_is_a_400_naming_it(world: World) -> None:
    # Found by the fuzzer: `?category=` listed everything as if no filter were given.
    client = bearer_client(world.pt.user)
    for name in ("category", "region", "equipment", "difficulty", "position", "q", "ordering"):
        response = client.get(f"{URL}?{name}=")
        assert response.status_code == 400, name
        assert set(response.json()["errors"]) == {name}


def test_a_pt_tags_their_exercise_with_structured_precautions(world: World) -> None:
    body = new_exercise(precaution_tags=["extension", "prone_lying", "extension"])
    response = bearer_client(world.pt.user).post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["precaution_tags"] == ["extension", "prone_lying"]
    created = Exercise.objects.get(pk=response.json()["id"])
    assert created.precaution_tags == ["extension", "prone_lying"]
