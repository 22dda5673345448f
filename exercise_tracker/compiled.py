"""ORM queries turned into SQL once and run again with new values: for the few queries that run
on every request of a hot read (a plan's access check), where building the query through the
ORM took several times as long as running it.

The query is built by the ORM as usual (so it stays the one `access.py` defines), with
*sentinel* values in place of the ones that change from request to request (the user's id, their
organization, the object's id); its compiled parameters are then matched to the sentinels by
value, so each run only substitutes the new values. A compiled query is kept per connection
(its SQL is that backend's) and per `key`, which must name whatever else the SQL depends on
(the user's role, today's date where the query compares with it).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

# Ids no row has: each names the position of a value in `Compiled.rows(values)`.
SENTINELS = (-7_300_001, -7_300_002, -7_300_003, -7_300_004)


class Compiled:
    """`queryset`'s SQL, with the parameters equal to `SENTINELS[i]` taken from `values[i]`."""

    def __init__(self, queryset: QuerySet[Any], connection: BaseDatabaseWrapper) -> None:
        compiler = queryset.query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.slots = [
            SENTINELS.index(p) if isinstance(p, int) and p in SENTINELS else None
            for p in self.params
        ]
        # Columns the ORM converts (dates on SQLite, JSON) are converted as it does.
        self.compiler = compiler
        self.converters = compiler.get_converters(
            [s[0] for s in compiler.select[: compiler.col_count]]
        )

    def params_for(self, values: Sequence[object]) -> list[Any]:
        return [
            p if slot is None else values[slot]
            for p, slot in zip(self.params, self.slots, strict=True)
        ]

    def rows(self, values: Sequence[object]) -> list[tuple[Any, ...]]:
        params = self.params_for(values)
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            return [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]
        return list(rows)


_compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, dict[object, Compiled]] = (
    weakref.WeakKeyDictionary()
)


def compiled(key: object, build: Callable[[], QuerySet[Any]]) -> Compiled:
    """The compiled query under `key` on this thread's connection, built by `build()` (with
    SENTINELS for the changing values) the first time. Keys of a past day are dropped as they
    are replaced: a caller whose key holds the date passes it as the key's last part."""
    connection = connections[DEFAULT_DB_ALIAS]
    mine = _compiled.setdefault(connection, {})
    found = mine.get(key)
    if found is None:
        if len(mine) > 64:  # keys with yesterday's date, say
            mine.clear()
        found = mine[key] = Compiled(build(), connection)
    return found
