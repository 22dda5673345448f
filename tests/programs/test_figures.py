"""The figure renderer: start and end of every exercise drawn from poses.json, marked, described."""

from __future__ import annotations

import copy
import json
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from PIL import Image, ImageChops

from programs import figures
from programs.models import Exercise, ExerciseImage, ImageKind

POSES = figures.load_poses()
RAW = json.loads(figures.POSES_PATH.read_text(encoding="utf-8"))
LIBRARY = Path(settings.BASE_DIR) / "fixtures" / "library" / "exercises.json"


def accent_pixels(img: Image.Image) -> int:
    """Pixels close to the accent colour (the moving part and the arrows)."""
    r, g, b = (
        band.point(lambda v, c=c: 255 if abs(v - c) < 28 else 0)
        for band, c in zip(img.convert("RGB").split(), figures.ACCENT, strict=True)
    )
    mask = ImageChops.multiply(ImageChops.multiply(r, g), b)
    return sum(mask.histogram()[255:])


@pytest.mark.parametrize("slug", sorted(POSES))
def test_every_exercise_renders_start_end_and_an_animation(slug: str) -> None:
    ex = POSES[slug]
    pair = figures.render_pair(ex)
    assert pair.size == (2 * figures.PANEL, figures.PANEL)
    start = pair.crop((0, 60, figures.PANEL, figures.PANEL))
    end = pair.crop((figures.PANEL, 60, 2 * figures.PANEL, figures.PANEL))
    # The two positions differ, and the end panel marks the movement (accent limb or arrow).
    assert ImageChops.difference(start, end).getbbox() is not None
    assert accent_pixels(end) > 150

    frames, durations = figures.render_animation_frames(ex)
    assert len(frames) == len(durations) >= 2
    assert {frame.size for frame in frames} == {(figures.PANEL, figures.PANEL)}
    assert max(durations) >= 500  # the start and end positions are held
    data = figures.encode_animation(frames, durations)
    with Image.open(BytesIO(data)) as anim:
        assert anim.format == "WEBP"
        assert getattr(anim, "n_frames", 1) == len(frames)


def test_poses_cover_the_library_fixture() -> None:
    library = json.loads(LIBRARY.read_text(encoding="utf-8"))
    rows = library["exercises"] if isinstance(library, dict) else library
    slugs = {row["slug"] if "slug" in row else row["fields"]["slug"] for row in rows}
    assert slugs - set(POSES) == set()
    assert len(POSES) >= 40


def test_alt_text_describes_both_positions() -> None:
    ex = POSES["glute-bridge"]
    text = figures.alt_text("Glute bridge", ex)
    assert text.startswith("Glute bridge: lying on the back")
    assert ", then " in text and "hips" in text
    for slug, one in POSES.items():
        assert len(figures.alt_text(slug, one)) <= 300
        assert len(figures.animation_alt_text(slug, one)) <= 300


def _with(change) -> dict:
    data = copy.deepcopy(RAW)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["exercises"]["glute-bridge"]["end"].update({"thigh_nearr": 10}),
            "poses.glute-bridge.end: unknown key 'thigh_nearr'",
        ),
        (
            lambda d: d["exercises"]["glute-bridge"]["start"].update({"base": "upside_down"}),
            "poses.glute-bridge.start: unknown base 'upside_down'",
        ),
        (
            lambda d: d["exercises"]["glute-bridge"]["end"].update({"trunk": "up"}),
            "'trunk' must be a number",
        ),
        (
            lambda d: d["exercises"]["glute-bridge"].update({"moving": ["tail"]}),
            "unknown segment 'tail'",
        ),
        (
            lambda d: d["exercises"]["glute-bridge"].update({"anchor": "elbow"}),
            "unknown anchor joint 'elbow'",
        ),
        (
            lambda d: d["exercises"]["glute-bridge"].update({"props": ["trampoline"]}),
            "unknown prop 'trampoline'",
        ),
        (
            lambda d: d["exercises"]["glute-bridge"].pop("end_text"),
            "poses.glute-bridge: 'end_text' is required",
        ),
        (
            lambda d: d["exercises"].update(
                {"bare": {**d["exercises"]["glute-bridge"], "start": {"trunk": 90}}}
            ),
            "poses.bare.start: no angle for neck",
        ),
        (
            lambda d: d["exercises"]["glute-bridge"]["end"].update({"len": {"thigh": 5}}),
            "length factor of 'thigh'",
        ),
    ],
    ids=["typo", "base", "not-a-number", "segment", "anchor", "prop", "text", "no-base", "len"],
)
def test_invalid_pose_data_is_refused_with_a_clear_message(change, message: str) -> None:
    with pytest.raises(figures.PoseError) as caught:
        figures.parse_poses(_with(change))
    assert message in str(caught.value)


# --- drawing into the library ----------------------------------------------------------------


def _global_exercise(slug: str, name: str) -> Exercise:
    return Exercise.objects.create(
        name=name, slug=slug, category="strength", position="supine", organization=None
    )


@pytest.mark.django_db
def test_draw_library_figures_adds_a_main_drawing_and_an_animation_once(
    django_capture_on_commit_callbacks,
) -> None:
    bridge = _global_exercise("glute-bridge", "Glute bridge")
    _global_exercise("bird-dog", "Bird dog")
    _global_exercise("not-drawn", "Something without poses")
    calls: list[tuple[int, int]] = []
    with django_capture_on_commit_callbacks(execute=True):
        added = figures.draw_library_figures(
            progress=lambda done, total: calls.append((done, total))
        )
    assert added == 4
    assert calls[0] == (0, 2) and calls[-1] == (2, 2)

    images = list(ExerciseImage.objects.filter(exercise=bridge).order_by("order"))
    assert [image.kind for image in images] == [ImageKind.DRAWING, ImageKind.ANIMATION]
    drawing, animation = images
    assert drawing.is_main and not animation.is_main
    assert (drawing.width, drawing.height) == (960, 480)
    assert drawing.alt_text.startswith("Glute bridge: lying on the back")
    assert animation.alt_text.startswith("Animation of Glute bridge")
    assert drawing.thumbnail_small and drawing.thumbnail_large
    with animation.image.open("rb") as fp, Image.open(BytesIO(fp.read())) as anim:
        assert getattr(anim, "n_frames", 1) > 2

    assert figures.draw_library_figures() == 0
    assert ExerciseImage.objects.count() == 4
    assert not ExerciseImage.objects.filter(exercise__slug="not-drawn").exists()


@pytest.mark.django_db
def test_draw_library_command_shows_progress_and_can_pick_slugs() -> None:
    _global_exercise("glute-bridge", "Glute bridge")
    _global_exercise("bird-dog", "Bird dog")
    out = StringIO()
    call_command("draw_library", "bird-dog", stdout=out)
    assert "1/1 exercises" in out.getvalue()
    assert "2 images added" in out.getvalue()
    assert set(ExerciseImage.objects.values_list("exercise__slug", flat=True)) == {"bird-dog"}


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5)


def test_pictures_match_the_steps() -> None:
    # Figure-4: the crossed leg's ankle rests on the other knee from the start.
    start, _ = figures.frames_for(POSES["figure-4-piriformis-stretch"], (0.0, 1.0))
    assert _dist(start.joints["ankle_far"], start.joints["knee_near"]) < 6
    # Hamstring stretch: both knees bent at the start (the steps begin there).
    start, end = figures.frames_for(POSES["supine-hamstring-stretch"], (0.0, 1.0))
    for knee in ("knee_near", "knee_far"):
        assert start.joints[knee][1] > start.joints["hip_near"][1] + 10, knee
    assert end.joints["ankle_near"][1] > end.joints["knee_near"][1]  # then raised straight
    # Walking: a slight forward lean, then a sitting rest on a bench drawn only while seated.
    walk = POSES["walking-program"]
    start, end = figures.frames_for(walk, (0.0, 1.0))
    assert start.joints["neck"][0] > start.joints["pelvis"][0]  # leaning forward
    assert not figures._is_seated(start) and figures._is_seated(end)
    assert any(p["type"] == "chair" and p.get("seated_only") for p in walk.props)
