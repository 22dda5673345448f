"""schemathesis over the whole OpenAPI schema, in-process through the WSGI app, as every role.

Each operation the schema lists when the test runs (nothing is hard-coded: new endpoints are
fuzzed as soon as they are in the schema) gets generated requests as a member, that member's
PT, their coordinator, another organization's coordinator and service staff, on the demo data
of `seed_demo`, in schemathesis' positive (schema-valid) and negative (schema-invalid) modes.
Every response must be: not a server error, a documented status code with the documented
content type and headers, conforming to the documented response schema; and schema-invalid
input must be refused.

Bounded time: FUZZ_MAX_EXAMPLES (default 12) generated examples per operation, mode and role.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from members.models import User
from tests.conftest import bearer_client

pytestmark = pytest.mark.fuzz

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
# Not positive_data_acceptance: schema-valid input is rightly refused (400) when it means
# nothing here, e.g. an id the caller may not see (CONVENTIONS: 400 on that field) or a
# refresh token that is well formed but was never issued.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# Who calls: one user per role, from the demo data (see fixtures/demo_people.json).
ROLES = {
    "member": "demo_member",
    "therapist": "demo_pt",
    "coordinator": "demo_coordinator",
    "foreign_coordinator": "other_coordinator",
    "staff": "demo_admin",
}


@pytest.fixture
def seeded(db: None) -> None:
    # seed_demo refuses without DEBUG (public demo passwords); the test database is throwaway.
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture(params=list(ROLES), ids=list(ROLES))
def auth_headers(request: pytest.FixtureRequest, seeded: None) -> dict[str, str]:
    user = User.objects.get(username=ROLES[request.param])
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


@pytest.fixture
def api_schema(seeded: None) -> Iterator[Any]:
    # The raw WSGI app, unlike Django's test client, closes "old" connections when a request
    # starts and ends: inside the test's transaction on PostgreSQL that closes the test's own
    # connection. Do what the test client does while the fuzzer calls the app.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        # Loaded when the test runs, so it holds every operation registered by then.
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> str | None:
    """Runs one operation's generated cases; the first failure's report, or None."""

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first report is enough
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    # Collect every operation's failure, not only the first (schemathesis raises a
    # BaseExceptionGroup subclass, so Exception alone would not catch it).
    except (Exception, BaseExceptionGroup) as exc:
        return f"{operation.label} ({mode.value}): {exc}"
    return None


# schemathesis' own pytest integration (`schemathesis.pytest.from_fixture`) relies on pytest
# internals that pytest 9.2 renamed, so each operation gets its own Hypothesis run here.
def test_every_operation_as_every_role(api_schema: Any, auth_headers: dict[str, str]) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    # FUZZ_OPERATIONS="staff,care-assignments" fuzzes only the operations whose label holds one
    # of these words (for a quick run while working on them).
    only = [word for word in os.environ.get("FUZZ_OPERATIONS", "").split(",") if word]
    if only:
        operations = [op for op in operations if any(word in op.label for word in only)]
    failures = [
        report
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (report := _fuzz(operation, mode, auth_headers)) is not None
    ]
    assert not failures, f"{len(failures)} failing operation(s):\n\n" + "\n\n".join(failures)


def test_a_page_size_that_is_not_a_number_is_a_400_naming_it(world: Any) -> None:
    # Found by the fuzzer: `?page_size=` answered 200 with the default page size.
    client = bearer_client(world.coordinator)
    for bad in ("", "abc", "0", "-3"):
        response = client.get(f"/api/v1/members/?page_size={bad}")
        assert response.status_code == 400, bad
        assert set(response.json()["errors"]) == {"page_size"}
    assert len(client.get("/api/v1/members/?page_size=1").json()["results"]) == 1
