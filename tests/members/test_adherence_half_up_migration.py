"""Migration 0017 rewrites stored 30-day adherence by the half-up rule (members.rules.adherence):
a tie stored a tenth low becomes what a rebuild gives, a right figure is left alone, a percent
where nothing was due is cleared. On this test's own database, PostgreSQL or SQLite."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from members.models import MemberAdherence
from members.rules.adherence import percent
from tests import factories

# (prescribed, completed, adherence as stored before the rule)
STORED = [
    (400, 49, 12.2),  # 12.25 exactly: half up is 12.3
    (8, 1, 12.5),  # exact: kept
    (9, 7, 77.8),  # right already
    (4, 5, 100.0),  # capped
    (2000, 1, None),  # 0.05: half up is 0.1, and none stored
    (0, 0, 50.0),  # nothing due: no percent
]


@pytest.mark.django_db
def test_stored_adherence_is_rewritten_half_up() -> None:
    today = timezone.now().date()
    rows = [
        MemberAdherence.objects.create(
            member=factories.MemberFactory.create(),
            as_of=today,
            prescribed=prescribed,
            completed=completed,
            adherence=stored,
        )
        for prescribed, completed, stored in STORED
    ]
    migration = importlib.import_module("members.migrations.0017_adherence_half_up")
    migration.rewrite(None, SimpleNamespace(connection=connection))
    after = {
        row.member_id: row.adherence
        for row in MemberAdherence.objects.filter(member_id__in=[r.member_id for r in rows])
    }
    assert [after[row.member_id] for row in rows] == [
        percent(completed, prescribed) for prescribed, completed, _ in STORED
    ]
    assert [after[row.member_id] for row in rows] == [12.3, 12.5, 77.8, 100.0, 0.1, None]
