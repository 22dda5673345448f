"""The dashboard's organization roll-ups (DashboardCell, DashboardWeek; PostgreSQL only): how
they are rebuilt from the data, compacted and compared.

Database triggers (members/migrations/0016_dashboard_rollups.py) append to them in the very
statement that changes a member's row (organization, discharge, primary PT, template), their
figures (MemberAdherence) or their week rows (AdherenceWeek): the old contribution with the sign
-1 and the new one with +1. Nothing is updated in place, so writers never wait for each other;
`compact` folds the rows of each key into one (the roll-over does after its batches). On other
databases the tables stay empty and the dashboard groups its members' rows instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

CELL_KEY = ("organization_id", "therapist_id", "template_id", "risk", "as_of")
CELL_SUMS = (
    "members",
    "with_plan",
    "prescribed",
    "completed",
    "tenths_total",
    "with_figure",
    "adherent",
    "active_days",
    "rtm",
    "band_0",
    "band_1",
    "band_2",
    "band_3",
    "band_4",
    "band_5",
)
WEEK_KEY = ("organization_id", "therapist_id", "template_id", "week_start")
WEEK_SUMS = ("due", "credited")
CELLS = "members_dashboardcell"
WEEKS = "members_dashboardweek"

# Each member under care, grouped as the cells are: the rebuild the triggers must agree with.
# The tenths are members.rules.adherence.percent_tenths; bands as members.selectors.adherence.
TENTHS = (
    "CASE WHEN a.prescribed > 0 "
    "THEN LEAST(1000, (2000 * a.completed + a.prescribed) / (2 * a.prescribed)) END"
)
REBUILD_CELLS = f"""
SELECT COALESCE(u.organization_id, 0), COALESCE(m.primary_therapist_id, 0),
       COALESCE(m.current_template_id, 0), COALESCE(a.risk, 'no_plan'),
       COALESCE(a.as_of, DATE '0001-01-01'),
       COUNT(*), SUM(CASE WHEN a.has_plan THEN 1 ELSE 0 END),
       COALESCE(SUM(a.prescribed), 0), COALESCE(SUM(a.completed), 0),
       COALESCE(SUM(t.tenths), 0), COUNT(t.tenths),
       SUM(CASE WHEN t.tenths >= 800 THEN 1 ELSE 0 END),
       COALESCE(SUM(a.active_days_30), 0),
       SUM(CASE WHEN a.active_days_30 >= 16 THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.tenths < 200 THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.tenths >= 200 AND t.tenths < 400 THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.tenths >= 400 AND t.tenths < 600 THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.tenths >= 600 AND t.tenths < 800 THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.tenths >= 800 THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.tenths IS NULL THEN 1 ELSE 0 END)
FROM members_member m
JOIN members_user u ON u.id = m.user_id
LEFT JOIN members_memberadherence a ON a.member_id = m.id
CROSS JOIN LATERAL (SELECT {TENTHS} AS tenths) t
WHERE m.discharged_on IS NULL
GROUP BY 1, 2, 3, 4, 5
"""  # noqa: S608 (constants)
REBUILD_WEEKS = """
SELECT COALESCE(u.organization_id, 0), COALESCE(m.primary_therapist_id, 0),
       COALESCE(m.current_template_id, 0), w.week_start, SUM(w.due), SUM(w.credited)
FROM members_member m
JOIN members_user u ON u.id = m.user_id
JOIN members_adherenceweek w ON w.member_id = m.id
WHERE m.discharged_on IS NULL
GROUP BY 1, 2, 3, 4
HAVING SUM(w.due) <> 0 OR SUM(w.credited) <> 0
"""
_KEPT_CELLS = (
    f"SELECT {', '.join(CELL_KEY)}, {', '.join(f'SUM({s})' for s in CELL_SUMS)} "  # noqa: S608
    f"FROM {CELLS} GROUP BY {', '.join(CELL_KEY)} HAVING SUM(members) <> 0"
)
_KEPT_WEEKS = (
    f"SELECT {', '.join(WEEK_KEY)}, SUM(due), SUM(credited) FROM {WEEKS} "  # noqa: S608
    f"GROUP BY {', '.join(WEEK_KEY)} HAVING SUM(due) <> 0 OR SUM(credited) <> 0"
)


def kept() -> bool:
    """Whether this database keeps the roll-ups (its triggers are PostgreSQL's)."""
    return connection.vendor == "postgresql"


def compact() -> None:
    """Folds the appended rows of each key into one (keys that sum to nothing go)."""
    if not kept():
        return
    cells, weeks = ", ".join((*CELL_KEY, *CELL_SUMS)), ", ".join((*WEEK_KEY, *WEEK_SUMS))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"WITH moved AS (DELETE FROM {CELLS} RETURNING *) "  # noqa: S608
            f"INSERT INTO {CELLS} ({cells}) "
            f"SELECT {', '.join(CELL_KEY)}, {', '.join(f'SUM({s})' for s in CELL_SUMS)} "
            f"FROM moved GROUP BY {', '.join(CELL_KEY)} HAVING SUM(members) <> 0"
        )
        cursor.execute(
            f"WITH moved AS (DELETE FROM {WEEKS} RETURNING *) "  # noqa: S608
            f"INSERT INTO {WEEKS} ({weeks}) "
            f"SELECT {', '.join(WEEK_KEY)}, SUM(due), SUM(credited) "
            f"FROM moved GROUP BY {', '.join(WEEK_KEY)} "
            "HAVING SUM(due) <> 0 OR SUM(credited) <> 0"
        )


def shrink() -> None:
    """After a bulk load (seed_scale), whose triggers appended and compaction deleted millions
    of rows: the tables rewritten at their live size (VACUUM FULL; outside a transaction only).
    A live database's compactions leave space that vacuum lets the next rows reuse."""
    if not kept() or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM FULL ANALYZE {CELLS}")
        cursor.execute(f"VACUUM FULL ANALYZE {WEEKS}")


def rebuild() -> None:
    """Replaces the roll-ups with a rebuild from the data (the tables locked meanwhile: a
    trigger's row written during the rebuild would be counted twice)."""
    if not kept():
        return
    cells, weeks = ", ".join((*CELL_KEY, *CELL_SUMS)), ", ".join((*WEEK_KEY, *WEEK_SUMS))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {CELLS}, {WEEKS} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {CELLS}")  # noqa: S608
        cursor.execute(f"DELETE FROM {WEEKS}")  # noqa: S608
        cursor.execute(f"INSERT INTO {CELLS} ({cells}) {REBUILD_CELLS}")
        cursor.execute(f"INSERT INTO {WEEKS} ({weeks}) {REBUILD_WEEKS}")


@dataclass
class RollupDrift:
    cells: list[tuple[Any, Any, Any]] = field(default_factory=list)  # (key, kept, rebuilt)
    weeks: list[tuple[Any, Any, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.cells or self.weeks)


def _rows(sql: str, key_size: int) -> dict[tuple[Any, ...], tuple[int, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {
            tuple(row[:key_size]): tuple(int(v or 0) for v in row[key_size:])
            for row in cursor.fetchall()
        }


def drift() -> RollupDrift:
    """The keys whose kept sums differ from a rebuild from the data (none elsewhere than on
    PostgreSQL)."""
    found = RollupDrift()
    if not kept():
        return found
    for target, kept_sql, rebuilt_sql, size in (
        (found.cells, _KEPT_CELLS, REBUILD_CELLS, len(CELL_KEY)),
        (found.weeks, _KEPT_WEEKS, REBUILD_WEEKS, len(WEEK_KEY)),
    ):
        have, want = _rows(kept_sql, size), _rows(rebuilt_sql, size)
        target += [
            (key, have.get(key), want.get(key))
            for key in sorted(have.keys() | want.keys(), key=str)
            if have.get(key) != want.get(key)
        ]
    return found
