"""The figure renderer: start and end positions of each library exercise drawn from pose data.

Poses live in fixtures/library/poses.json. A pose gives the absolute angle, in degrees, of each
body segment in the picture plane (0 points forward, to the right; 90 up; -90 down; 180 back),
starting from a shared base posture (supine, standing, seated, ...) so that an exercise states only
what differs. The figure is placed on the floor by its lowest point; an `anchor` joint stays put
between start and end (the feet in a sit-to-stand, the hands on a wall). Pillow only, no network.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

POSES_PATH = Path(settings.BASE_DIR) / "fixtures" / "library" / "poses.json"

PANEL = 480  # one panel is PANEL x PANEL; the drawing is two panels side by side
SS = 2  # supersampling factor: draw large, shrink once (smooth edges without antialiasing APIs)
MAX_PX_PER_UNIT = 4.2  # caps how large a small movement is drawn

# Segment lengths and thicknesses in body units (standing height is about 100).
LENGTH = {
    "trunk": 30.0,
    "neck": 12.0,
    "upper_arm": 17.0,
    "forearm": 14.0,
    "thigh": 25.0,
    "shin": 24.0,
    "foot": 9.0,
}
THICK = {
    "trunk": 13.0,
    "neck": 5.0,
    "upper_arm": 6.0,
    "forearm": 5.0,
    "thigh": 8.5,
    "shin": 6.5,
    "foot": 4.5,
}
HEAD_R = 7.0
HAND_R = 3.0
HEEL = 2.5  # how far the heel reaches behind the ankle
FOOT_DROP = 2.0  # the sole lies below the ankle joint
SHOULDER_DROP = 3.0  # shoulders sit a little below the top of the trunk
HALF_WIDTH = {"hip": 4.5, "shoulder": 7.5}  # front view only
FRONT_TRUNK_WIDTH = 19.0
MAT_THICK = 2.0
ROLLER_R = 5.5

LIMBS = ("upper_arm", "forearm", "thigh", "shin", "foot")
SIDES = ("near", "far")
SEGMENTS = ("trunk", "neck", *(f"{limb}_{side}" for limb in LIMBS for side in SIDES))
ANGLE_KEYS = frozenset({*SEGMENTS, "face"})
NUMBER_KEYS = frozenset({"spine", "belly", "lift"})
POSE_KEYS = ANGLE_KEYS | NUMBER_KEYS | {"base", "len"}
VIEWS = ("side", "front")
PROP_TYPES = frozenset(
    {"mat", "chair", "wall", "doorway", "band", "strap", "roller", "bike", "dowel", "table"}
)

BG = (250, 251, 253)
FLOOR_FILL = (236, 240, 244)
FLOOR_LINE = (150, 160, 172)
BODY = (55, 78, 107)
BODY_FAR = (146, 162, 184)
ACCENT = (230, 100, 30)
ACCENT_FAR = (243, 168, 122)
GHOST = (247, 212, 190)
GHOST_BODY = (216, 223, 233)
LABEL = (70, 80, 96)
MAT = (196, 224, 212)
WOOD = (181, 140, 98)
WALL = (214, 219, 226)
WALL_EDGE = (176, 184, 196)
BAND = (214, 58, 58)
STRAP = (70, 140, 200)
ROLLER = (110, 165, 214)
METAL = (120, 128, 140)


class PoseError(ValueError):
    """Pose data that cannot be drawn; the message names the exercise and the key."""


Point = tuple[float, float]


def _dir(deg: float) -> Point:
    rad = math.radians(deg)
    return math.cos(rad), math.sin(rad)


def _add(p: Point, d: Point, k: float = 1.0) -> Point:
    return p[0] + d[0] * k, p[1] + d[1] * k


def _lerp(a: Point, b: Point, t: float) -> Point:
    return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t


def _dist(a: Point, b: Point) -> float:
    return math.hypot(b[0] - a[0], b[1] - a[1])


# --- Pose data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exercise:
    """One exercise's pose data, validated and with its base postures resolved."""

    slug: str
    view: str
    start: dict[str, Any]
    end: dict[str, Any]
    start_text: str
    end_text: str
    moving: frozenset[str]
    anchor: str
    arrows: tuple[dict[str, Any], ...]
    props: tuple[dict[str, Any], ...]


def _expand(pose: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Shorthand: "thigh": 45 sets thigh_near and thigh_far; len factors likewise."""
    out: dict[str, Any] = {}
    for key, value in pose.items():
        if key in LIMBS:
            out[f"{key}_near"] = value
            out[f"{key}_far"] = value
        elif key == "len":
            if not isinstance(value, Mapping):
                raise PoseError(f"{where}: 'len' must map segment names to factors")
            out["len"] = _expand_len(value, where)
        elif key in POSE_KEYS:
            out[key] = value
        else:
            raise PoseError(f"{where}: unknown key {key!r}")
    for key, value in out.items():
        if key in ANGLE_KEYS | NUMBER_KEYS and (
            not isinstance(value, int | float) or isinstance(value, bool) or abs(value) > 360
        ):
            raise PoseError(f"{where}: {key!r} must be a number of degrees or units, got {value!r}")
    return out


def _expand_len(value: Mapping[str, Any], where: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, factor in value.items():
        names = [f"{key}_near", f"{key}_far"] if key in LIMBS else [key]
        for name in names:
            if name not in SEGMENTS:
                raise PoseError(f"{where}: 'len' names an unknown segment {key!r}")
            if not isinstance(factor, int | float) or not 0 < factor <= 2:
                raise PoseError(f"{where}: length factor of {key!r} must be in (0, 2]")
            out[name] = float(factor)
    return out


def _resolve(pose: Any, bases: Mapping[str, dict[str, Any]], where: str) -> dict[str, Any]:
    if not isinstance(pose, Mapping):
        raise PoseError(f"{where}: a pose must be an object")
    own = _expand(pose, where)
    base_name = own.pop("base", None)
    if base_name is None:
        merged: dict[str, Any] = {}
    elif base_name in bases:
        merged = dict(bases[base_name])
    else:
        raise PoseError(f"{where}: unknown base {base_name!r} (known: {', '.join(sorted(bases))})")
    lens = {**merged.get("len", {}), **own.pop("len", {})}
    merged.update(own)
    merged["len"] = lens
    missing = [name for name in SEGMENTS if name not in merged]
    if missing:
        raise PoseError(f"{where}: no angle for {', '.join(missing)} (give them or a base)")
    return merged


def _segment_names(names: Any, where: str) -> frozenset[str]:
    if not isinstance(names, list):
        raise PoseError(f"{where}: 'moving' must be a list of segment names")
    out: set[str] = set()
    for name in names:
        expanded = [f"{name}_near", f"{name}_far"] if name in LIMBS else [name]
        for one in expanded:
            if one not in SEGMENTS:
                raise PoseError(f"{where}: 'moving' names an unknown segment {name!r}")
            out.add(one)
    return frozenset(out)


def parse_poses(data: Mapping[str, Any]) -> dict[str, Exercise]:
    """Validates pose data (the content of poses.json) and resolves bases; raises PoseError."""
    if not isinstance(data, Mapping) or not isinstance(data.get("exercises"), Mapping):
        raise PoseError("poses: expected an object with 'bases' and 'exercises'")
    raw_bases = data.get("bases", {})
    bases: dict[str, dict[str, Any]] = {}
    for name, pose in raw_bases.items():
        # A base may build on an earlier base.
        bases[name] = _resolve_partial(pose, bases, f"bases.{name}")
    out: dict[str, Exercise] = {}
    for slug, spec in data["exercises"].items():
        out[slug] = _parse_exercise(slug, spec, bases)
    return out


def _resolve_partial(pose: Any, bases: Mapping[str, dict[str, Any]], where: str) -> dict[str, Any]:
    if not isinstance(pose, Mapping):
        raise PoseError(f"{where}: a pose must be an object")
    own = _expand(pose, where)
    parent = own.pop("base", None)
    if parent is not None and parent not in bases:
        raise PoseError(f"{where}: unknown base {parent!r}")
    merged = dict(bases[parent]) if parent else {}
    lens = {**merged.get("len", {}), **own.pop("len", {})}
    merged.update(own)
    merged["len"] = lens
    return merged


def _parse_exercise(slug: str, spec: Any, bases: Mapping[str, dict[str, Any]]) -> Exercise:
    where = f"poses.{slug}"
    if not isinstance(spec, Mapping):
        raise PoseError(f"{where}: expected an object")
    known = {"view", "start", "end", "start_text", "end_text", "moving", "anchor", "arrows"}
    unknown = set(spec) - known - {"props"}
    if unknown:
        raise PoseError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    for key in ("start", "end", "start_text", "end_text", "moving"):
        if key not in spec:
            raise PoseError(f"{where}: {key!r} is required")
    view = spec.get("view", "side")
    if view not in VIEWS:
        raise PoseError(f"{where}: view must be one of {', '.join(VIEWS)}")
    for key in ("start_text", "end_text"):
        if not isinstance(spec[key], str) or not spec[key].strip():
            raise PoseError(f"{where}: {key!r} must be a sentence describing the position")
    start = _resolve(spec["start"], bases, f"{where}.start")
    end = _resolve(spec["end"], bases, f"{where}.end")
    anchor = spec.get("anchor", "pelvis")
    if anchor not in JOINT_NAMES:
        raise PoseError(f"{where}: unknown anchor joint {anchor!r}")
    arrows = spec.get("arrows", [{}])
    if not isinstance(arrows, list):
        raise PoseError(f"{where}: 'arrows' must be a list")
    for arrow in arrows:
        if not isinstance(arrow, Mapping):
            raise PoseError(f"{where}: each arrow must be an object")
        for key in ("joint", "pivot"):
            if key in arrow and arrow[key] not in JOINT_NAMES:
                raise PoseError(f"{where}: arrow {key} {arrow[key]!r} is not a joint")
    props: list[dict[str, Any]] = []
    for prop in spec.get("props", []):
        item = {"type": prop} if isinstance(prop, str) else dict(prop)
        if item.get("type") not in PROP_TYPES:
            raise PoseError(f"{where}: unknown prop {item.get('type')!r}")
        for key in ("at", "from", "to"):
            if key in item and item[key] not in JOINT_NAMES:
                raise PoseError(f"{where}: prop {item['type']} {key} {item[key]!r} is not a joint")
        props.append(item)
    return Exercise(
        slug=slug,
        view=view,
        start=start,
        end=end,
        start_text=spec["start_text"].strip().rstrip("."),
        end_text=spec["end_text"].strip().rstrip("."),
        moving=_segment_names(spec["moving"], where),
        anchor=anchor,
        arrows=tuple(dict(a) for a in arrows),
        props=tuple(props),
    )


@lru_cache(maxsize=1)
def load_poses(path: Path = POSES_PATH) -> dict[str, Exercise]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PoseError(f"{path.name}: not valid JSON ({exc})") from exc
    return parse_poses(data)


# --- Kinematics --------------------------------------------------------------------------------

JOINT_NAMES = frozenset(
    {
        "pelvis",
        "neck",
        "head",
        "shoulder",
        "belly",
        "lumbar",
        "upper_back",
        "ankles_mid",
        *(
            f"{joint}_{side}"
            for joint in ("hip", "knee", "ankle", "heel", "toe", "shoulder", "elbow", "wrist")
            for side in SIDES
        ),
        *(f"hand_{side}" for side in SIDES),
    }
)

# segment -> (proximal joint, distal joint)
SEGMENT_JOINTS = {
    "trunk": ("pelvis", "neck"),
    "neck": ("neck", "head"),
    **{f"upper_arm_{s}": (f"shoulder_{s}", f"elbow_{s}") for s in SIDES},
    **{f"forearm_{s}": (f"elbow_{s}", f"hand_{s}") for s in SIDES},
    **{f"thigh_{s}": (f"hip_{s}", f"knee_{s}") for s in SIDES},
    **{f"shin_{s}": (f"knee_{s}", f"ankle_{s}") for s in SIDES},
    **{f"foot_{s}": (f"heel_{s}", f"toe_{s}") for s in SIDES},
}


@dataclass
class Figure:
    """A solved pose: joint positions, the trunk's curve, and what is drawn how."""

    joints: dict[str, Point]
    trunk_curve: list[Point]
    pose: dict[str, Any]
    view: str
    extent: list[tuple[Point, float]] = field(default_factory=list)  # (point, radius) to fit

    def shifted(self, dx: float, dy: float) -> Figure:
        return Figure(
            joints={k: (x + dx, y + dy) for k, (x, y) in self.joints.items()},
            trunk_curve=[(x + dx, y + dy) for x, y in self.trunk_curve],
            pose=self.pose,
            view=self.view,
            extent=[((x + dx, y + dy), r) for (x, y), r in self.extent],
        )

    def lowest(self) -> float:
        return min(y - r for (_, y), r in self.extent)


def _length(pose: Mapping[str, Any], segment: str) -> float:
    base = segment.rsplit("_", 1)[0] if segment.endswith(SIDES) else segment
    return LENGTH[base] * pose["len"].get(segment, 1.0)


def _bezier(p0: Point, c: Point, p2: Point, steps: int = 12) -> list[Point]:
    out = []
    for i in range(steps + 1):
        t = i / steps
        a = (1 - t) ** 2
        b = 2 * (1 - t) * t
        d = t * t
        out.append((a * p0[0] + b * c[0] + d * p2[0], a * p0[1] + b * c[1] + d * p2[1]))
    return out


def solve(pose: Mapping[str, Any], view: str) -> Figure:
    """Joint positions of a pose with the pelvis at the origin."""
    j: dict[str, Point] = {"pelvis": (0.0, 0.0)}
    trunk_dir = _dir(pose["trunk"])
    back = (-trunk_dir[1], trunk_dir[0])  # rotate +90 degrees: the back of a right-facing body
    j["neck"] = _add(j["pelvis"], trunk_dir, _length(pose, "trunk"))
    bulge = float(pose.get("spine", 0.0))
    mid = _lerp(j["pelvis"], j["neck"], 0.5)
    curve = _bezier(j["pelvis"], _add(mid, back, 2 * bulge), j["neck"])
    j["shoulder"] = _add(j["neck"], trunk_dir, -SHOULDER_DROP)
    if bulge:
        # Shoulders follow the curve near its top rather than the straight chord.
        j["shoulder"] = _lerp(curve[-2], curve[-1], 0.3)
    j["head"] = _add(j["neck"], _dir(pose["neck"]), _length(pose, "neck"))
    half = THICK["trunk"] / 2
    front = (-back[0], -back[1])
    j["belly"] = _add(curve[5], front, half + float(pose.get("belly", 0.0)))
    j["lumbar"] = _add(curve[3], back, half)
    j["upper_back"] = _add(curve[8], back, half)

    for side, sign in (("near", -1.0), ("far", 1.0)):
        if view == "front":
            # Near limbs on the side the back vector does not point to (right of a standing body).
            off = (back[0] * sign, back[1] * sign)
            hip = _add(j["pelvis"], off, HALF_WIDTH["hip"])
            shoulder = _add(j["shoulder"], off, HALF_WIDTH["shoulder"])
        else:
            hip, shoulder = j["pelvis"], j["shoulder"]
        j[f"hip_{side}"] = hip
        j[f"shoulder_{side}"] = shoulder
        j[f"elbow_{side}"] = _add(
            shoulder, _dir(pose[f"upper_arm_{side}"]), _length(pose, f"upper_arm_{side}")
        )
        fore = _dir(pose[f"forearm_{side}"])
        j[f"wrist_{side}"] = _add(j[f"elbow_{side}"], fore, _length(pose, f"forearm_{side}"))
        j[f"hand_{side}"] = _add(j[f"wrist_{side}"], fore, HAND_R * 0.6)
        j[f"knee_{side}"] = _add(hip, _dir(pose[f"thigh_{side}"]), _length(pose, f"thigh_{side}"))
        j[f"ankle_{side}"] = _add(
            j[f"knee_{side}"], _dir(pose[f"shin_{side}"]), _length(pose, f"shin_{side}")
        )
        foot = _dir(pose[f"foot_{side}"])
        foot_len = _length(pose, f"foot_{side}")
        # The foot hangs a little below the ankle joint, on the sole's side.
        sole = (foot[1], -foot[0])
        drop = FOOT_DROP * foot_len / LENGTH["foot"]
        under = _add(j[f"ankle_{side}"], sole, drop)
        j[f"heel_{side}"] = _add(under, foot, -HEEL * foot_len / LENGTH["foot"])
        j[f"toe_{side}"] = _add(under, foot, foot_len - drop)

    j["ankles_mid"] = _lerp(j["ankle_near"], j["ankle_far"], 0.5)
    extent: list[tuple[Point, float]] = []
    trunk_r = FRONT_TRUNK_WIDTH / 2 if view == "front" else half
    extent += [(p, trunk_r) for p in curve]
    extent.append((j["belly"], 0.0))
    extent.append((j["head"], HEAD_R))
    for side in SIDES:
        for name in ("elbow", "wrist"):
            extent.append((j[f"{name}_{side}"], THICK["upper_arm"] / 2))
        extent.append((j[f"hand_{side}"], HAND_R))
        extent.append((j[f"knee_{side}"], THICK["thigh"] / 2))
        for name in ("ankle", "heel", "toe"):
            extent.append((j[f"{name}_{side}"], THICK["foot"] / 2))
    return Figure(joints=j, trunk_curve=curve, pose=dict(pose), view=view, extent=extent)


def _blend(a: Mapping[str, Any], b: Mapping[str, Any], t: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ANGLE_KEYS | NUMBER_KEYS:
        if key in a or key in b:
            va = float(a.get(key, b.get(key, 0.0)))
            vb = float(b.get(key, va))
            if key in ANGLE_KEYS:
                # Turn the short way round.
                delta = (vb - va + 180) % 360 - 180
                out[key] = va + delta * t
            else:
                out[key] = va + (vb - va) * t
    lens = set(a["len"]) | set(b["len"])
    out["len"] = {
        k: a["len"].get(k, 1.0) + (b["len"].get(k, 1.0) - a["len"].get(k, 1.0)) * t for k in lens
    }
    return out


def _placed(ex: Exercise, pose: Mapping[str, Any], anchor_x: float | None) -> Figure:
    """Puts a pose on the floor (or the mat) and lines its anchor up with the start's."""
    fig = solve(pose, ex.view)
    floor = MAT_THICK if any(p["type"] == "mat" for p in ex.props) else 0.0
    dy = floor + float(pose.get("lift", 0.0)) - fig.lowest()
    dx = 0.0 if anchor_x is None else anchor_x - fig.joints[ex.anchor][0]
    return fig.shifted(dx, dy)


def frames_for(ex: Exercise, steps: Iterable[float]) -> list[Figure]:
    first = _placed(ex, ex.start, None)
    anchor_x = first.joints[ex.anchor][0]
    return [first if t == 0 else _placed(ex, _blend(ex.start, ex.end, t), anchor_x) for t in steps]


# --- Drawing -----------------------------------------------------------------------------------


@dataclass
class Canvas:
    """Maps body units to pixels of one panel (already supersampled)."""

    draw: ImageDraw.ImageDraw
    scale: float
    ox: float
    floor_y: float

    def p(self, pt: Point) -> tuple[float, float]:
        return self.ox + pt[0] * self.scale, self.floor_y - pt[1] * self.scale

    def w(self, units: float) -> float:
        return units * self.scale

    def capsule(self, pts: list[Point], width: float, fill: tuple[int, int, int]) -> None:
        px = [self.p(pt) for pt in pts]
        wpx = max(1, round(self.w(width)))
        if len(px) > 1:
            self.draw.line(px, fill=fill, width=wpx, joint="curve")
        r = wpx / 2
        # Round every joint of the line: Pillow leaves hairline gaps between wide segments.
        for x, y in px:
            self.draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)

    def circle(self, c: Point, radius: float, fill: Any, outline: Any = None, width: int = 0):
        x, y = self.p(c)
        r = self.w(radius)
        self.draw.ellipse((x - r, y - r, x + r, y + r), fill=fill, outline=outline, width=width)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: Any, radius: float = 0):
        ax, ay = self.p((min(x0, x1), max(y0, y1)))
        bx, by = self.p((max(x0, x1), min(y0, y1)))
        self.draw.rounded_rectangle((ax, ay, bx, by), radius=self.w(radius), fill=fill)


def _colour(segment: str, ex: Exercise, ghost: bool = False) -> tuple[int, int, int]:
    # Seen from the front both sides are in view; from the side the far limbs are paler.
    far = segment.endswith("_far") and ex.view == "side"
    if ghost:
        return GHOST if segment in ex.moving else GHOST_BODY
    if segment in ex.moving:
        return ACCENT_FAR if far else ACCENT
    return BODY_FAR if far else BODY


def _draw_limbs(
    c: Canvas, fig: Figure, ex: Exercise, side: str, only: frozenset[str] | None, ghost: bool
) -> None:
    j = fig.joints
    chain = (
        (f"thigh_{side}", f"hip_{side}", f"knee_{side}"),
        (f"shin_{side}", f"knee_{side}", f"ankle_{side}"),
        (f"foot_{side}", f"heel_{side}", f"toe_{side}"),
    )
    arms = (
        (f"upper_arm_{side}", f"shoulder_{side}", f"elbow_{side}"),
        (f"forearm_{side}", f"elbow_{side}", f"wrist_{side}"),
    )
    for seg, a, b in (*chain, *arms):
        if only is not None and seg not in only:
            continue
        base = seg.rsplit("_", 1)[0]
        c.capsule([j[a], j[b]], THICK[base], _colour(seg, ex, ghost))
        if base == "forearm":
            c.circle(j[f"hand_{side}"], HAND_R, _colour(seg, ex, ghost))


def _draw_body(c: Canvas, fig: Figure, ex: Exercise, *, ghost: bool = False) -> None:
    only = None
    j = fig.joints
    front = fig.view == "front"
    if not front:
        _draw_limbs(c, fig, ex, "far", only, ghost)
    else:
        # Legs behind the trunk, arms in front of it.
        for side in SIDES:
            _draw_limbs(c, fig, ex, side, _legs(only), ghost)
    if only is None or "trunk" in only:
        colour = _colour("trunk", ex, ghost)
        if front:
            _front_trunk(c, fig, colour)
        else:
            # Stop the trunk below the neck so the head does not sit on a second ball.
            top = _add(j["neck"], _dir(fig.pose["trunk"]), -4.0)
            c.capsule(
                [*fig.trunk_curve[:-1], _lerp(fig.trunk_curve[-1], top, 0.8)],
                THICK["trunk"],
                colour,
            )
        belly = float(fig.pose.get("belly", 0.0))
        if belly > 0 and not front:
            centre = fig.trunk_curve[5]
            r = THICK["trunk"] / 2 + belly * 0.5
            c.circle(_lerp(centre, j["belly"], 0.5 * belly / max(belly, 1e-6) * 0.6), r, colour)
    if only is None or "neck" in only:
        colour = _colour("neck", ex, ghost)
        neck_end = _add(j["head"], _dir(fig.pose["neck"]), -HEAD_R * 0.6)
        c.capsule([j["neck"], neck_end], THICK["neck"], colour)
        c.circle(j["head"], HEAD_R, colour)
        if not front:
            face = fig.pose.get("face", fig.pose["trunk"] - 90)
            nose = _add(j["head"], _dir(face), HEAD_R * 0.95)
            c.circle(nose, HEAD_R * 0.28, colour)
    if front:
        for side in SIDES:
            _draw_limbs(c, fig, ex, side, _arms(only), ghost)
    else:
        _draw_limbs(c, fig, ex, "near", only, ghost)


def _front_trunk(c: Canvas, fig: Figure, colour: tuple[int, int, int]) -> None:
    """A trunk seen from the front: broader at the shoulders than at the hips, corners rounded."""
    j = fig.joints
    up = _dir(fig.pose["trunk"])
    across = (up[1], -up[0])
    r = 4.0
    bottom = _add(j["pelvis"], up, -1.0)
    waist = _add(j["pelvis"], up, 11.0)
    top = _add(j["neck"], up, -r)
    pts = [
        _add(bottom, across, -HALF_WIDTH["hip"] - 0.5),
        _add(bottom, across, HALF_WIDTH["hip"] + 0.5),
        _add(waist, across, HALF_WIDTH["hip"] - 0.5),
        _add(top, across, HALF_WIDTH["shoulder"] - 1),
        _add(top, across, -HALF_WIDTH["shoulder"] + 1),
        _add(waist, across, -HALF_WIDTH["hip"] + 0.5),
    ]
    c.draw.polygon([c.p(pt) for pt in pts], fill=colour)
    c.capsule([*pts, pts[0]], 2 * r, colour)


def _legs(only: frozenset[str] | None) -> frozenset[str]:
    legs = {s for s in SEGMENTS if s.startswith(("thigh", "shin", "foot"))}
    return frozenset(legs if only is None else legs & only)


def _arms(only: frozenset[str] | None) -> frozenset[str]:
    arms = {s for s in SEGMENTS if s.startswith(("upper_arm", "forearm"))}
    return frozenset(arms if only is None else arms & only)


def _arrow(c: Canvas, path: list[Point], colour: tuple[int, int, int]) -> None:
    px = [c.p(pt) for pt in path]
    width = max(2, round(c.w(1.8)))
    head = c.w(5.0)
    (x0, y0), (x1, y1) = px[-2], px[-1]
    ang = math.atan2(y1 - y0, x1 - x0)
    # Stop the shaft short of the tip so the head stays sharp.
    tip = px[-1]
    base = (tip[0] - math.cos(ang) * head, tip[1] - math.sin(ang) * head)
    shaft = [*px[:-1], base]
    left = (
        base[0] + math.cos(ang + math.pi / 2) * head * 0.65,
        base[1] + math.sin(ang + math.pi / 2) * head * 0.65,
    )
    right = (
        base[0] + math.cos(ang - math.pi / 2) * head * 0.65,
        base[1] + math.sin(ang - math.pi / 2) * head * 0.65,
    )
    halo = round(c.w(0.8))
    # A white rim keeps the arrow readable where it crosses the body.
    for fill, extra in ((BG, halo), (colour, 0)):
        w = width + 2 * extra
        c.draw.line(shaft, fill=fill, width=w, joint="curve")
        r = w / 2
        c.draw.ellipse((px[0][0] - r, px[0][1] - r, px[0][0] + r, px[0][1] + r), fill=fill)
        c.draw.polygon([tip, left, right], fill=fill, outline=fill, width=2 * extra)


MIN_ARROW = 9.0


def _arrow_path(spec: Mapping[str, Any], ex: Exercise, a: Figure, b: Figure) -> list[Point] | None:
    joint = spec.get("joint") or _moving_joint(ex, a, b)
    if joint is None:
        return None
    p0, p1 = a.joints[joint], b.joints[joint]
    offset = float(spec.get("offset", 7.0))
    pivot_name = spec.get("pivot")
    if pivot_name is None and "joint" not in spec:
        pivot_name = _auto_pivot(ex, a, b)
    if pivot_name is not None:
        pivot = b.joints[pivot_name]
        r0, r1 = _dist(pivot, p0), _dist(pivot, p1)
        a0 = math.atan2(p0[1] - pivot[1], p0[0] - pivot[0])
        a1 = math.atan2(p1[1] - pivot[1], p1[0] - pivot[0])
        delta = (a1 - a0 + math.pi) % (2 * math.pi) - math.pi
        radius = max(r0, r1) + offset
        if abs(delta) * radius >= MIN_ARROW and min(r0, r1) > 0.5 * max(r0, r1):
            # Leave a little room at both ends so the arrow sits between the two positions.
            trim = min(0.12, 3.0 / radius / max(abs(delta), 1e-6))
            steps = 24
            return [
                _add(pivot, (math.cos(a0 + delta * t), math.sin(a0 + delta * t)), radius)
                for t in (trim + (1 - 2 * trim) * i / steps for i in range(steps + 1))
            ]
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    length = math.hypot(dx, dy)
    if length < 1e-6:
        return None
    ux, uy = dx / length, dy / length
    side = (-uy, ux)
    shift = float(spec.get("side", 0.0 if length < MIN_ARROW else offset))
    start = _add(p0, side, shift)
    if length < MIN_ARROW:
        # A small movement still gets an arrow a reader can see: just past where the part ends
        # (a push outward), or ending where it started (a pull inward, "place": "before").
        gap = float(spec.get("gap", 3.0))
        if spec.get("place") == "before":
            start = _add(_add(p0, (ux, uy), -(MIN_ARROW + gap)), side, shift)
        else:
            start = _add(_add(p1, (ux, uy), gap), side, shift)
        return [start, _add(start, (ux, uy), MIN_ARROW)]
    return [_add(start, (ux, uy), 1.5), _add(start, (ux, uy), length - 1.5)]


def _moving_joint(ex: Exercise, a: Figure, b: Figure) -> str | None:
    best, best_d = None, 0.0
    for seg in ex.moving:
        _, distal = SEGMENT_JOINTS[seg]
        d = _dist(a.joints[distal], b.joints[distal])
        if d > best_d + 0.5:
            best, best_d = distal, d
    return best


def _auto_pivot(ex: Exercise, a: Figure, b: Figure) -> str | None:
    # The proximal joint of the moving chain that itself stays put turns the limb.
    distal = {SEGMENT_JOINTS[s][1] for s in ex.moving}
    for seg in sorted(ex.moving):
        proximal = SEGMENT_JOINTS[seg][0]
        if proximal not in distal and _dist(a.joints[proximal], b.joints[proximal]) < 3.0:
            return proximal
    return None


def _prop_point(prop: Mapping[str, Any], key: str, fig: Figure, default: str) -> Point:
    return fig.joints[prop.get(key, default)]


def _draw_props_behind(c: Canvas, ex: Exercise, fig: Figure, ref: Figure, top: float) -> None:
    for prop in ex.props:
        kind = prop["type"]
        src = fig if prop.get("follow") else ref
        if kind == "mat":
            continue  # drawn with the floor
        if kind in ("wall", "doorway"):
            at = _prop_point(prop, "at", src, "shoulder")
            gap = float(prop.get("gap", THICK["trunk"] / 2))
            face_x = at[0] - gap if prop.get("side", "back") == "back" else at[0] + gap
            depth = 12.0 if prop.get("side", "back") == "back" else -12.0
            if kind == "doorway":
                # The door frame's jamb beside the body, and its head above.
                c.rect(face_x - 3.5, 0, face_x + 3.5, 118.0, WOOD)
                c.rect(face_x - 3.5, 112.0, face_x + 14, 118.0, WOOD)
                continue
            c.rect(face_x - depth, 0, face_x, top, WALL)
            x0, y0 = c.p((face_x, 0))
            x1, y1 = c.p((face_x, top))
            c.draw.line([(x0, y0), (x1, y1)], fill=WALL_EDGE, width=max(1, round(c.w(0.6))))
        elif kind == "chair":
            if prop.get("seated_only") and not _is_seated(fig):
                continue  # a bench for a rest: there only while the figure sits on it
            _chair(c, src, prop)
        elif kind == "table":
            at = _prop_point(prop, "at", src, "hand_near")
            h = at[1] - HAND_R
            c.rect(at[0] - 10, h - 2.5, at[0] + 30, h, WOOD, radius=1)
            c.rect(at[0] + 24, 0, at[0] + 27, h - 2, WOOD)
        elif kind == "bike":
            _bike(c, fig, ref)
        elif kind == "band":
            anchor = _band_anchor(prop, ref)
            c.rect(anchor[0], 0, anchor[0] + 5, max(anchor[1] + 25, 110), WOOD)


def _draw_props_front(c: Canvas, ex: Exercise, fig: Figure, ref: Figure) -> None:
    for prop in ex.props:
        kind = prop["type"]
        src = fig if prop.get("follow") else ref
        if kind == "roller":
            at = _prop_point(prop, "at", src, "upper_back")
            centre = (at[0] + float(prop.get("dx", 0.0)), ROLLER_R + _floor(ex))
            c.circle(centre, ROLLER_R, ROLLER)
            c.circle(centre, ROLLER_R * 0.35, (165, 200, 232))
        elif kind == "band":
            anchor = _band_anchor(prop, ref)
            for side in SIDES:
                hand = fig.joints[f"hand_{side}"]
                c.capsule([anchor, hand], 1.8, BAND)
        elif kind == "strap":
            hand = fig.joints[prop.get("from", "hand_near")]
            side = prop.get("side", "near")
            heel, toe = fig.joints[f"heel_{side}"], fig.joints[f"toe_{side}"]
            fd = _dir(math.degrees(math.atan2(toe[1] - heel[1], toe[0] - heel[0])) - 90)
            sole_a = _add(_lerp(heel, toe, 0.45), fd, THICK["foot"] / 2 + 0.8)
            sole_b = _add(_lerp(heel, toe, 0.9), fd, THICK["foot"] / 2 + 0.8)
            c.capsule([hand, sole_a, sole_b, hand], 1.4, STRAP)
        elif kind == "dowel":
            j = fig.joints
            tdir = _dir(fig.pose["trunk"])
            back = (-tdir[1], tdir[0])
            gap = THICK["trunk"] / 2 + 1.2
            a = _add(_add(j["pelvis"], tdir, -4), back, gap)
            b = _add(_add(j["head"], tdir, HEAD_R + 4), back, HEAD_R * 0.9)
            c.capsule([a, b], 2.0, WOOD)


def _floor(ex: Exercise) -> float:
    return MAT_THICK if any(p["type"] == "mat" for p in ex.props) else 0.0


def _band_anchor(prop: Mapping[str, Any], ref: Figure) -> Point:
    hand = ref.joints[prop.get("from", "hand_near")]
    dx, dy = prop.get("anchor", [30, 0])
    return hand[0] + float(dx), hand[1] + float(dy)


# The pelvis of a standing figure is about a thigh and a shin above the floor; a seated one's
# well below that.
SEATED_PELVIS_MAX = LENGTH["shin"] + LENGTH["thigh"] * 0.5


def _is_seated(fig: Figure) -> bool:
    return fig.joints["pelvis"][1] < SEATED_PELVIS_MAX


def _chair(c: Canvas, ref: Figure, prop: Mapping[str, Any]) -> None:
    pelvis = ref.joints["pelvis"]
    seat = pelvis[1] - THICK["trunk"] / 2
    back_x = pelvis[0] - THICK["trunk"] / 2 - 2 + float(prop.get("dx", 0.0))
    front_x = back_x + 24
    c.rect(back_x - 1, seat - 3, front_x, seat, WOOD, radius=1)
    c.rect(back_x, 0, back_x + 2.5, seat, WOOD)
    c.rect(front_x - 3, 0, front_x - 0.5, seat, WOOD)
    if prop.get("back", True):
        c.rect(back_x - 2.5, seat, back_x, seat + 34, WOOD, radius=1)


def _bike(c: Canvas, fig: Figure, ref: Figure) -> None:
    j = ref.joints
    seat = (j["pelvis"][0] - 1, j["pelvis"][1] - THICK["trunk"] / 2 - 1)
    crank = _lerp(j["ankle_near"], j["ankle_far"], 0.5)
    hands = j["hand_near"]
    c.rect(crank[0] - 30, 0, crank[0] + 40, 3, METAL, radius=1.5)
    c.capsule([(seat[0] - 4, 3), seat], 3, METAL)
    c.capsule([seat, crank], 2.5, METAL)
    c.capsule([(crank[0] + 30, 3), (hands[0] + 2, hands[1] - 2)], 3, METAL)
    c.capsule([(hands[0] - 3, hands[1] + 0.5), (hands[0] + 4, hands[1] - 1.5)], 2.5, METAL)
    c.circle((crank[0] + 22, 13), 10, (200, 205, 212), outline=METAL, width=round(c.w(1)))
    c.capsule([(seat[0] - 5, seat[1] + 1), (seat[0] + 7, seat[1] + 1)], 3, (60, 60, 70))
    c.circle(crank, 3.5, METAL)
    for side in SIDES:
        c.capsule([crank, fig.joints[f"ankle_{side}"]], 1.6, METAL)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@dataclass
class Layout:
    scale: float
    ox: float
    floor_y: float


def _layout(ex: Exercise, figs: list[Figure], top_pad: float) -> Layout:
    xs: list[float] = []
    ys: list[float] = [0.0]
    for fig in figs:
        for (x, y), r in fig.extent:
            xs += [x - r, x + r]
            ys += [y - r, y + r]
    ref = figs[0]
    for prop in ex.props:
        if prop["type"] == "bike":
            crank = _lerp(ref.joints["ankle_near"], ref.joints["ankle_far"], 0.5)
            xs += [crank[0] - 30, crank[0] + 40]
        elif prop["type"] == "chair":
            xs.append(ref.joints["pelvis"][0] - 12)
            ys.append(ref.joints["pelvis"][1] + 28)
        elif prop["type"] in ("wall", "doorway"):
            at = ref.joints[prop.get("at", "shoulder")]
            xs.append(at[0] + (-20 if prop.get("side", "back") == "back" else 20))
        elif prop["type"] == "band":
            anchor = _band_anchor(prop, ref)
            xs.append(anchor[0] + 8)
        elif prop["type"] == "roller":
            at = ref.joints[prop.get("at", "upper_back")]
            xs += [at[0] - ROLLER_R, at[0] + ROLLER_R]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    side_pad, bottom_pad = 26 * SS, 34 * SS
    width = PANEL * SS - 2 * side_pad
    height = PANEL * SS - top_pad - bottom_pad
    scale = min(width / (x1 - x0), height / (y1 - y0), MAX_PX_PER_UNIT * SS)
    ox = side_pad + (width - (x1 - x0) * scale) / 2 - x0 * scale
    # Sit low figures a little below the middle: the floor carries them.
    free = height - (y1 - y0) * scale
    floor_y = top_pad + free * 0.62 + y1 * scale
    return Layout(scale, ox, floor_y)


def _panel(
    ex: Exercise,
    layout: Layout,
    fig: Figure,
    ref: Figure,
    *,
    label: str | None,
    ghost: Figure | None,
    arrows_from: Figure | None,
) -> Image.Image:
    img = Image.new("RGB", (PANEL * SS, PANEL * SS), BG)
    draw = ImageDraw.Draw(img)
    c = Canvas(draw, layout.scale, layout.ox, layout.floor_y)
    draw.rectangle((0, layout.floor_y, PANEL * SS, PANEL * SS), fill=FLOOR_FILL)
    draw.line([(0, layout.floor_y), (PANEL * SS, layout.floor_y)], fill=FLOOR_LINE, width=2 * SS)
    top = (layout.floor_y) / layout.scale + 10
    if any(p["type"] == "mat" for p in ex.props):
        xs = [x for (x, _), r in ref.extent] + [x for (x, _), r in fig.extent]
        c.rect(min(xs) - 8, 0, max(xs) + 8, MAT_THICK, MAT, radius=0.8)
    _draw_props_behind(c, ex, fig, ref, top)
    if ghost is not None:
        _draw_body(c, ghost, ex, ghost=True)
    _draw_body(c, fig, ex)
    _draw_props_front(c, ex, fig, ref)
    if arrows_from is not None:
        for spec in ex.arrows:
            path = _arrow_path(spec, ex, arrows_from, fig)
            if path:
                _arrow(c, path, ACCENT)
    if label:
        draw.text((22 * SS, 18 * SS), label, fill=LABEL, font=_font(24 * SS))
    return img.reduce(SS)


def render_pair(ex: Exercise) -> Image.Image:
    """The start and end positions side by side (PANEL*2 x PANEL), the moving part marked."""
    start, end = frames_for(ex, (0.0, 1.0))
    layout = _layout(ex, [start, end], top_pad=64 * SS)
    out = Image.new("RGB", (PANEL * 2, PANEL), BG)
    out.paste(_panel(ex, layout, start, start, label="1  Start", ghost=None, arrows_from=None))
    out.paste(
        _panel(ex, layout, end, start, label="2  End", ghost=start, arrows_from=start), (PANEL, 0)
    )
    ImageDraw.Draw(out).line([(PANEL, 16), (PANEL, PANEL - 16)], fill=(214, 220, 228), width=2)
    return out


TWEENS = (0.0, 0.2, 0.5, 0.8, 1.0)
HOLD_MS = 900
TWEEN_MS = 110


def render_animation_frames(ex: Exercise) -> tuple[list[Image.Image], list[int]]:
    """Frames going start -> end -> start, with the ends held; one PANEL x PANEL panel."""
    figs = frames_for(ex, TWEENS)
    layout = _layout(ex, figs, top_pad=30 * SS)
    images = [
        _panel(ex, layout, fig, figs[0], label=None, ghost=None, arrows_from=None) for fig in figs
    ]
    order = list(range(len(figs))) + list(range(len(figs) - 2, 0, -1))
    frames = [images[i] for i in order]
    durations = [HOLD_MS if i in (0, len(figs) - 1) else TWEEN_MS for i in order]
    return frames, durations


def encode_png(img: Image.Image) -> bytes:
    buf = BytesIO()
    img.save(buf, "PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def encode_animation(frames: list[Image.Image], durations: list[int]) -> bytes:
    buf = BytesIO()
    frames[0].save(
        buf,
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        quality=82,
        method=1,
    )
    return buf.getvalue()


def alt_text(name: str, ex: Exercise) -> str:
    text = f"{name}: {ex.start_text}, then {ex.end_text}."
    return text if len(text) <= 300 else text[:297].rstrip() + "..."


def animation_alt_text(name: str, ex: Exercise) -> str:
    text = f"Animation of {name}: moving between {ex.start_text} and {ex.end_text}."
    return text if len(text) <= 300 else text[:297].rstrip() + "..."


# --- Library -----------------------------------------------------------------------------------


def draw_library_figures(
    *,
    slugs: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Draws and stores the start/end drawing and animation of global library exercises.

    Idempotent: an exercise that already has a drawing (or an animation) keeps it. Returns how
    many images were added.
    """
    from programs.models import Exercise as ExerciseModel
    from programs.models import ImageKind
    from programs.services.images import add_exercise_image

    poses = load_poses()
    wanted = set(poses) if slugs is None else set(slugs) & set(poses)
    exercises = list(
        ExerciseModel.objects.filter(organization__isnull=True, slug__in=wanted)
        .prefetch_related("images")
        .order_by("slug")
    )
    total = len(exercises)
    added = 0
    if progress:
        progress(0, total)
    for done, exercise in enumerate(exercises, start=1):
        ex = poses[exercise.slug]
        kinds = {image.kind for image in exercise.images.all()}
        if ImageKind.DRAWING not in kinds:
            add_exercise_image(
                exercise=exercise,
                file=BytesIO(encode_png(render_pair(ex))),
                alt_text=alt_text(exercise.name, ex),
                kind=ImageKind.DRAWING,
            )
            added += 1
        if ImageKind.ANIMATION not in kinds:
            frames, durations = render_animation_frames(ex)
            add_exercise_image(
                exercise=exercise,
                file=BytesIO(encode_animation(frames, durations)),
                alt_text=animation_alt_text(exercise.name, ex),
                kind=ImageKind.ANIMATION,
                make_main=False,
            )
            added += 1
        if progress:
            progress(done, total)
    return added
