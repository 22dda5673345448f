"""Writes the audit trail (HIPAA 164.312(b)): staff reads of member data, every write of it,
exports, logins and lockouts.

Services write the rows of the changes they make (`record_write`), selectors those of staff
reads (`record_read_by_staff`), so a page, the API, the admin, a command and a task doing the
same thing leave the same trail. Neither is handed the HTTP request: the path and address come
from the request being served, if any (`RequestContextMiddleware`).
"""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .client_address import client_address
from .middleware import current_request_id
from .models import AuditAction, AuditEvent, AuditOutcome

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "audit_request", default=None
)


class RequestContextMiddleware:
    """Makes the request being served known to the audit rows written while serving it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def current_request() -> HttpRequest | None:
    return _current_request.get()


def _client_ip(request: HttpRequest | None) -> str | None:
    return None if request is None else client_address(request)


def record(
    *,
    request: HttpRequest | None,
    action: str,
    user: Any = None,
    member_id: int | None = None,
    obj: Any = None,
    object_type: str = "",
    outcome: str = AuditOutcome.SUCCESS,
    username: str = "",
) -> AuditEvent:
    """Appends one audit row. `request` defaults to the one being served (none in a command or
    a task); `user` to the request's user."""
    if request is None:
        request = current_request()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    authenticated = bool(user is not None and getattr(user, "is_authenticated", False))
    if obj is not None and not object_type:
        object_type = obj._meta.label_lower
    return _insert(_event(request, user, authenticated, action, outcome, username,
                          member_id, obj, object_type))  # fmt: skip


def _event(
    request: HttpRequest | None, user: Any, authenticated: bool, action: str, outcome: str,
    username: str, member_id: int | None, obj: Any, object_type: str,
) -> AuditEvent:  # fmt: skip
    return AuditEvent(
        user_id=user.pk if authenticated else None,
        username=(user.get_username() if authenticated else username)[:150],
        role=getattr(user, "role", "") if authenticated else "",
        organization_id=getattr(user, "organization_id", None) if authenticated else None,
        action=action,
        outcome=outcome,
        member_id=member_id,
        object_type=object_type[:60],
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        path=(request.path if request is not None else "")[:300],
        ip_address=_client_ip(request),
        request_id=getattr(request, "request_id", "") or current_request_id(),
        client_request_id=getattr(request, "client_request_id", "")[:64],
    )


def _insert(event: AuditEvent) -> AuditEvent:
    """`event.save()`, through an INSERT made once per connection: every staff read of a
    member's record writes a row, and building the INSERT through the ORM took longer than
    the rest of a cached plan read. Same values (each field's own `pre_save` and database
    preparation); no signal is sent for audit rows, so none is missed."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.features.can_return_columns_from_insert:
        event.save()
        return event
    fields = _INSERT_FIELDS
    sql = _insert_sql.get(connection)
    if sql is None:
        quote = connection.ops.quote_name
        sql = _insert_sql[connection] = (
            f"INSERT INTO {quote(AuditEvent._meta.db_table)} "  # noqa: S608 (names, not values)
            f"({', '.join(quote(str(f.column)) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(_PK_COLUMN)}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, _prepared(event, connection))
        (event.pk,) = cursor.fetchone()
    event._state.adding = False
    event._state.db = DEFAULT_DB_ALIAS
    return event


# A staff read's audit row, written in its own statement outside any transaction, is committed
# asynchronously on PostgreSQL (`synchronous_commit` off for that one transaction): the read does
# not wait for the disk to flush the row, which was most of a cached plan read's time. The row is
# written and visible at once, in order; what PostgreSQL gives up is only durability of the last
# moments before a crash of the database server (at most three times `wal_writer_delay`, 0.6 s
# by default), never consistency. Writes, and their audit rows, commit synchronously as always.
READ_AUDIT_ASYNC_COMMIT = True
ASYNC_COMMIT = "SELECT set_config('synchronous_commit', 'off', true)"


def select_read_by_staff(
    *, request: HttpRequest, sql: str, params: Sequence[Any], object_type: str, object_id: str
) -> list[tuple[Any, ...]] | None:
    """The rows of `sql` (a SELECT whose columns include `member_id`) and, in the same statement,
    the audit row of the request's user reading them, as `record_read_by_staff` would write it,
    when it finds a row and the user is not a member: one round trip instead of two for a read
    that must be audited (PostgreSQL runs an INSERT in WITH once, whatever the outer query
    reads). None where that is not available (another database): the caller then reads and
    records as usual."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return None
    user = getattr(request, "user", None)
    if getattr(user, "role", None) == "member" or not getattr(user, "is_authenticated", False):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    event = _event(request, user, True, AuditAction.READ, AuditOutcome.SUCCESS, "", None, None,
                   object_type)  # fmt: skip
    event.object_id = object_id
    insert_params = _prepared(event, connection, without="member_id")
    # Alone in its transaction (autocommit), the row is committed without waiting for the disk
    # (READ_AUDIT_ASYNC_COMMIT): the setting is the statement's transaction's only.
    asynchronous = READ_AUDIT_ASYNC_COMMIT and not connection.in_atomic_block
    statement = _audited_statements.get((sql, asynchronous))
    if statement is None:
        if len(_audited_statements) > 64:
            _audited_statements.clear()
        statement = _audited_statements[sql, asynchronous] = _audited_statement(
            sql, asynchronous, connection.ops.quote_name
        )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *insert_params])
        return list(cursor.fetchall())


def _audited_statement(sql: str, asynchronous: bool, quote: Callable[[str], str]) -> str:
    """`sql`'s rows, and the audit row of reading them (select_read_by_staff), in one statement."""
    values = [
        quote("r") + "." + quote("member_id") if f.attname == "member_id" else "%s"
        for f in _INSERT_FIELDS
    ]
    r, s, a = quote("r"), quote("s"), quote("a")
    columns = ", ".join(quote(str(f.column)) for f in _INSERT_FIELDS)
    table = quote(AuditEvent._meta.db_table)
    # Names and fixed text only: the values are parameters.
    parts = [f"WITH {r} AS ({sql}), "]
    if asynchronous:
        parts.append(f"{s} AS ({ASYNC_COMMIT}), ")
    select = ", ".join(values)
    parts.append(f"{a} AS (INSERT INTO {table} ({columns}) SELECT {select} FROM {r}")  # noqa: S608
    if asynchronous:
        parts.append(f" CROSS JOIN {s}")
    parts.append(f" RETURNING 1) SELECT {r}.* FROM {r}")  # noqa: S608
    return "".join(parts)


# select_read_by_staff's statements by (the read's SQL, asynchronous): PostgreSQL's only.
_audited_statements: dict[tuple[str, bool], str] = {}


def write_from(
    *, source: str, by: Any, action: str, member_id: int | None, object_type: str
) -> tuple[str, list[Any]]:
    """The INSERT (SQL, parameters) of the row `record_write(by=by, action=action,
    member_id=member_id, obj=...)` writes, the object's id read from `source.id` (the name of a
    WITH query returning the new row's id): for a write that inserts its row and its audit row
    in one statement (PostgreSQL). No row when `source` returns none (nothing written)."""
    connection = connections[DEFAULT_DB_ALIAS]
    request = current_request()
    authenticated = bool(by is not None and getattr(by, "is_authenticated", False))
    event = _event(request, by, authenticated, action, AuditOutcome.SUCCESS, "", member_id, None,
                   object_type)  # fmt: skip
    fields = _INSERT_FIELDS
    quote = connection.ops.quote_name
    object_id = f"CAST({quote(source)}.{quote('id')} AS varchar)"
    values = [object_id if f.attname == "object_id" else "%s" for f in fields]
    params = _prepared(event, connection, without="object_id")
    sql = (
        f"INSERT INTO {quote(AuditEvent._meta.db_table)} "  # noqa: S608 (names, not values)
        f"({', '.join(quote(str(f.column)) for f in fields)}) "
        f"SELECT {', '.join(values)} FROM {quote(source)}"
    )
    return sql, params


_INSERT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def _prepared(event: AuditEvent, connection: Any, *, without: str = "") -> list[Any]:
    """The row's values in _INSERT_FIELDS order, as save() prepares them (but the field
    `without`, whose value the statement takes from elsewhere)."""
    return [
        f.get_db_prep_save(f.pre_save(event, add=True), connection)
        for f in _INSERT_FIELDS
        if f.attname != without
    ]


_PK_COLUMN = next(str(f.column) for f in AuditEvent._meta.concrete_fields if f.primary_key)
_insert_sql: weakref.WeakKeyDictionary[BaseDatabaseWrapper, str] = weakref.WeakKeyDictionary()


def record_read_by_staff(
    *,
    user: Any = None,
    request: HttpRequest | None = None,
    member_id: int | None,
    obj: Any = None,
    object_type: str = "",
    action: str = AuditAction.READ,
) -> None:
    """Records a read of a member's data by anyone but that member (`user`, default the
    request's). An export is a read too: `action=AuditAction.EXPORT`."""
    if user is None:
        request = request or current_request()
        user = getattr(request, "user", None)
    # Members only ever reach their own records; the trail is for everyone else's reads.
    if getattr(user, "role", None) == "member":
        return
    record(
        request=request,
        user=user,
        action=action,
        member_id=member_id,
        obj=obj,
        object_type=object_type,
    )


def record_write(
    *,
    by: Any,
    action: str,
    member_id: int | None,
    obj: Any = None,
    object_type: str = "",
) -> AuditEvent:
    """Records a change of a member's data: create, update or delete, by `by` (None: the
    system, a task or a command acting on no one's behalf). Called by the service that made
    the change, inside its transaction: a change rolled back leaves no row."""
    return record(
        request=None,
        user=by,
        action=action,
        member_id=member_id,
        obj=obj,
        object_type=object_type,
    )


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(request=request, action=AuditAction.LOGIN_SUCCESS, user=user)


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The username is what was typed; the password never reaches the trail.
    record(
        request=request,
        action=AuditAction.LOGIN_FAILURE,
        outcome=AuditOutcome.FAILURE,
        username=str(credentials.get("username", "")),
    )


LOCKED_MESSAGE = "Too many failed login attempts. Try again later or ask your clinic to unlock."


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """django-axes calls this when an account is locked: 429 for the API, a page otherwise."""
    username = str((credentials or {}).get("username", "")) if isinstance(credentials, dict) else ""
    record(
        request=request,
        action=AuditAction.LOGIN_LOCKED,
        outcome=AuditOutcome.FAILURE,
        username=username,
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LOCKED_MESSAGE, "errors": {}}, status=429)
    return render(request, "registration/locked.html", {"message": LOCKED_MESSAGE}, status=429)
