"""A PT finds exercises in the library by search and by filters, sees their pictures, and opens
one to read its steps and precautions; the filter form also works without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("demo_world"),
]


def _cards(page: Any) -> Any:
    return page.get_by_test_id("exercise-card")


def _card_names(page: Any) -> list[str]:
    # The results are replaced as you type: read them once no request is under way.
    expect(page.locator("[data-library-results]")).not_to_have_attribute("aria-busy", "true")
    return [name.strip() for name in page.locator(".library-card-name").all_inner_texts()]


def _assert_pictures_loaded(page: Any) -> None:
    images = page.locator(".library-card img")
    assert images.count() > 0
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_have_attribute("alt", re.compile(r"\w+"))
        # Loaded: a picture with pixels, not a broken-image icon.
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )


def test_pt_searches_filters_and_opens_an_exercise(
    page: Any, login: Callable[..., None], shot: Callable[[Any, str], Path]
) -> None:
    login(page, "demo_pt")
    page.get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", name="Exercise library")).to_be_visible()
    expect(_cards(page)).to_have_count(24)  # first page of 45
    # The script has attached its listeners (typing before that would go unheard).
    expect(page.locator("form[data-library-filters][data-live]")).to_have_count(1)

    # Search as you type: "bridge".
    page.get_by_label("Search", exact=True).fill("bridge")
    expect(_cards(page)).to_have_count(2)
    assert _card_names(page) == ["Glute bridge", "Single-leg bridge"]
    expect(page).to_have_url(re.compile(r"/library/\?q=bridge$"))
    _assert_pictures_loaded(page)
    shot(page, "library-search-bridge")

    # Filters: stretching for the hips only.
    page.get_by_label("Search", exact=True).fill("")
    page.get_by_label("Category").select_option("stretching")
    page.get_by_label("Body region").select_option("hips")
    expect(page).to_have_url(re.compile(r"category=stretching&region=hips"))
    names = _card_names(page)
    assert names == [
        "Child's pose",
        "Figure-4 piriformis stretch",
        "Half-kneeling hip-flexor stretch",
        "Knee to opposite shoulder",
        "Single knee-to-chest",
        "Supine hamstring stretch with strap",
    ]
    for card in _cards(page).all():
        expect(card).to_contain_text("Stretching")
        expect(card).to_contain_text("Hips")
    _assert_pictures_loaded(page)
    shot(page, "library-stretching-hips")

    # Open one: steps, precautions, dose, pictures with alt text, easier and harder versions.
    page.get_by_role("link", name="Half-kneeling hip-flexor stretch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Half-kneeling hip-flexor stretch")
    steps = page.locator(".exercise-steps li")
    expect(steps.first).to_be_visible()
    assert 3 <= steps.count() <= 6
    precautions = page.get_by_role("note").filter(has_text="Take care")
    expect(precautions).to_contain_text("stenosis")
    expect(page.get_by_test_id("dose")).to_have_text("3 holds of 30 s, each side, alternating")
    pictures = page.locator(".exercise-pictures img")
    expect(pictures.first).to_have_attribute("alt", re.compile(r"Half-kneeling"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=pictures.first.element_handle()
    )
    shot(page, "exercise-page")


def test_the_filter_form_works_without_javascript(
    browser: Any, live_server: Any, login: Callable[..., None]
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, "demo_pt")
        page.goto("/library/")
        page.get_by_label("Search", exact=True).fill("bridge")
        page.get_by_role("button", name="Show exercises").click()
        expect(page).to_have_url(re.compile(r"q=bridge"))
        assert _card_names(page) == ["Glute bridge", "Single-leg bridge"]
        page.get_by_role("link", name="Single-leg bridge").click()
        page.get_by_role("link", name="Glute bridge").click()  # the easier version
        expect(page.get_by_role("heading", level=1)).to_have_text("Glute bridge")
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_the_library_fits_a_phone(page: Any, login: Callable[..., None]) -> None:
    login(page, "demo_pt")
    page.goto("/library/?q=bridge")
    expect(_cards(page)).to_have_count(2)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"
