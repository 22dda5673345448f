"""In chromium, on a 360 px phone: a member opens today, sees an exercise's precautions, must say
what they did and answer pain before anything is logged, logs a pain spike and reads what to do
(the PT sees the alert); everything as prescribed without pain is three taps; a log made
offline is kept on the phone and sent once the connection is back; an answer lost on the way is
resent and stored once. Screenshots of the page at 360 and 1280 px."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from members.models import Alert, AlertKind, AlertStatus, Member, SessionLog
from members.selectors.sessions import local_today
from programs.models import Exercise

from .conftest import DESKTOP, PHONE

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


def _pick(page: Any, group: str, value: int) -> None:
    """Chooses a 0-10 answer with the keyboard, as a member without a mouse would: the first
    choice (0, no pain) takes the focus, the arrow keys move along the scale."""
    page.locator(f"#{group} input").first.focus()
    page.keyboard.press("Space")
    for _ in range(value):
        page.keyboard.press("ArrowRight")


def _answer_everything_done(page: Any) -> None:
    """The quickest honest log: three taps (everything as prescribed, no pain, no pain)."""
    page.get_by_test_id("all-done").click()
    page.locator("#pain_before").get_by_label("0 · No pain").click()
    page.locator("#pain_after").get_by_label("0 · No pain").click()


def test_member_sees_a_precaution_must_answer_and_reads_the_advice_after_a_pain_spike(
    page: Any, new_page: Callable[..., Any], login: Callable[..., None], shot: Any
) -> None:
    member = _member()
    login(page, "demo_member")
    expect(page).to_have_url(re.compile(r"/today/$"))
    expect(page.get_by_test_id("red-flag")).to_contain_text("Get emergency care now")
    expect(page.get_by_test_id("red-flag")).to_contain_text("bladder")
    expect(page.get_by_test_id("stop-rule")).to_contain_text("stay worse")
    expect(page.get_by_test_id("pain-advice")).to_be_hidden()
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
    # The precautions the PT's library wrote are on the cards, in view.
    with_care = cards.filter(has=page.get_by_test_id("precautions"))
    assert with_care.count() >= 1
    care = with_care.first
    name = care.locator(".ex-name").inner_text()
    exercise = Exercise.objects.get(name=name, organization__isnull=True)
    expect(care.get_by_test_id("precautions")).to_be_visible()
    expect(care.get_by_test_id("precautions")).to_contain_text(exercise.precautions[0])
    # On a phone the steps wait behind a tap.
    steps = care.locator("details.steps")
    expect(steps.locator("ol")).to_be_hidden()
    steps.locator("summary").click()
    expect(steps.locator("ol li").first).to_have_text(exercise.instructions[0])

    # Nothing is chosen for the member: logging now asks them to answer, and sends nothing.
    first = cards.first
    first_name = first.locator(".ex-name").inner_text()
    reps = first.locator("[data-field=reps_done]")
    before = len(_todays_sessions(member))
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_test_id("log-session").click()
    errors = page.get_by_test_id("log-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text(f"{first_name}: choose Done, Partly or Skipped.")
    expect(errors).to_contain_text("Pain before: choose a number")
    assert posts == [] and len(_todays_sessions(member)) == before

    # Done fills in the dose; the first exercise was too hard; the last one skipped.
    first.get_by_label("Done", exact=True).click()
    if reps.count():
        dose = first.get_by_test_id("dose").inner_text()
        assert re.search(rf"\b(\d+ x )?{reps.input_value()}\b", dose), (dose, reps.input_value())
    first.get_by_label("Too hard").click()
    for index in range(1, count - 1):
        cards.nth(index).get_by_label("Done", exact=True).click()
    cards.last.get_by_label("Skipped").click()
    expect(cards.last.locator("[data-role=detail]")).to_be_hidden()
    _pick(page, "pain_before", 3)
    _pick(page, "pain_after", 8)
    assert page.locator("#pain_after").get_by_label("8", exact=True).is_checked()
    page.get_by_text("Add effort or a note").click()
    page.get_by_label("Notes for your physical therapist").fill("Sore after the walk.")
    first.scroll_into_view_if_needed()
    shot(page, "today-answered-phone")
    page.get_by_test_id("log-session").click()

    expect(page.get_by_test_id("log-status")).to_contain_text("Session logged")
    advice = page.get_by_test_id("pain-advice")
    expect(advice).to_be_visible()
    expect(advice).to_contain_text("Stop exercising for today")
    expect(advice).to_contain_text("Your physical therapist has been told.")
    expect(advice).to_contain_text("Get emergency care now")
    expect(page.get_by_test_id("log-status")).not_to_contain_text("Well done")
    expect(first.get_by_test_id("times-done")).to_contain_text("1 of")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "today-pain-advice-phone")
    sessions = _todays_sessions(member)
    assert len(sessions) == before + 1
    session = next(s for s in sessions if s.notes == "Sore after the walk.")
    assert (session.status, session.pain_before, session.pain_after, session.rpe) == (
        "partial",
        3,
        8,
        None,
    )
    entries = list(session.entries.select_related("exercise"))
    assert len(entries) == count
    assert sorted(e.status for e in entries) == ["done"] * (count - 1) + ["skipped"]
    assert next(e for e in entries if e.exercise.name == first_name).feedback == "too_hard"
    assert _queued(page) == 0
    # The form is clear for the next sitting: nothing carries over.
    assert page.locator("#log-form input[type=radio]:checked").count() == 0

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


def test_everything_as_prescribed_and_no_pain_is_three_taps(
    page: Any, login: Callable[..., None]
) -> None:
    member = _member()
    login(page, "demo_member")
    before = len(_todays_sessions(member))
    _answer_everything_done(page)
    page.get_by_test_id("log-session").click()
    expect(page.get_by_test_id("log-status")).to_contain_text("Session logged. Well done!")
    expect(page.get_by_test_id("pain-advice")).to_be_hidden()
    sessions = _todays_sessions(member)
    assert len(sessions) == before + 1
    session = sessions[-1]
    assert (session.status, session.pain_before, session.pain_after) == ("completed", 0, 0)
    assert {e.status for e in session.entries.all()} == {"done"}


def test_a_log_made_offline_is_kept_on_the_phone_and_sent_when_back_online(
    page: Any, login: Callable[..., None]
) -> None:
    member = _member()
    login(page, "demo_member")
    before = len(_todays_sessions(member))
    _answer_everything_done(page)
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
    _answer_everything_done(page)
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


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_today_page_fits_the_screen(
    new_page: Callable[..., Any], login: Callable[..., None], shot: Any, size: dict[str, int]
) -> None:
    page = new_page(viewport=size)
    login(page, "demo_member")
    expect(page.get_by_test_id("exercise-card").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    # Steps start open where there is room, behind a tap on a phone.
    steps = page.locator("details.steps").first
    assert steps.evaluate("d => d.open") is (size["width"] >= 768)
    shot(page, f"today-{size['width']}")
