"""axe-core over the pages each role uses, on a phone and a desktop: no WCAG 2.2 AA violation."""

from __future__ import annotations

from typing import Any

import pytest

from members.models import Member
from tests.services import require_axe_core

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.usefixtures("demo_world")

PAGES = {
    "demo_member": [
        "/today/",
        "/plan/",
        "/learn/",
        "/learn/{lesson}/",
        "/history/",
        "/questionnaires/",
        "/questionnaires/nprs/",
        "/settings/reminders/",
        "/settings/account/",
        "/notifications/",
        "/walks/",
        "/symptoms/",
        "/messages/",
    ],
    "demo_pt": [
        "/caseload/",
        "/members/new/",
        "/invitations/",
        "/library/",
        "/messages/",
        "/messages/members/{demo_member}/",
    ],
    "demo_coordinator": [
        "/dashboard/",
        "/people/",
        "/people/import/",
        "/invitations/staff/new/",
        "/settings/working-hours/",
    ],
}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("username", list(PAGES))
def test_no_wcag_aa_violations(
    new_page: Any, login: Any, username: str, viewport: dict[str, int]
) -> None:
    axe = require_axe_core()
    # The pages' Content-Security-Policy allows no injected script: axe runs through the
    # browser's own evaluation instead (a test-only context that bypasses the policy).
    page = new_page(viewport=viewport, bypass_csp=True)
    login(page, username)
    found = []
    demo_member = Member.objects.get(user__username="demo_member").pk
    for path in PAGES[username]:
        if "{lesson}" in path:  # a lesson of the member's plan (ids differ between runs)
            from programs.models import Lesson

            path = path.format(lesson=Lesson.objects.get(slug="walking-with-stenosis").pk)
        elif "{demo_member}" in path:
            path = path.format(demo_member=demo_member)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        page.add_script_tag(content=axe)
        result = page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
        )
        found += [
            f"{path}: {v['id']} ({v['impact']}) at {v['nodes'][0]['target']}: {v['help']}"
            for v in result["violations"]
        ]
    assert not found, "\n".join(found)
