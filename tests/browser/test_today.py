"""In chromium, on a 360 px phone: a member logs today's session with the keyboard, the PT sees
the pain spike it raised; a log made offline is kept on the phone and sent once the connection
is back; an answer lost on the way is resent and stored once."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from members.models import Alert, AlertKind, AlertStatus, Member, SessionLog
from members.selectors.sessions import local_today

from .conftest import PHONE

pytestmark = [
    pytest.mark.usefixtures("demo_world"),
    pytest.mark.parametrize("viewport", [PHONE], indirect=True),
]

QUEUE = "movedaily.unsent-sessions"


def _member() -> Member:
    return Member.objects.select_related("user").get(user__username="demo_member")


def _todays_sessions(member: Member) -> list[SessionLog]:
    return list(SessionLog.objects.filter(member=member, local_date=local_today(member)))


def _queued(page: Any) -> int:
    return int(page.evaluate(f"(JSON.parse(localStorage.getItem('{QUEUE}')) || []).length"))


def _slide_to(page: Any, label: str, value: int) -> None:
    """Sets a 0-10 slider with the keyboard, as a member without a mouse would."""
    page.get_by_label(re.compile(f"^{label}")).focus()
    page.keyboard.press("Home")
    for _ in range(value):
        page.keyboard.press("ArrowRight")


def test_member_logs_the_session_by_keyboard_and_the_pt_sees_the_pain_spike(
    page: Any, new_page: Callable[..., Any], login: Callable[..., None], shot: Any
) -> None:
    member = _member()
    login(page, "demo_member")
    expect(page).to_have_url(re.compile(r"/today/$"))
    expect(page.get_by_test_id("red-flag")).to_contain_text("bladder")
    cards = page.get_by_test_id("exercise-card")
    count = cards.count()
    assert count >= 3
    # Every card shows its exercise's picture (loaded, not a broken image).
    for index in range(count):
        picture = cards.nth(index).locator("img.ex-thumb")
        picture.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
        )
    # Sets and reps come filled in from the dose.
    first = cards.first
    first_name = first.locator(".ex-name").inner_text()
    reps = first.get_by_label("Reps")
    if reps.count():
        dose = first.get_by_test_id("dose").inner_text()
        assert re.search(rf"\b{reps.input_value()} reps\b", dose)
    before = len(_todays_sessions(member))

    # The first exercise was too hard (arrow keys move the choice), the last one not done.
    first.get_by_label("Just right").focus()
    page.keyboard.press("ArrowRight")
    assert first.get_by_label("Too hard").is_checked()
    cards.last.get_by_label("I did this").focus()
    page.keyboard.press("Space")
    assert not cards.last.get_by_label("I did this").is_checked()
    _slide_to(page, "Pain before", 4)
    _slide_to(page, "Pain after", 8)
    expect(page.locator("#pain_after_out")).to_have_text("8")
    _slide_to(page, "Effort", 5)
    page.get_by_label("Notes for your physical therapist").fill("Sore after the walk.")
    page.get_by_test_id("log-session").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("log-status")).to_contain_text("Session logged")
    expect(first.get_by_test_id("times-done")).to_contain_text("1 of")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "today-logged-phone")
    sessions = _todays_sessions(member)
    assert len(sessions) == before + 1
    session = next(s for s in sessions if s.notes == "Sore after the walk.")
    assert (session.status, session.pain_before, session.pain_after, session.rpe) == (
        "partial",
        4,
        8,
        5,
    )
    entries = list(session.entries.select_related("exercise"))
    assert len(entries) == count - 1
    assert next(e for e in entries if e.exercise.name == first_name).feedback == "too_hard"
    assert _queued(page) == 0

    # Pain after 8: the PT's caseload shows the alert first, and the PT acknowledges it.
    alert = Alert.objects.get(member=member, kind=AlertKind.PAIN_SPIKE, status=AlertStatus.OPEN)
    pt_page = new_page(viewport=PHONE)
    login(pt_page, "demo_pt")
    pt_page.goto("/caseload/")
    row = pt_page.get_by_test_id("alert").filter(has_text=member.user.display_name).first
    expect(row).to_contain_text("8")
    row.get_by_role("button", name=re.compile("^Acknowledge")).click()
    expect(
        pt_page.get_by_test_id("alert").filter(has_text=member.user.display_name).first
    ).to_have_attribute("data-status", "acknowledged")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED


def test_a_log_made_offline_is_kept_on_the_phone_and_sent_when_back_online(
    page: Any, login: Callable[..., None]
) -> None:
    member = _member()
    login(page, "demo_member")
    before = len(_todays_sessions(member))
    page.context.set_offline(True)
    page.get_by_test_id("log-session").click()
    expect(page.get_by_test_id("log-status")).to_contain_text("Saved on this phone")
    assert _queued(page) == 1
    assert len(_todays_sessions(member)) == before

    page.context.set_offline(False)  # the browser's "online" event sends what is waiting
    expect(page.get_by_test_id("log-status")).to_contain_text("Session logged")
    assert _queued(page) == 0
    assert len(_todays_sessions(member)) == before + 1


def test_an_answer_lost_on_the_way_is_resent_and_stored_once(
    page: Any, login: Callable[..., None]
) -> None:
    member = _member()
    login(page, "demo_member")
    before = len(_todays_sessions(member))
    lost: list[int] = []

    def lose_the_first_answer(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            response = route.fetch()  # the server stores the session ...
            lost.append(response.status)
            route.abort("connectionreset")  # ... and the phone never hears back
        else:
            route.continue_()

    page.route("**/api/v1/sessions/", lose_the_first_answer)
    page.get_by_test_id("log-session").click()
    expect(page.get_by_test_id("log-status")).to_contain_text("Saved on this phone")
    assert lost == [201]
    assert len(_todays_sessions(member)) == before + 1
    assert _queued(page) == 1

    with page.expect_response("**/api/v1/sessions/") as resent:
        page.evaluate("window.dispatchEvent(new Event('online'))")
    assert resent.value.status == 201  # the first answer, replayed for the same key
    expect(page.get_by_test_id("log-status")).to_contain_text("Session logged")
    assert _queued(page) == 0
    assert len(_todays_sessions(member)) == before + 1
