"""Pages read numbers with the same strict parser as the API: "²" is not a 500 there either."""

from __future__ import annotations

import pytest
from django.test import Client

from exercise_tracker.integers import MAX_ID
from members.views.today import _form_number

from ..conftest import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", ["\u00b2", "9" * 5000, "9" * 25, "\u0663"])
def test_the_rtm_page_names_an_odd_therapist_instead_of_failing(world: World, raw: str) -> None:
    client = Client()
    client.force_login(world.coordinator)
    response = client.get("/reports/rtm/", {"therapist": raw})
    assert response.status_code == 200


def test_the_today_form_reads_only_ascii_whole_numbers() -> None:
    assert _form_number(" 12 ") == 12
    assert _form_number("") is None
    assert _form_number("\u00b2") == "\u00b2"  # the service names it as not a whole number
    assert _form_number("9" * 5000) == "9" * 5000
    assert _form_number(str(MAX_ID)) == MAX_ID
