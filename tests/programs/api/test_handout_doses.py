"""The handout words each dose in its own unit: a walk in minutes, a stretch in holds."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from pypdf import PdfReader

from tests.conftest import World, bearer_client
from tests.programs.factories_plans import item, make_plan, walk_and_stretch

START = date(2025, 3, 3)


def _text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def test_a_walk_prints_in_minutes_and_a_stretch_in_holds(world: World) -> None:
    walk, stretch = walk_and_stretch()
    plan = make_plan(
        pt=world.pt,
        member=world.member,
        items=[
            item(walk, duration_seconds=900, sets=1),
            item(stretch, sets=3, hold_seconds=30, side="alternating", times_per_day=2),
        ],
        start=START,
    ).plan
    response = bearer_client(world.member.user).get(f"/api/v1/plans/{plan.pk}/handout.pdf")
    assert response.status_code == 200, response.content
    text = _text(response.content)
    walk_text = text[text.index("Walking program") : text.index("Hamstring stretch")]
    assert "15 min" in walk_text
    assert "sets" not in walk_text
    assert "3 holds of 30 s, each side, alternating, every day, twice a day" in text
    assert "sets" not in text
    # How often a day is said once per exercise.
    assert text.count("twice a day") == 1
