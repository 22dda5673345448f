"""Lesson pictures: one or more labelled positions side by side, drawn by the exercise figure
renderer (programs.figures) from the same pose data, so lessons and exercises look alike.

A panel is {"label", "pose": {...}, "props"?} (a pose over a base posture of poses.json) or
{"label", "exercise": slug, "at": "start" | "end"} (a library exercise's own position).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image, ImageDraw

from programs import figures

MAX_PANELS = 3
MAX_LABEL = 22  # characters that fit the panel's label line


def _panel_exercise(
    spec: Mapping[str, Any], where: str, bases: Mapping[str, dict[str, Any]]
) -> figures.Exercise:
    if "exercise" in spec:
        poses = figures.load_poses()
        ex = poses.get(spec["exercise"])
        if ex is None:
            raise figures.PoseError(f"{where}: no pose data for exercise {spec['exercise']!r}")
        at = spec.get("at", "end")
        if at not in ("start", "end"):
            raise figures.PoseError(f"{where}: 'at' must be start or end")
        pose = ex.start if at == "start" else ex.end
        text = ex.start_text if at == "start" else ex.end_text
        return figures.Exercise(
            slug=ex.slug,
            view=ex.view,
            start=pose,
            end=pose,
            start_text=text,
            end_text=text,
            moving=frozenset(),
            anchor=ex.anchor,
            arrows=(),
            props=ex.props,
        )
    if "pose" not in spec:
        raise figures.PoseError(f"{where}: give a 'pose' or an 'exercise'")
    return figures._parse_exercise(
        where,
        {
            "view": spec.get("view", "side"),
            "start": spec["pose"],
            "end": spec["pose"],
            "start_text": spec["label"],
            "end_text": spec["label"],
            "moving": [],
            "arrows": [],
            "props": spec.get("props", []),
        },
        bases,
    )


def _bases() -> dict[str, dict[str, Any]]:
    data = json.loads(figures.POSES_PATH.read_text(encoding="utf-8"))
    bases: dict[str, dict[str, Any]] = {}
    for name, pose in data.get("bases", {}).items():
        bases[name] = figures._resolve_partial(pose, bases, f"bases.{name}")
    return bases


def check_picture(spec: Mapping[str, Any], where: str) -> list[figures.Exercise]:
    """The panels of a lesson's picture, checked; raises PoseError naming what is wrong."""
    panels: Sequence[Mapping[str, Any]] = spec.get("panels", [])
    if not isinstance(panels, list) or not 1 <= len(panels) <= MAX_PANELS:
        raise figures.PoseError(f"{where}: give 1 to {MAX_PANELS} panels")
    if not str(spec.get("alt", "")).strip():
        raise figures.PoseError(f"{where}: every picture needs its alt text")
    bases = _bases()
    out = []
    for index, panel in enumerate(panels):
        label = str(panel.get("label", ""))
        if not label.strip() or len(label) > MAX_LABEL:
            raise figures.PoseError(
                f"{where}.panels[{index}]: a label of 1 to {MAX_LABEL} characters"
            )
        out.append(_panel_exercise(panel, f"{where}.panels[{index}]", bases))
    return out


def render_lesson_picture(spec: Mapping[str, Any], where: str = "picture") -> Image.Image:
    """The panels side by side (PANEL x PANEL each), each with its label."""
    exercises = check_picture(spec, where)
    size = figures.PANEL
    out = Image.new("RGB", (size * len(exercises), size), figures.BG)
    draw = ImageDraw.Draw(out)
    for index, (ex, panel) in enumerate(zip(exercises, spec["panels"], strict=True)):
        (fig,) = figures.frames_for(ex, (0.0,))
        layout = figures._layout(ex, [fig], top_pad=64 * figures.SS)
        image = figures._panel(
            ex, layout, fig, fig, label=panel["label"], ghost=None, arrows_from=None
        )
        out.paste(image, (size * index, 0))
        if index:
            draw.line(
                [(size * index, 16), (size * index, size - 16)], fill=(214, 220, 228), width=2
            )
    return out
