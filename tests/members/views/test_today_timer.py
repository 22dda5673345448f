"""The today page's timers: which exercise cards get one (a hold of 10 s or more, a duration, a
rest between sets) and what the page gives the script to count. The count itself is driven in
chromium (tests/browser/test_today_timer.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from members.views.today import timer_for
from tests.conftest import World
from tests.members.sessions_helpers import local_today
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan, walk_and_stretch


@pytest.mark.parametrize(
    ("dose", "timer"),
    [
        (
            {"sets": 3, "hold_seconds": 30, "rest_seconds": 20},
            {"kind": "hold", "work": 30, "rest": 20},
        ),
        (
            {"sets": 1, "hold_seconds": 30, "rest_seconds": 20},
            {"kind": "hold", "work": 30, "rest": None},
        ),
        ({"sets": 1, "duration_seconds": 900}, {"kind": "duration", "work": 900, "rest": None}),
        ({"sets": 2, "reps": 10, "rest_seconds": 45}, {"kind": "rest", "work": None, "rest": 45}),
        # Ten 3-second holds are counted in one's head; the rest between sets still has one.
        (
            {"sets": 2, "reps": 10, "hold_seconds": 3, "rest_seconds": 30},
            {"kind": "rest", "work": None, "rest": 30},
        ),
        ({"sets": 1, "reps": 10, "hold_seconds": 3}, None),
        ({"sets": 2, "reps": 10, "rest_seconds": None}, None),
    ],
)
def test_which_doses_get_a_timer(
    dose: dict[str, int | None], timer: dict[str, object] | None
) -> None:
    assert timer_for(dose) == timer


@pytest.mark.django_db
def test_the_page_gives_each_card_its_timer_and_loads_the_script(world: World) -> None:
    walk, stretch = walk_and_stretch()
    bridge = PlanExerciseFactory.create(name="Bridge")
    make_plan(
        pt=world.pt,
        member=world.member,
        items=[
            item(stretch, sets=3, hold_seconds=30, rest_seconds=20),
            item(walk, sets=1, duration_seconds=600),
            item(bridge, sets=2, reps=10),
        ],
        start=local_today(world.member) - timedelta(days=3),
    )
    client = Client()
    client.force_login(world.member.user)
    html = client.get("/today/").content.decode()

    timers = re.findall(r'<section class="timer"[^>]*>', html)
    assert len(timers) == 3
    assert 'data-kind="hold" data-work="30" data-rest="20"' in timers[0]
    assert 'data-kind="duration" data-work="600" data-rest=""' in timers[1]
    # The bridge: 2 x 10 with the exercise's 30 s rest between the sets.
    assert 'data-kind="rest" data-work="" data-rest="30"' in timers[2]
    assert all(" hidden" in t for t in timers)  # shown by the script, never a dead button
    assert html.count('aria-live="polite" data-role="timer-say"') == 3
    assert "members/timer.js" in html
    assert "<script>" not in html  # no inline script (the CSP allows none)
