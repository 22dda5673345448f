"""In chromium on a 360 px phone: a member sets a reminder with the keyboard (day presets are
buttons, boxes toggle with Space), sees its next time, and clears the inbox's unread count."""

from __future__ import annotations

from typing import Any

import pytest

from members.models import Notification, NotificationKind, ReminderSchedule
from tests import factories

from .conftest import PHONE


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.fixture
def member(transactional_db: None) -> Any:
    return factories.MemberFactory.create(
        user__username="phone_member", timezone="Europe/Berlin", user__email="p@example.org"
    )


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_a_member_sets_a_reminder_with_the_keyboard_on_a_phone(
    page: Any, member: Any, login: Any, shot: Any
) -> None:
    login(page, "phone_member", factories.PASSWORD)
    page.get_by_role("link", name="Reminders").click()
    page.wait_for_url("**/settings/reminders/")
    assert page.get_by_test_id("member-timezone").inner_text() == "Europe/Berlin"
    _no_sideways_scroll(page)

    add = page.locator("#add-reminder")
    add.get_by_label("Time").fill("07:15")
    add.get_by_role("button", name="Weekdays").focus()
    page.keyboard.press("Enter")
    boxes = add.locator('fieldset[data-days] input[type="checkbox"]')
    assert [boxes.nth(n).is_checked() for n in range(7)] == [True] * 5 + [False] * 2
    boxes.nth(5).focus()  # Saturday too, with the space bar
    page.keyboard.press("Space")
    add.get_by_label("Email").focus()
    page.keyboard.press("Space")
    add.get_by_role("button", name="Add reminder").focus()
    page.keyboard.press("Enter")

    page.wait_for_selector("text=Reminder added for 07:15")
    schedule = ReminderSchedule.objects.get(member=member)
    assert schedule.days_of_week == [0, 1, 2, 3, 4, 5]
    assert schedule.channels == ["in_app", "email"]
    card = page.get_by_test_id("reminder")
    assert "07:15" in card.locator("h2").inner_text()
    assert "07:15" in card.locator("time").inner_text()  # the next one, in Berlin time
    _no_sideways_scroll(page)
    shot(page, "reminder-settings-phone")


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_the_unread_count_shows_and_dismissing_clears_it(
    page: Any, member: Any, login: Any, shot: Any
) -> None:
    Notification.objects.create(
        user=member.user,
        kind=NotificationKind.REMINDER,
        title="Time for your exercises",
        body="Today: Pelvic tilt.",
        link="/today/",
    )
    login(page, "phone_member", factories.PASSWORD)
    assert page.get_by_test_id("unread-count").inner_text() == "1"

    page.get_by_test_id("inbox-link").click()
    page.wait_for_url("**/notifications/")
    _no_sideways_scroll(page)
    note = page.get_by_test_id("notification")
    assert "Pelvic tilt" in note.inner_text()
    shot(page, "inbox-phone")
    note.get_by_role("button", name="Dismiss").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.get_by_test_id("unread-count").count() == 0
    assert "dismissed" in page.get_by_test_id("notification").inner_text()
