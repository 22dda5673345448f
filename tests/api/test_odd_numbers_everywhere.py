"""Every query and path parameter of the API, as every role, with the numbers that crashed:
Unicode digits (superscripts, Arabic-Indic, fullwidth), numbers longer than Python parses
(4,300 digits) or than an id holds, signs, decimals and odd whitespace. The parameters come
from the OpenAPI schema, so a new endpoint is covered as soon as it is documented. No answer
may be a server error."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..conftest import World, bearer_client

pytestmark = pytest.mark.django_db

# Hand-picked: each crashed something here once, or crashes int()/date() somewhere.
ODD = [
    "\u00b2",  # superscript two: isdigit() is true, int() raises
    "\u0663",  # Arabic-Indic three: int() takes it
    "\uff11\uff12",  # fullwidth 12
    "\U0001d7d9",  # mathematical double-struck one
    "9" * 5000,  # over int()'s 4,300-digit limit
    "9" * 25,  # over a bigint
    str(2**63),
    "-1",
    "+1",
    "1.0",
    "1e3",
    " 1",
    "1 ",
    "\t1\n",
    "\u00a01",  # no-break space
    "1_000",
    "",
    "0",
    "null",
    "2026-13-45",
]

NUMBERS = st.one_of(
    st.text(alphabet=st.characters(categories=["Nd", "No", "Zs", "Cc"]), min_size=1, max_size=8),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.builds(
        lambda ws1, n, ws2: f"{ws1}{n}{ws2}",
        st.sampled_from(["", " ", "\t", "\n", "\u2003", "\u00a0"]),
        st.integers(min_value=0, max_value=10**20),
        st.sampled_from(["", " ", "\t", "\n", "\u2003"]),
    ),
)


@cache
def _get_operations() -> list[tuple[str, list[str], list[str]]]:
    """(path template, path parameter names, query parameter names) of every GET."""
    schema: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if not operation:
            continue
        params = operation.get("parameters", [])
        found.append(
            (
                path,
                [p["name"] for p in params if p["in"] == "path"],
                [p["name"] for p in params if p["in"] == "query"],
            )
        )
    return found


def _url(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)


def _roles(world: World) -> dict[str, Any]:
    return {
        "member": world.member.user,
        "therapist": world.pt.user,
        "coordinator": world.coordinator,
        "staff": world.staff,
    }


def test_the_schema_lists_the_parameters_this_test_walks() -> None:
    operations = _get_operations()
    queries = {name for _, _, names in operations for name in names}
    assert {"member", "page_size", "from", "to", "therapist"} <= queries
    assert any(path_names for _, path_names, _ in operations)


@pytest.mark.parametrize("role", ["member", "therapist", "coordinator", "staff"])
def test_odd_numbers_in_every_query_and_path_parameter_are_never_a_500(
    world: World, role: str
) -> None:
    client = bearer_client(_roles(world)[role])
    failures = []
    for path, path_names, query_names in _get_operations():
        base = _url(path, {})
        for name in query_names:
            for value in ODD:
                response = client.get(base, {name: value})
                if response.status_code >= 500:
                    failures.append((path, name, value[:20], response.status_code))
        for name in path_names:
            for value in ODD:
                if not value or "/" in value:
                    continue
                response = client.get(_url(path, {name: value.strip() or value}))
                if response.status_code >= 500:
                    failures.append((path, name, value[:20], response.status_code))
    assert failures == []


def test_generated_numbers_in_every_query_parameter_are_400_or_fine(world: World) -> None:
    client = bearer_client(world.coordinator)
    pt_client = bearer_client(world.pt.user)

    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
    @given(value=NUMBERS)
    def check(path: str, name: str, value: str) -> None:
        for who in (client, pt_client):
            response = who.get(_url(path, {}), {name: value})
            assert response.status_code < 500, (path, name, value, response.content[:200])
            if response.status_code == 400:
                body = response.json()
                assert set(body) == {"detail", "errors"}

    for path, _, query_names in _get_operations():
        for name in query_names:
            check(path, name)
