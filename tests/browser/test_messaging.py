"""In chromium: a member on a 360 px phone sends their PT a message with a picture; the PT, in
another browser context with the conversation open, sees it appear without reloading and
replies; the member sees the reply appear (and hears of it through the polite live region)
without reloading. Red-flag words show the emergency guidance at once. Screenshots at 360 and
1280 px."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from members.models import Member

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.usefixtures("demo_world")

# The poll runs every 3 s on a visible page: a new message shows well within this.
APPEAR_MS = 12_000


def _member() -> Member:
    return Member.objects.select_related("user").get(user__username="demo_member")


def _picture(tmp_path: Path) -> Path:
    path = tmp_path / "swollen-knee.png"
    data = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 120, 90)).save(data, "PNG")
    path.write_bytes(data.getvalue())
    return path


def test_member_and_pt_talk_without_reloading(
    new_page: Any, login: Any, shot: Any, tmp_path: Path
) -> None:
    member = _member()
    pt_page = new_page(viewport=DESKTOP)
    login(pt_page, "demo_pt")
    pt_page.goto("/caseload/")
    pt_page.get_by_role(
        "link", name=re.compile(rf"Messages with {member.user.display_name}")
    ).click()
    expect(pt_page.get_by_role("heading", level=1)).to_contain_text(member.user.display_name)
    pt_page.wait_for_load_state("networkidle")

    phone = new_page(viewport=PHONE)
    login(phone, "demo_member")
    phone.goto("/messages/")
    expect(phone.get_by_test_id("not-for-emergencies")).to_contain_text("not for emergencies")
    expect(phone.get_by_test_id("working-hours")).to_contain_text("reads messages")
    phone.get_by_label("Your message").fill("My knee looks swollen after the bridges, see picture.")
    phone.get_by_label("Add a picture (optional)").set_input_files(str(_picture(tmp_path)))
    exercise = phone.get_by_label("About this exercise (optional)")
    if exercise.count():
        exercise.select_option(index=1)
    phone.get_by_role("button", name="Send").click()
    mine = phone.get_by_test_id("message").filter(has_text="My knee looks swollen")
    expect(mine).to_be_visible()
    expect(mine.get_by_test_id("message-picture")).to_be_visible()
    expect(mine.get_by_test_id("withdraw")).to_be_visible()
    # "Sent", or already "Seen" if the PT's open page polled in between.
    expect(mine.get_by_test_id("message-status")).to_have_text(re.compile("Sent|Seen"))

    # The PT's open page shows it without a reload, picture and all, and tells the screen reader.
    arrived = pt_page.get_by_test_id("message").filter(has_text="My knee looks swollen")
    expect(arrived).to_be_visible(timeout=APPEAR_MS)
    expect(arrived.get_by_test_id("message-picture")).to_be_visible()
    assert (
        pt_page.evaluate("document.querySelector('[data-testid=message-picture]').naturalWidth") > 0
    )
    expect(pt_page.get_by_test_id("live-region")).to_contain_text("New message from")
    shot(pt_page, "messaging-pt-conversation-desktop")

    # The member's message shows "Seen" once the PT's page has read it (no reload either).
    expect(mine.get_by_test_id("message-status")).to_have_text("Seen", timeout=APPEAR_MS)

    pt_page.get_by_label("Your message").fill(
        "Thanks. Ice it for 10 minutes and skip bridges today."
    )
    pt_page.get_by_role("button", name="Send").click()
    expect(
        pt_page.get_by_test_id("message").filter(has_text="Ice it for 10 minutes")
    ).to_be_visible()

    reply = phone.get_by_test_id("message").filter(has_text="Ice it for 10 minutes")
    expect(reply).to_be_visible(timeout=APPEAR_MS)
    expect(phone.get_by_test_id("live-region")).to_contain_text("Ice it for 10 minutes")
    shot(phone, "messaging-member-conversation-phone")


def test_red_flag_words_show_the_emergency_guidance(page: Any, login: Any, shot: Any) -> None:
    page.set_viewport_size(PHONE)
    login(page, "demo_member")
    page.goto("/messages/")
    page.get_by_label("Your message").fill("Since this morning I cannot control my bladder.")
    page.get_by_role("button", name="Send").click()
    guidance = page.get_by_test_id("emergency-guidance")
    expect(guidance).to_be_visible()
    expect(guidance).to_contain_text("Call your emergency number")
    shot(page, "messaging-member-red-flag-phone")


def test_pt_list_templates_and_coordinator_hours(new_page: Any, login: Any, shot: Any) -> None:
    member = _member()
    pt = new_page(viewport=PHONE)
    login(pt, "demo_pt")
    pt.goto("/messages/")
    expect(pt.get_by_test_id("conversation-row").first).to_be_visible()
    shot(pt, "messaging-pt-list-phone")
    pt.goto(f"/messages/members/{member.pk}/")
    pt.get_by_text("Save a new reply template").click()
    pt.get_by_label("Title").fill("Ice")
    pt.get_by_label("Text", exact=True).fill("Ice the sore spot for 10 minutes, then rest.")
    pt.get_by_role("button", name="Save template").click()
    pt.get_by_role("button", name="Use template").click()
    expect(pt.get_by_label("Your message")).to_have_value(
        "Ice the sore spot for 10 minutes, then rest."
    )
    shot(pt, "messaging-pt-conversation-phone")

    coordinator = new_page(viewport=PHONE)
    login(coordinator, "demo_coordinator")
    coordinator.goto("/settings/working-hours/")
    coordinator.get_by_label("Opens on Saturday").fill("09:00")
    coordinator.get_by_label("Closes on Saturday").fill("12:00")
    coordinator.get_by_role("button", name="Save working hours").click()
    expect(coordinator.get_by_test_id("hours-now")).to_contain_text("Saturday, 9:00 to 12:00")
    shot(coordinator, "messaging-working-hours-phone")
