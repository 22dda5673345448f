"""Rows inserted without the ORM's INSERT machinery, for the hot writes (a plan from a template).

`insert_rows` stores model instances as `save()` or `bulk_create` would (each field's own
`pre_save`, `auto_now` included, and database preparation; related objects' ids taken as
`save` takes them) in one INSERT ... RETURNING of the primary key, with the statement made once
per model, row count and database. Building the INSERT through the ORM (its compiler, the
save's signals, the per-field checks of bulk_create) took longer than running it.

No signal is sent: the caller does what the receivers would (exercise_tracker/read_versions.py:
a plan's rows bump the member's read-cache version, `readcache.member_changed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model

_statements: dict[tuple[str, type[Model], int], tuple[str, list[Any]]] = {}


def _statement(model: type[Model], count: int, connection: Any) -> tuple[str, list[Any]]:
    key = (connection.vendor, model, count)
    made = _statements.get(key)
    if made is None:
        opts = model._meta
        quote = connection.ops.quote_name
        fields = [f for f in opts.concrete_fields if not (f.primary_key and f.auto_created)]
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        pk = cast("Field[Any, Any]", opts.pk)
        sql = (
            f"INSERT INTO {quote(opts.db_table)} "  # noqa: S608 (the model's names)
            f"({', '.join(quote(str(f.column)) for f in fields)}) "
            f"VALUES {', '.join([row] * count)} RETURNING {quote(str(pk.column))}"
        )
        made = _statements[key] = (sql, fields)
    return made


def insert_rows(objs: Sequence[Model]) -> None:
    """Inserts `objs` (instances of one model, not saved yet) and sets their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
        model._base_manager.bulk_create(objs)
        return
    sql, fields = _statement(model, len(objs), connection)
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS
