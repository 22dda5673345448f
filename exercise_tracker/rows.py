"""Rows inserted without the ORM's INSERT machinery, for the hot writes (a plan from a template).

`insert_rows` stores model instances as `save()` or `bulk_create` would (each field's own
`pre_save`, `auto_now` included, and database preparation; related objects' ids taken as
`save` takes them) in one INSERT ... RETURNING of the primary key, with the statement made once
per model, row count and database. Building the INSERT through the ORM (its compiler, the
save's signals, the per-field checks of bulk_create) took longer than running it.

No signal is sent: the caller does what the receivers would (exercise_tracker/read_versions.py:
a plan's rows bump the member's read-cache version, `readcache.member_changed`).

`copy_rows` is for many rows whose ids nobody reads back (a seed's history, a rebuild's day
rows): PostgreSQL's COPY, the values as the instances hold them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


# Fields whose value, as a model instance holds it, PostgreSQL's COPY takes as it is (psycopg
# adapts int, str, bool, date, datetime and UUID): no per-field preparation.
_AS_HELD = frozenset(
    {
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
        "UUIDField",
    }
)


def copy_rows(objs: Iterable[Model], *, model: type[Model]) -> int:
    """Inserts `objs` (instances of `model`, not saved, auto-created primary key unset) and
    returns how many; their ids are not read back. On PostgreSQL one COPY ... FROM STDIN,
    without bulk_create's compiler preparing each value of each row through its field
    (seed_scale, 400 members: 39.9 s with bulk_create, 24.6 s with this for its session logs
    and day rows). Not seen by Django's query log (assertNumQueries, CaptureQueriesContext).
    Values go as the instances hold them: `auto_now` stamps are not made
    here (set them). Row triggers fire as for INSERT; no signal is sent (bulk_create sends
    none). Elsewhere bulk_create, in batches."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        rows = list(objs)
        model._base_manager.bulk_create(rows, batch_size=2000)
        return len(rows)
    opts = model._meta
    quote = connection.ops.quote_name
    fields = [f for f in opts.concrete_fields if not (f.primary_key and f.auto_created)]
    plain = [f.get_internal_type() in _AS_HELD for f in fields]
    names = [f.attname for f in fields]
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for obj in objs:
            write(
                [
                    getattr(obj, name)
                    if as_held
                    else field.get_db_prep_save(getattr(obj, name), connection)
                    for name, field, as_held in zip(names, fields, plain, strict=True)
                ]
            )
            count += 1
    return count
