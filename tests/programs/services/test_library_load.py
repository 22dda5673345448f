"""`load_library`: the starting library loads completely, idempotently, and sensibly."""

from __future__ import annotations

import copy
import io
import itertools
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from programs.management.commands.load_library import LIBRARY_FILE
from programs.models import Category, Exercise, ExerciseImage, MovementBias, Region
from programs.services.library import LibraryError, load_library
from programs.services.plan_items import clean_dose

pytestmark = pytest.mark.django_db

SLUGS_TABLE = Path(settings.BASE_DIR) / "fixtures" / "library" / "poses.json"


@pytest.fixture
def data() -> dict:
    return json.loads(LIBRARY_FILE.read_text(encoding="utf-8"))


def snapshot() -> dict[str, tuple]:
    rows = Exercise.objects.filter(organization__isnull=True).prefetch_related(
        "regions", "equipment"
    )
    return {
        e.slug: (
            e.pk,
            e.updated_at,
            e.name,
            e.summary,
            tuple(e.instructions),
            e.regression_id,
            e.progression_id,
            tuple(sorted(r.code for r in e.regions.all())),
            tuple(sorted(q.slug for q in e.equipment.all())),
        )
        for e in rows
    }


def test_loading_twice_changes_nothing(data: dict) -> None:
    first = load_library(data=data)
    assert first.created == 45
    before = snapshot()
    second = load_library(data=data)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 45)
    assert not second.changed
    assert snapshot() == before  # not even updated_at moved


def test_a_changed_text_updates_only_that_row(data: dict) -> None:
    load_library(data=data)
    before = snapshot()
    changed = copy.deepcopy(data)
    bridge = next(e for e in changed["exercises"] if e["slug"] == "glute-bridge")
    bridge["summary"] = "Hips lifted from the floor by squeezing the buttocks."
    bridge["instructions"].append("Rest between sets.")
    bridge["regions"] = ["hips"]
    result = load_library(data=changed)
    assert (result.created, result.updated) == (0, 1)
    after = snapshot()
    row = Exercise.objects.get(slug="glute-bridge", organization__isnull=True)
    assert row.summary == "Hips lifted from the floor by squeezing the buttocks."
    assert row.instructions[-1] == "Rest between sets."
    assert [r.code for r in row.regions.all()] == ["hips"]
    assert after["glute-bridge"][1] > before["glute-bridge"][1]
    assert {k: v for k, v in after.items() if k != "glute-bridge"} == {
        k: v for k, v in before.items() if k != "glute-bridge"
    }


def test_every_exercise_is_complete_and_its_dose_starts_a_valid_plan_item(data: dict) -> None:
    load_library(data=data)
    exercises = list(Exercise.objects.filter(organization__isnull=True).prefetch_related("regions"))
    assert len(exercises) == 45
    for exercise in exercises:
        assert 3 <= len(exercise.instructions) <= 6, exercise.slug
        assert 2 <= len(exercise.cues) <= 4, exercise.slug
        assert exercise.summary, exercise.slug
        assert list(exercise.regions.all()), exercise.slug
        assert 1 <= exercise.difficulty <= 3
        # The default dose is what a new plan item starts from: it must pass the plan's checks.
        _dose, errors = clean_dose(exercise=exercise, raw={}, where="item")
        assert errors == {}, (exercise.slug, errors)
    categories = {e.category for e in exercises}
    regions = {r.code for e in exercises for r in e.regions.all()}
    assert categories == set(Category.values)
    assert regions == set(Region.values)


def test_extension_biased_exercises_carry_the_stenosis_precaution(data: dict) -> None:
    load_library(data=data)
    extension = Exercise.objects.filter(movement_bias=MovementBias.EXTENSION)
    assert {e.slug for e in extension} >= {"prone-press-up", "standing-extension-test"}
    for exercise in extension:
        assert any("stenosis" in line for line in exercise.precautions), exercise.slug
    flexion = Exercise.objects.filter(movement_bias=MovementBias.FLEXION).count()
    assert flexion >= 8  # stenosis programs are built from these


def test_easier_and_harder_versions_are_linked(data: dict) -> None:
    load_library(data=data)
    rows = {e.slug: e for e in Exercise.objects.select_related("regression", "progression")}
    chains = [
        ("abdominal-drawing-in", "dead-bug-arms-only", "dead-bug"),
        ("glute-bridge", "single-leg-bridge"),
        ("single-knee-to-chest", "double-knee-to-chest"),
        ("sit-to-stand", "mini-squat", "wall-sit"),
        ("weight-shifts", "single-leg-stance", "tandem-walk"),
    ]
    for chain in chains:
        for easier, harder in itertools.pairwise(chain):
            assert rows[easier].progression == rows[harder], (easier, harder)
            assert rows[harder].regression == rows[easier], (easier, harder)
    for spec in data["exercises"]:
        for name in ("regression", "progression"):
            target = getattr(rows[spec["slug"]], name)
            assert (target.slug if target else None) == spec[name]


def test_every_library_exercise_has_pose_data_for_its_picture(data: dict) -> None:
    poses = json.loads(SLUGS_TABLE.read_text(encoding="utf-8"))["exercises"]
    assert {e["slug"] for e in data["exercises"]} == set(poses)


def test_a_bad_fixture_names_the_exercise_and_changes_nothing(data: dict) -> None:
    broken = copy.deepcopy(data)
    broken["exercises"][-1]["regions"] = ["elbows"]
    with pytest.raises(LibraryError, match=r"walking-program: regions"):
        load_library(data=broken)
    assert not Exercise.objects.exists()

    broken = copy.deepcopy(data)
    broken["exercises"][0]["progression"] = "no-such-exercise"
    with pytest.raises(LibraryError, match="no-such-exercise"):
        load_library(data=broken)
    assert not Exercise.objects.exists()  # one transaction: the created rows rolled back


def test_the_command_reports_and_draws_a_picture_for_every_exercise(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("load_library", stdout=out)
    text = out.getvalue()
    assert "45 created" in text
    assert "45/45" in text  # the progress bar reached the end
    missing = Exercise.objects.filter(organization__isnull=True).exclude(
        images__in=ExerciseImage.objects.exclude(alt_text="")
    )
    assert not missing.exists(), list(missing.values_list("slug", flat=True))
    assert ExerciseImage.objects.filter(is_main=True).count() == 45

    out = io.StringIO()
    call_command("load_library", stdout=out)
    assert "0 created, 0 updated, 45 unchanged" in out.getvalue()
    assert "Pictures: 0 added" in out.getvalue()


def test_the_command_refuses_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("load_library", "--path", str(path), stdout=io.StringIO())
