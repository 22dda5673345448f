"""Migration 0016 builds the dashboard roll-ups from a frozen copy of the rebuild SQL: the copy
must say what members.services.dashboard_rollup rebuilds today. When this fails, the rebuild
has changed, and the triggers that keep the roll-ups (written in 0016) must change with it in a
new migration; 0016 itself stays as it was."""

from __future__ import annotations

import importlib
import inspect

from members.services import dashboard_rollup


def _words(sql: str) -> list[str]:
    return sql.split()


def test_the_migrations_frozen_rebuild_is_the_services_rebuild() -> None:
    migration = importlib.import_module("members.migrations.0016_dashboard_rollups")
    d = dashboard_rollup
    cells = ", ".join((*d.CELL_KEY, *d.CELL_SUMS))
    weeks = ", ".join((*d.WEEK_KEY, *d.WEEK_SUMS))
    assert _words(migration.FILL_CELLS) == _words(
        f"INSERT INTO {d.CELLS} ({cells}) {d.REBUILD_CELLS}"
    )
    assert _words(migration.FILL_WEEKS) == _words(
        f"INSERT INTO {d.WEEKS} ({weeks}) {d.REBUILD_WEEKS}"
    )
    # And the migration imports nothing of the app's code.
    assert "import members" not in inspect.getsource(migration)
    assert "from members" not in inspect.getsource(migration)
