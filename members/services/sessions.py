"""Writes about session logs: a member logs a session with its entries, or corrects it that day.

A session belongs to the member's local date (their IANA zone), from 7 days back to today.
Each entry names a plan item; it is stored against the item *version* in force on that date
(the revision governing the date, as programs.selectors.schedule reads it), so a later change
of the plan never rewrites what was asked for. An item that is not the member's is refused on
its field (`entries[2].plan_item`), as are numbers no one could have done (more than twice the
prescribed sets or reps).

Never doubled: `client_id` is unique per member in the database. Two identical POSTs racing
each other both try the insert; the loser's savepoint rolls back and it answers with the
winner's session. Cost: a fixed number of queries whatever the number of entries.
"""

from __future__ import annotations

import bisect
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, TypedDict, cast

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import DEFERRED, Field, ForeignKey, Model
from django.utils import timezone

from exercise_tracker import audit, readcache
from exercise_tracker.models import AuditAction
from exercise_tracker.rows import insert_rows
from members.models import Member, SessionEntry, SessionLog, SessionStatus, User
from members.models.logs import EntryStatus, Feedback
from members.selectors.sessions import local_today
from members.services import adherence, alerts
from programs.models import Exercise, Plan, PlanItem, PlanRevision, PlanStatus
from programs.models.plans import version_in_force
from programs.services import evaluations

# A phone offline for a week may still send what was done then; older is not a log but a memory.
MAX_BACKDATE_DAYS = 7
MAX_ENTRIES = 30  # as many as a plan may hold
# More than twice the prescription is a typo (one peer caps logged sets and reps there).
IMPLAUSIBLE_FACTOR = 2


class ClientIdReused(Exception):
    """The client_id names a session already stored with other content (answered 409)."""

    def __init__(self, existing: SessionLog) -> None:
        super().__init__("This client_id was already used for a different session.")
        self.existing = existing


@dataclass
class LoggedSession:
    """A session with its entries in memory (the response needs no query), and whether this
    call stored it (False: a retry that found the first one)."""

    session: SessionLog
    entries: list[SessionEntry]
    created: bool


@dataclass(frozen=True)
class EntryInput:
    """One exercise as the member reports it, its shape checked (members.inputs): numbers
    within the model's limits, choices among the model's ("" for none)."""

    plan_item: int
    # What the member stated (done, partial, skipped): nothing is assumed done. `done` follows
    # from it (members.inputs derives it).
    status: str
    done: bool = True
    sets_done: int | None = None
    reps_done: int | None = None
    hold_seconds_done: int | None = None
    duration_seconds_done: int | None = None
    side: str = ""
    feedback: str = ""
    pain: int | None = None


ENTRY_VALUES = tuple(f.name for f in fields(EntryInput) if f.name != "plan_item")


class SessionChanges(TypedDict, total=False):
    """A correction: the fields given replace the stored ones; `entries` replace them all."""

    status: str
    pain_before: int | None
    pain_after: int | None
    rpe: int | None
    notes: str
    entries: list[EntryInput]


HEAD_FIELDS = ("status", "pain_before", "pain_after", "rpe", "notes")


class _Errors(dict[str, list[str]]):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def check_date(member: Member, day: date, now: datetime | None = None) -> date:
    """The session's local date: not in the member's future, not older than MAX_BACKDATE_DAYS."""
    today = local_today(member, now)
    if day > today:
        raise ValidationError(
            {"date": [f"This date is in the future in your time zone ({member.timezone})."]}
        )
    if day < today - timedelta(days=MAX_BACKDATE_DAYS):
        raise ValidationError(
            {"date": [f"Sessions older than {MAX_BACKDATE_DAYS} days cannot be logged."]}
        )
    return day


# --- plan items: the version in force on the session's date ----------------------------------


class _Revision(NamedTuple):
    """What of a plan's revision says which governs a date (no model instance: one per row)."""

    number: int
    effective_date: date
    status: str
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class _PlanDays:
    """One plan's revisions, answering which revision governs a date (the schedule's rule: the
    last revision whose effective date is on or before it; revision 1 also governs back to the
    plan's start)."""

    revisions: list[_Revision]

    def governing(self, day: date) -> _Revision | None:
        ordered = sorted(self.revisions, key=lambda r: (r.effective_date, r.number))
        if not ordered:
            return None
        index = bisect.bisect_right([r.effective_date for r in ordered], day) - 1
        return ordered[max(index, 0)]


def _versions_in_force(
    member: Member, requested: set[int], day: date
) -> tuple[dict[int, PlanItem | None], set[int]]:
    """For each requested item id of the member's plans: the version of that item in force on
    `day` (None when the item was not prescribed then). Also the ids that are not the member's.
    One statement whatever the number of ids or of the member's plans: every version of the
    requested items (same plan, same key) when their plan is the member's, with its exercise's
    name, once per revision of its plan. The rows stay tuples; only the versions in force become
    model instances (every version and its exercise did before: checking six entries took 1.36
    ms of CPU then, 0.72 ms since, README "The session POST: rows read as rows")."""
    if not requested:
        return {}, set()
    rows = _version_rows(member.pk, sorted(requested))
    width = len(_ITEM_COLUMNS)
    versions: dict[int, tuple[Any, ...]] = {}  # version id -> its first row
    revisions: dict[int, dict[int, _Revision]] = {}
    for row in rows:
        versions.setdefault(row[_ID_AT], row)
        of_plan = revisions.setdefault(row[_PLAN_AT], {})
        number = row[width + 2]
        if number not in of_plan:  # each revision comes once per version of its plan
            _, _, _, effective, status, start, end = row[width:]
            of_plan[number] = _Revision(
                number=number,
                effective_date=_as_date(effective),
                status=status,
                start_date=_as_date(start),
                end_date=_as_date(end) if end is not None else None,
            )
    # The versions of each item (plan and key): the candidates for the one in force.
    of_item: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    for row in versions.values():
        of_item.setdefault((row[_PLAN_AT], str(row[_KEY_AT])), []).append(row)
    governing = {
        plan_id: _PlanDays(list(revs.values())).governing(day)
        for plan_id, revs in revisions.items()
    }
    made: dict[int, PlanItem] = {}
    alias = connection.alias
    in_force: dict[int, PlanItem | None] = {}
    for item_id in requested & versions.keys():
        asked = versions[item_id]
        governs = governing.get(asked[_PLAN_AT])
        found: PlanItem | None = None
        if (
            governs is not None
            and governs.status == PlanStatus.ACTIVE
            and governs.start_date <= day
            and (governs.end_date is None or day <= governs.end_date)
        ):
            number = governs.number
            current: tuple[Any, ...] | None = next(
                (
                    v
                    for v in of_item[(asked[_PLAN_AT], str(asked[_KEY_AT]))]
                    if version_in_force(v[_FROM_AT], v[_TO_AT], number)
                ),
                None,
            )
            if current is not None:
                found = made.get(current[_ID_AT])
                if found is None:
                    found = made[current[_ID_AT]] = _version_of(current, alias)
        in_force[item_id] = found
    return in_force, requested - versions.keys()


def _version_of(row: tuple[Any, ...], alias: str) -> PlanItem:
    """The PlanItem of a `_version_rows` row (its own columns), with its exercise's id and name
    (the rest of the exercise deferred)."""
    width = len(_ITEM_COLUMNS)
    values: list[Any] = [DEFERRED] * len(_ITEM_ALL)
    for at, value in zip(_ITEM_AT, row, strict=False):
        values[at] = value
    version = PlanItem.from_db(alias, _ITEM_ALL, values)
    if not isinstance(version.key, uuid.UUID):  # SQLite gives text
        version.key = uuid.UUID(str(version.key))
    exercise: list[Any] = [DEFERRED] * len(_EXERCISE_COLUMNS)
    exercise[_EXERCISE_ID_AT], exercise[_EXERCISE_NAME_AT] = row[width], row[width + 1]
    _EXERCISE_OF_ITEM.set_cached_value(
        version, Exercise.from_db(alias, _EXERCISE_COLUMNS, exercise)
    )
    return version


# The version's columns that logging may read (all but its creation time), in the model's
# field order; the instance is built from a full-length row, the rest deferred (Model.from_db
# then builds it positionally, without matching names).
_ITEM_ALL = [f.attname for f in PlanItem._meta.concrete_fields]
_ITEM_COLUMNS = [name for name in _ITEM_ALL if name != "created_at"]
_ITEM_AT = [_ITEM_ALL.index(name) for name in _ITEM_COLUMNS]
_ID_AT, _PLAN_AT, _KEY_AT, _FROM_AT, _TO_AT = (
    _ITEM_COLUMNS.index(name)
    for name in ("id", "plan_id", "key", "valid_from_revision", "valid_to_revision")
)
_EXERCISE_OF_ITEM = cast("ForeignKey[Any, Any]", PlanItem._meta.get_field("exercise"))
# An exercise of which only the id and the name are read: the rest deferred, the row full length.
_EXERCISE_COLUMNS = [f.attname for f in Exercise._meta.concrete_fields]
_EXERCISE_ID_AT, _EXERCISE_NAME_AT = _EXERCISE_COLUMNS.index("id"), _EXERCISE_COLUMNS.index("name")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite: text


def _version_rows(member_id: int, requested: list[int]) -> list[tuple[Any, ...]]:
    key = (connection.vendor, len(requested))
    sql = _version_sql.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        items = quote(PlanItem._meta.db_table)
        plans = quote(Plan._meta.db_table)
        exercises = quote(Exercise._meta.db_table)
        revisions = quote(PlanRevision._meta.db_table)
        columns = ", ".join(f"v.{quote(_column(PlanItem, name))}" for name in _ITEM_COLUMNS)
        marks = ", ".join(["%s"] * len(requested))
        sql = _version_sql[key] = (
            f"SELECT {columns}, e.id, e.name, r.number, r.effective_date, r.status, "  # noqa: S608 (the models' names)
            f"r.start_date, r.end_date FROM {items} v "
            f"JOIN {plans} p ON p.id = v.plan_id "
            f"JOIN {exercises} e ON e.id = v.exercise_id "
            f"JOIN {revisions} r ON r.plan_id = v.plan_id "
            # The requested items' own plans only (plan and key): a member with thousands of
            # plans (drafts) costs no more than one with a single plan.
            f"WHERE p.member_id = %s AND (v.plan_id, v.{quote('key')}) IN "
            f"(SELECT plan_id, {quote('key')} FROM {items} WHERE id IN ({marks}))"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [member_id, *requested])
        return cursor.fetchall()


# Per database and number of ids (at most MAX_ENTRIES).
_version_sql: dict[tuple[str, int], str] = {}


def _column(model: type[Model], name: str) -> str:
    return str(cast("Field[Any, Any]", model._meta.get_field(name)).column)


def _check_entries(
    member: Member, given: Sequence[EntryInput], day: date, status: str, errors: _Errors
) -> list[SessionEntry]:
    """Unsaved entries, each on the item version in force on `day`; what depends on the plan
    goes to `errors` keyed `entries[i].field`."""
    if status == SessionStatus.SKIPPED and any(entry.done for entry in given):
        errors.add("entries", "A skipped session has no exercises done: leave them out.")
        return []
    in_force, not_mine = _versions_in_force(member, {entry.plan_item for entry in given}, day)
    entries: list[SessionEntry] = []
    used: set[int] = set()
    for index, entry in enumerate(given):
        where = f"entries[{index}]."
        version: PlanItem | None = None
        if entry.status not in _ENTRY_STATUSES:
            errors.add(f"{where}status", f"Choose one of: {', '.join(EntryStatus.values)}.")
        if entry.plan_item in not_mine or entry.plan_item not in in_force:
            errors.add(f"{where}plan_item", "No item of your plan has this id.")
        else:
            version = in_force[entry.plan_item]
            if version is None:
                errors.add(f"{where}plan_item", f"This exercise was not in your plan on {day}.")
            elif version.pk in used:
                errors.add(f"{where}plan_item", "This exercise is already in this session.")
                version = None
            else:
                used.add(version.pk)
        if version is not None:
            for name, prescribed in (("sets_done", version.sets), ("reps_done", version.reps)):
                done = getattr(entry, name)
                if done is not None and prescribed and done > IMPLAUSIBLE_FACTOR * prescribed:
                    errors.add(
                        f"{where}{name}",
                        f"More than twice the {prescribed} prescribed is not plausible: "
                        "check the number.",
                    )
        if version is None or errors:
            continue
        entries.append(_new_entry(version, entry))
    _check_status_against_entries(status, entries, errors)
    return entries


# Django computes a choices class's `values` on every read.
_ENTRY_STATUSES = frozenset(EntryStatus.values)
# An entry's columns in the model's order (positional construction, as Model.from_db does, costs
# half of keyword arguments), and its two relations whose cache the new entry is given.
_ENTRY_ATTNAMES = [f.attname for f in SessionEntry._meta.concrete_fields]
_ENTRY_PLAN_ITEM, _ENTRY_EXERCISE = (
    cast("ForeignKey[Any, Any]", SessionEntry._meta.get_field(name))
    for name in ("plan_item", "exercise")
)


def _new_entry(version: PlanItem, given: EntryInput) -> SessionEntry:
    """An unsaved entry of `given` on `version`, its item and exercise in memory."""
    values: dict[str, Any] = {name: getattr(given, name) for name in ENTRY_VALUES}
    values["plan_item_id"] = version.pk
    values["exercise_id"] = version.exercise_id
    # Typed as Any: django-stubs reads a starred argument as the type of the first field.
    row: Any = [values.get(name) for name in _ENTRY_ATTNAMES]
    entry = SessionEntry(*row)
    _ENTRY_PLAN_ITEM.set_cached_value(entry, version)
    _ENTRY_EXERCISE.set_cached_value(entry, version.exercise)
    return entry


def _check_status_against_entries(
    status: str | None, entries: Sequence[SessionEntry], errors: _Errors
) -> None:
    """The session's status must say what its entries say: adherence counts the session's
    status, so a "completed" session of skipped exercises would count what was not done."""
    if not entries or errors:
        return
    stated = {entry.status for entry in entries}
    if status == SessionStatus.COMPLETED and stated != {EntryStatus.DONE}:
        errors.add(
            "status",
            "Some exercises were partly done or skipped: log the session as partial.",
        )
    elif status == SessionStatus.PARTIAL and stated == {EntryStatus.SKIPPED}:
        errors.add("status", "Every exercise was skipped: log the session as skipped.")


# --- retries --------------------------------------------------------------------------------


def _entry_signature(entry: SessionEntry) -> tuple[Any, ...]:
    return (
        entry.plan_item_id,
        entry.status,
        entry.done,
        entry.sets_done,
        entry.reps_done,
        entry.hold_seconds_done,
        entry.duration_seconds_done,
        entry.side,
        entry.feedback,
        entry.pain,
    )


def _same_session(
    existing: SessionLog,
    old: Sequence[SessionEntry],
    new: SessionLog,
    entries: Sequence[SessionEntry],
) -> bool:
    fields = ("local_date", "status", "pain_before", "pain_after", "rpe", "notes")
    return all(getattr(existing, f) == getattr(new, f) for f in fields) and sorted(
        map(_entry_signature, old), key=repr
    ) == sorted(map(_entry_signature, entries), key=repr)


def _entries_of(session: SessionLog) -> list[SessionEntry]:
    return list(
        SessionEntry.objects.filter(session=session)
        .select_related("plan_item", "exercise")
        .order_by("id")
    )


def _first_session(member: Member, client_id: uuid.UUID) -> SessionLog | None:
    return SessionLog.objects.filter(member=member, client_id=client_id).first()


# --- the writes -----------------------------------------------------------------------------

_INSERTED = ("member", "local_date", "client_id", "status", "pain_before", "pain_after", "rpe",
             "notes", "created_at", "updated_at")  # fmt: skip


def _session_insert_sql() -> tuple[str, list[Field[Any, Any]]]:
    made = _session_sql.get(connection.vendor)
    if made is None:
        made = _session_sql[connection.vendor] = _make_session_insert_sql()
    return made


_session_sql: dict[str, tuple[str, list[Field[Any, Any]]]] = {}


def _make_session_insert_sql() -> tuple[str, list[Field[Any, Any]]]:
    opts = SessionLog._meta
    quote = connection.ops.quote_name
    columns = [cast("Field[Any, Any]", opts.get_field(name)) for name in _INSERTED]
    names = ", ".join(quote(str(f.column)) for f in columns)
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({names}) "  # noqa: S608 (the model's names)
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quote('member_id')}, {quote('client_id')}) DO NOTHING "
        f"RETURNING {quote('id')}"
    )
    return sql, columns


def _stored(obj: Model, pk: int, alias: str) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = alias


def _insert_unless_stored(
    session: SessionLog, entries: Sequence[SessionEntry], by: User
) -> tuple[bool, bool]:
    """The session as INSERT ... ON CONFLICT (member, client_id) DO NOTHING RETURNING id, and
    its entries: no savepoint around it (two round trips fewer than catching the unique
    violation). False, with nothing written, when the client_id was already stored (a retry,
    or the loser of two identical POSTs racing: the conflict waits for the winner's
    transaction). Other violations still raise. On PostgreSQL one statement, with the audit
    row of `by` creating it: the entries' and the audit row's INSERTs read the session's id
    from the first (data-modifying WITH), the entries' values one JSON parameter (a fixed
    statement whatever their number); elsewhere two statements, and the caller audits.
    Returns (stored, audited)."""
    stamp = timezone.now()
    session.created_at = session.updated_at = stamp
    sql, columns = _session_insert_sql()
    # The wrapper itself: each attribute read through django.db.connection looks it up again.
    db = connections[DEFAULT_DB_ALIAS]
    values = [f.get_db_prep_save(getattr(session, f.attname), db) for f in columns]
    if db.vendor == "postgresql" and entries:
        rows = [
            [n, *(getattr(entry, name) for name in _ENTRY_VALUE_NAMES)]
            for n, entry in enumerate(entries)
        ]
        audit_sql, audit_params = audit.write_from(
            source="s",
            by=by,
            action=AuditAction.CREATE,
            member_id=session.member_id,
            object_type=SessionLog._meta.label_lower,
        )
        pending_sql, pending_params = evaluations.request_from("s", session.member_id)
        with db.cursor() as cursor:
            cursor.execute(
                _with_entries_sql(sql, audit_sql, pending_sql),
                [*values, json.dumps(rows), *audit_params, *pending_params],
            )
            found = cursor.fetchall()
        if not found:
            return False, False
        _stored(session, found[0][0], db.alias)
        ids = {plan_item_id: pk for _, pk, plan_item_id in found}
        for entry in entries:
            entry.session = session
            _stored(entry, ids[entry.plan_item_id], db.alias)
        return True, True
    with db.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False, False
    _stored(session, row[0], db.alias)
    for entry in entries:
        entry.session = session
    insert_rows(entries)  # in one INSERT ... RETURNING, as bulk_create would (no signals)
    return True, False


# The entry's columns after its id: plain numbers, text and booleans, sent as they are.
_ENTRY_FIELDS = [f for f in SessionEntry._meta.concrete_fields if not f.primary_key]


# What the statement of a session with entries takes of each entry, after its position.
_ENTRY_VALUE_NAMES = [f.attname for f in _ENTRY_FIELDS if f.attname != "session_id"]
_with_entries: dict[str, str] = {}


def _with_entries_sql(session_sql: str, audit_sql: str, pending_sql: str) -> str:
    """PostgreSQL: the session's INSERT, then its entries' from a JSON array of rows (each
    [position, plan_item_id, exercise_id, status, ...], in `_ENTRY_VALUE_NAMES` order), in the
    order given (ids follow it), then the audit row's and the progression outbox's row
    (programs.services.evaluations); one result row per entry: (session id, entry id, item
    id)."""
    made = _with_entries.get(session_sql + audit_sql + pending_sql)
    if made is None:
        quote = connection.ops.quote_name
        entry_fields = [f for f in _ENTRY_FIELDS if f.attname != "session_id"]
        names = ", ".join(quote(str(f.column)) for f in entry_fields)
        typed = ", ".join(
            f"CAST(r.v->>{n + 1} AS {f.db_type(connection)})" for n, f in enumerate(entry_fields)
        )
        made = _with_entries[session_sql + audit_sql + pending_sql] = (
            f"WITH s AS ({session_sql}), e AS ("  # noqa: S608 (the models' names)
            f"INSERT INTO {quote(SessionEntry._meta.db_table)} "
            f"({quote('session_id')}, {names}) "
            f"SELECT s.{quote('id')}, {typed} FROM s, jsonb_array_elements(%s::jsonb) AS r(v) "
            f"ORDER BY CAST(r.v->>0 AS integer) "
            f"RETURNING {quote('id')}, {quote('plan_item_id')}), "
            f"a AS ({audit_sql}), p AS ({pending_sql}) "
            f"SELECT s.{quote('id')}, e.{quote('id')}, e.{quote('plan_item_id')} FROM s, e"
        )
    return made


def _raise_session_alerts(
    session: SessionLog, entries: Sequence[SessionEntry], *, pain: bool = True
) -> None:
    too_hard = {e.exercise_id for e in entries if e.feedback == Feedback.TOO_HARD}
    findings = alerts.session_findings(session=session, too_hard_exercise_ids=too_hard, pain=pain)
    alerts.raise_alerts(member_id=session.member_id, findings=findings, session=session)


@transaction.atomic
def log_session(
    *,
    member: Member,
    by: User | None = None,
    local_date: date,
    status: str,
    client_id: uuid.UUID | None = None,
    pain_before: int | None = None,
    pain_after: int | None = None,
    rpe: int | None = None,
    notes: str = "",
    entries: Sequence[EntryInput] = (),
    now: datetime | None = None,
) -> LoggedSession:
    """Stores a session and its entries (one bulk insert), audits it as written by `by` (the
    member by default) and raises the alerts it gives rise to. A retry with the same client_id
    and content returns the first session (created False); other content raises
    ClientIdReused. What breaks a rule raises ValidationError naming every field."""
    try:
        day = check_date(member, local_date, now)
    except ValidationError:
        # A retry of a session stored days ago may be past the window now: still a retry.
        existing = _first_session(member, client_id) if client_id is not None else None
        if existing is None:
            raise
        if existing.local_date != local_date:
            raise ClientIdReused(existing) from None
        return LoggedSession(session=existing, entries=_entries_of(existing), created=False)
    errors = _Errors()
    new_entries = _check_entries(member, entries, day, status, errors)
    if errors:
        raise ValidationError(dict(errors))

    session = SessionLog(
        member=member,
        local_date=day,
        client_id=client_id or uuid.uuid4(),
        status=status,
        pain_before=pain_before,
        pain_after=pain_after,
        rpe=rpe,
        notes=notes.strip(),
    )
    by = by or member.user
    stored, audited = _insert_unless_stored(session, new_entries, by)
    if not stored:
        existing = _first_session(member, session.client_id)
        if existing is None:  # pragma: no cover - the conflict's row cannot vanish meanwhile
            raise IntegrityError("session_log_client_id_per_member")
        old = _entries_of(existing)
        if not _same_session(existing, old, session, new_entries):
            raise ClientIdReused(existing) from None
        return LoggedSession(session=existing, entries=old, created=False)
    # The raw insert and bulk_create send no signals: today's cached answer changes here.
    readcache.member_changed(member.pk)
    _raise_session_alerts(session, new_entries)
    adherence.refresh_session_day(member=member, day=day, now=now)
    if not audited:
        # Elsewhere than on PostgreSQL: the progression outbox's row and the audit row here.
        evaluations.request(member.pk)
        audit.record_write(by=by, action=AuditAction.CREATE, member_id=member.pk, obj=session)
    return LoggedSession(session=session, entries=new_entries, created=True)


@transaction.atomic
def correct_session(
    *,
    session: SessionLog,
    by: User | None = None,
    changes: SessionChanges,
    now: datetime | None = None,
) -> LoggedSession:
    """The member's correction of a session on its own local date: the fields given in
    `changes` replace the stored ones; `entries`, when given, replace all the entries.
    Audited as written by `by` (the member by default)."""
    member = session.member
    if local_today(member, now) != session.local_date:
        raise ValidationError(
            {
                "non_field_errors": [
                    "A session can be corrected only on the day it was done "
                    f"({session.local_date}, in your time zone)."
                ]
            }
        )
    locked = SessionLog.objects.select_for_update().get(pk=session.pk)
    errors = _Errors()
    head: dict[str, Any] = {name: changes[name] for name in HEAD_FIELDS if name in changes}  # type: ignore[literal-required]
    if "notes" in head:
        head["notes"] = head["notes"].strip()
    status = head.get("status", locked.status)
    replace = "entries" in changes
    new_entries = (
        _check_entries(member, changes.get("entries") or [], locked.local_date, status, errors)
        if replace
        else []
    )
    if (
        not replace
        and status == SessionStatus.SKIPPED
        and status != locked.status
        and SessionEntry.objects.filter(session=locked, done=True).exists()
    ):
        errors.add("entries", "A skipped session has no exercises done: send entries: [].")
    if not replace and "status" in head and not errors:
        _check_status_against_entries(status, _entries_of(locked), errors)
    if errors:
        raise ValidationError(dict(errors))
    for name, value in head.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*head.keys(), "updated_at"])
    if replace:
        SessionEntry.objects.filter(session=locked).delete()
        for entry in new_entries:
            entry.session = locked
        SessionEntry.objects.bulk_create(new_entries)
        entries = new_entries
        # A correction raises again only what it changed: an alert the PT resolved stays so.
        _raise_session_alerts(locked, entries, pain=bool({"pain_before", "pain_after"} & set(head)))
    else:
        entries = _entries_of(locked)
        if {"pain_before", "pain_after"} & set(head):
            _raise_session_alerts(locked, [], pain=True)
    adherence.refresh_session_day(member=member, day=locked.local_date, now=now)
    evaluations.request(member.pk)  # the progression rules read the corrected log
    audit.record_write(
        by=by or member.user, action=AuditAction.UPDATE, member_id=member.pk, obj=locked
    )
    return LoggedSession(session=locked, entries=entries, created=False)
