"""PostgreSQL: parameters bound by the server, frequent statements prepared per connection
(settings: DATABASE_PREPARED_STATEMENTS, on by default), and Django's defaults when it is off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from members.models import Organization
from tests.services import require_postgres

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_statement_run_often_is_prepared_on_its_connection() -> None:
    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    connection.connection._prepared.clear()  # psycopg's own record of what it prepared

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                ['%FROM "members_organization"%'],
            )
            return [row[0] for row in cursor.fetchall()]

    for n in range(5):
        assert Organization.objects.filter(slug=f"clinic-{n}").first() is None
    assert prepared() == []  # five runs: planned each time
    for n in range(5, 8):
        assert Organization.objects.filter(slug=f"clinic-{n}").first() is None
    assert len(prepared()) == 1
    assert "$1" in prepared()[0]  # the slug is a parameter, bound by the server


def _database_options(**env: str) -> dict[str, object]:
    shown = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "import json; from django.conf import settings; "
            "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))",
        ],
        cwd=ROOT,
        env=os.environ | {"DJANGO_DEBUG": "1"} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    options: dict[str, object] = json.loads(shown.stdout.strip().splitlines()[-1])
    return options


def test_prepared_statements_are_on_by_default_and_can_be_turned_off() -> None:
    url = "postgres://hep@db.invalid:5432/hep"  # not connected to: the settings are only read
    assert _database_options(DATABASE_URL=url) == {
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    assert _database_options(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="0") == {}
