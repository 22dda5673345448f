"""Browser fixtures: Debian's chromium through Playwright against pytest-django's live server.

- `browser`: one chromium for the session (skipped locally without /usr/bin/chromium, a failure
  with CI=true).
- `page`: a fresh browser context per test (no cookies carried over), with `base_url` set to the
  live server so tests write `page.goto("/today/")`. Its size comes from the `viewport` fixture:
  override per test with `@pytest.mark.parametrize("viewport", [PHONE], indirect=True)` or
  directly with `@pytest.mark.parametrize("viewport", [PHONE])`.
- `new_page(viewport=...)`: more pages (each its own context) inside one test, e.g. two roles.
- `demo_world`: the demo organizations from `seed_demo` (32 members at Demo Clinic; every
  demo user's password is `DEMO_PASSWORD`), seeded once per run and loaded from a dump after.
- `login(page, username)`: signs in through the login page and waits for the landing page.
- `shot(page, name)`: a full-page screenshot in SHOTS_DIR (default /tmp/shots) to look at.

A page that throws an uncaught JavaScript error, has a script or style blocked by the
Content-Security-Policy, or fails to load one of our own static files, fails the test at
teardown: nobody sees those in a passing run otherwise.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model
from django.test import override_settings

from members.services import dashboard_rollup
from tests.services import require_chromium

# Playwright's sync API runs an asyncio loop in this thread; the live server's ORM calls made
# from fixtures in the same thread would otherwise raise SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

DEMO_PASSWORD = "demo-pass"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
SHOTS_DIR = Path(os.environ.get("SHOTS_DIR", Path(tempfile.gettempdir()) / "shots"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous for a loaded CI machine, short enough that a hung page fails quickly.
DEFAULT_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test in this directory drives chromium: mark them so `-m "not browser"` skips them.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    chromium = playwright_instance.chromium.launch(
        executable_path=require_chromium(), args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """Desktop unless a test parametrizes it (`indirect=True` passes the value through here)."""
    return dict(getattr(request, "param", DESKTOP))


class PageProblems:
    """What went wrong inside a page that the test's assertions would not see."""

    def __init__(self, static_prefix: str) -> None:
        self.static_prefix = static_prefix
        self.errors: list[str] = []

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"JavaScript error: {exc}"))
        page.on("response", self._on_response)
        page.on("console", self._on_console)

    def _on_console(self, message: Any) -> None:
        # A script or style the Content-Security-Policy blocked: the page looks or works wrong.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(f"blocked by the CSP: {message.text}")

    def _on_response(self, response: Any) -> None:
        if self.static_prefix in response.url and response.status >= 400:
            self.errors.append(f"static file {response.url} answered {response.status}")


@pytest.fixture
def new_page(
    browser: Any, live_server: Any, viewport: dict[str, int]
) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []
    problems = PageProblems(static_prefix=f"{live_server.url}/static/")

    def make(viewport: dict[str, int] = viewport, **context_options: Any) -> Any:
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, **context_options
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems.errors, "\n".join(problems.errors)


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


# Seeding the demo takes about 13 s; a dump of it loads in a fraction of that. The first test that
# needs the demo seeds it and dumps the rows; the others load the dump (the flush between
# transactional tests empties the tables, not MEDIA_ROOT, so the pictures stay).
# The dashboard's roll-ups are not dumped: PostgreSQL's triggers build them again as the rows
# load (a dumped copy would count every member twice); load_dump rebuilds them to be sure.
DEMO_DUMP_EXCLUDE = [
    "contenttypes", "auth.permission", "sessions", "admin.logentry",
    "members.dashboardcell", "members.dashboardweek",
]  # fmt: skip


def load_dump(path: Path) -> None:
    """Loads a dumpdata file in bulk (loaddata saves row by row: 12,000 rows took longer than
    seeding). Foreign keys are checked at commit, so the order of models does not matter; rows
    that survived the flush (reference data) are left as they are."""
    by_model: dict[type[Model], list[Model]] = {}
    with_m2m = []
    with path.open() as stream:
        for found in serializers.deserialize("json", stream):
            by_model.setdefault(type(found.object), []).append(found.object)
            if found.m2m_data:
                with_m2m.append(found)
    with transaction.atomic():
        for model, rows in by_model.items():
            model._base_manager.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        for found in with_m2m:
            for name, ids in (found.m2m_data or {}).items():
                getattr(found.object, name).set(ids)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(by_model)):
                cursor.execute(sql)
        dashboard_rollup.rebuild()


@pytest.fixture(scope="session")
def demo_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "demo.json"


@pytest.fixture
def demo_world(transactional_db: None, demo_dump: Path) -> None:
    """The demo organizations, people and caseloads, as `manage.py seed_demo` builds them."""
    if demo_dump.exists():
        load_dump(demo_dump)
        return
    # seed_demo refuses to run without DEBUG (its passwords are public); tests are not production.
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
    call_command(
        "dumpdata",
        exclude=DEMO_DUMP_EXCLUDE,
        natural_foreign=False,
        output=str(demo_dump),
        verbosity=0,
    )


def login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Signs in through the login page as a person would, and waits to leave it."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: not re.search(r"/login/(\?|$)", url))


@pytest.fixture(name="login")
def login_fixture() -> Callable[..., None]:
    return login


def shot(page: Any, name: str) -> Path:
    """Saves a full-page screenshot (SHOTS_DIR/name.png) and returns its path."""
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SHOTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(name="shot")
def shot_fixture() -> Callable[[Any, str], Path]:
    return shot
