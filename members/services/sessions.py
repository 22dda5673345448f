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
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from members.models import Member, SessionEntry, SessionLog, SessionStatus
from members.models.logs import (
    ENTRY_DONE_STATUSES,
    MAX_DURATION_SECONDS_DONE,
    MAX_HOLD_SECONDS_DONE,
    MAX_REPS_DONE,
    MAX_SETS_DONE,
    PAIN_MAX,
    PAIN_MIN,
    RPE_MAX,
    RPE_MIN,
    EntrySide,
    EntryStatus,
    Feedback,
)
from members.selectors.sessions import local_today
from members.services import adherence, alerts
from programs.models import PlanItem, PlanRevision, PlanStatus

# A phone offline for a week may still send what was done then; older is not a log but a memory.
MAX_BACKDATE_DAYS = 7
MAX_ENTRIES = 30  # as many as a plan may hold
MAX_NOTES = 2000
# More than twice the prescription is a typo (one peer caps logged sets and reps there).
IMPLAUSIBLE_FACTOR = 2
ENTRY_FIELDS = frozenset(
    {
        "plan_item",
        "status",
        "done",
        "sets_done",
        "reps_done",
        "hold_seconds_done",
        "duration_seconds_done",
        "side",
        "feedback",
        "pain",
    }
)
MAX_ID = 2**63 - 1
# The columns of a plan item version that logging reads: its dose and its exercise's name.
VERSION_COLUMNS = (
    "id",
    "plan_id",
    "key",
    "order",
    "valid_from_revision",
    "valid_to_revision",
    "sets",
    "reps",
    "hold_seconds",
    "duration_seconds",
    "side",
    "exercise__id",
    "exercise__name",
)


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


# --- checks that name the field ---------------------------------------------------------------


class _Errors(dict[str, list[str]]):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def _whole(value: Any) -> int | None:
    """An int, or None for anything else (booleans and numeric strings included: JSON clients
    send numbers; the page converts its form fields before calling)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _number(
    raw: Mapping[str, Any], name: str, low: int, high: int, errors: _Errors, where: str = ""
) -> int | None:
    """An optional whole number within [low, high]; absent or null gives None."""
    value = raw.get(name)
    if value is None:
        return None
    field = f"{where}{name}"
    number = _whole(value)
    if number is None:
        errors.add(field, "Give a whole number.")
        return None
    if not low <= number <= high:
        errors.add(field, f"Give a number from {low} to {high}.")
        return None
    return number


def check_date(member: Member, day: Any, now: datetime | None = None) -> date:
    """The session's local date: not in the member's future, not older than MAX_BACKDATE_DAYS."""
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationError({"date": ["Give a date as YYYY-MM-DD."]})
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


@dataclass(frozen=True)
class _Head:
    status: str
    pain_before: int | None
    pain_after: int | None
    rpe: int | None
    notes: str


def _check_head(raw: Mapping[str, Any], errors: _Errors, *, partial: bool) -> dict[str, Any]:
    """The session's own fields present in `raw` (all of them unless `partial`)."""
    values: dict[str, Any] = {}
    if "status" in raw or not partial:
        status = raw.get("status")
        if status not in SessionStatus.values:
            errors.add("status", f"Choose one of: {', '.join(SessionStatus.values)}.")
        else:
            values["status"] = status
    for name, (low, high) in (
        ("pain_before", (PAIN_MIN, PAIN_MAX)),
        ("pain_after", (PAIN_MIN, PAIN_MAX)),
        ("rpe", (RPE_MIN, RPE_MAX)),
    ):
        if name in raw or not partial:
            values[name] = _number(raw, name, low, high, errors)
    if "notes" in raw or not partial:
        notes = raw.get("notes")
        if notes is None:
            values["notes"] = ""
        elif not isinstance(notes, str):
            errors.add("notes", "Give text.")
        elif len(notes) > MAX_NOTES:
            errors.add("notes", f"At most {MAX_NOTES} characters.")
        else:
            values["notes"] = notes.strip()
    return values


# --- plan items: the version in force on the session's date ----------------------------------


@dataclass(frozen=True)
class _PlanDays:
    """One plan's revisions, answering which revision governs a date (the schedule's rule: the
    last revision whose effective date is on or before it; revision 1 also governs back to the
    plan's start)."""

    revisions: list[PlanRevision]

    def governing(self, day: date) -> PlanRevision | None:
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
    Two queries, whatever the number of ids."""
    if not requested:
        return {}, set()
    keys = PlanItem.objects.filter(pk__in=requested).values("key")
    versions = list(
        PlanItem.objects.filter(plan__member_id=member.pk, key__in=keys)
        .select_related("exercise")
        .only(*VERSION_COLUMNS)
    )
    by_id = {version.pk: version for version in versions}
    plan_ids = {version.plan_id for version in versions}
    revisions: dict[int, list[PlanRevision]] = {plan_id: [] for plan_id in plan_ids}
    if plan_ids:
        for revision in PlanRevision.objects.filter(plan_id__in=plan_ids).only(
            "plan_id", "number", "effective_date", "status", "start_date", "end_date"
        ):
            revisions[revision.plan_id].append(revision)
    governing = {plan_id: _PlanDays(revs).governing(day) for plan_id, revs in revisions.items()}
    in_force: dict[int, PlanItem | None] = {}
    for item_id in requested & set(by_id):
        asked = by_id[item_id]
        governs = governing.get(asked.plan_id)
        found: PlanItem | None = None
        if (
            governs is not None
            and governs.status == PlanStatus.ACTIVE
            and governs.start_date <= day
            and (governs.end_date is None or day <= governs.end_date)
        ):
            found = next(
                (
                    v
                    for v in versions
                    if v.plan_id == asked.plan_id
                    and v.key == asked.key
                    and v.in_force_at(governs.number)
                ),
                None,
            )
        in_force[item_id] = found
    return in_force, requested - set(by_id)


def _check_entries(
    member: Member, raw_entries: Any, day: date, status: str | None, errors: _Errors
) -> list[SessionEntry]:
    """Unsaved entries, each on the item version in force on `day`; problems go to `errors`
    keyed `entries[i].field`."""
    if raw_entries is None:
        return []
    if not isinstance(raw_entries, list):
        errors.add("entries", "Give a list of entries.")
        return []
    if len(raw_entries) > MAX_ENTRIES:
        errors.add("entries", f"At most {MAX_ENTRIES} entries in a session.")
        return []
    if status == SessionStatus.SKIPPED and any(
        isinstance(raw, dict)
        and (raw.get("status") in ENTRY_DONE_STATUSES or raw.get("done") is True)
        for raw in raw_entries
    ):
        errors.add(
            "entries",
            "A skipped session has no exercises done: leave them out or mark them skipped.",
        )
        return []
    requested: set[int] = set()
    for raw in raw_entries:
        if isinstance(raw, dict):
            item_id = _whole(raw.get("plan_item"))
            if item_id is not None and 1 <= item_id <= MAX_ID:
                requested.add(item_id)
    in_force, not_mine = _versions_in_force(member, requested, day)

    entries: list[SessionEntry] = []
    used: set[int] = set()
    for index, raw in enumerate(raw_entries):
        where = f"entries[{index}]."
        if not isinstance(raw, dict):
            errors.add(f"entries[{index}]", "Give an object with the plan item and what was done.")
            continue
        unknown = set(raw) - ENTRY_FIELDS
        if unknown:
            errors.add(f"entries[{index}]", f"Unknown field(s): {', '.join(sorted(unknown))}.")
            continue
        item_id = _whole(raw.get("plan_item"))
        version: PlanItem | None = None
        if item_id is None or item_id in not_mine or item_id not in in_force:
            errors.add(f"{where}plan_item", "No item of your plan has this id.")
        else:
            version = in_force[item_id]
            if version is None:
                errors.add(f"{where}plan_item", f"This exercise was not in your plan on {day}.")
            elif version.pk in used:
                errors.add(f"{where}plan_item", "This exercise is already in this session.")
                version = None
            else:
                used.add(version.pk)
        sets_done = _counted(
            raw, "sets_done", MAX_SETS_DONE, version.sets if version else None, errors, where
        )
        reps_done = _counted(
            raw, "reps_done", MAX_REPS_DONE, version.reps if version else None, errors, where
        )
        hold = _number(raw, "hold_seconds_done", 0, MAX_HOLD_SECONDS_DONE, errors, where)
        duration = _number(
            raw, "duration_seconds_done", 0, MAX_DURATION_SECONDS_DONE, errors, where
        )
        pain = _number(raw, "pain", PAIN_MIN, PAIN_MAX, errors, where)
        side = raw.get("side")
        if side in (None, ""):
            side = ""
        elif side not in EntrySide.values:
            errors.add(f"{where}side", f"Choose one of: {', '.join(EntrySide.values)}.")
        feedback = raw.get("feedback")
        if feedback in (None, ""):
            feedback = ""
        elif feedback not in Feedback.values:
            errors.add(f"{where}feedback", f"Choose one of: {', '.join(Feedback.values)}.")
        # Nothing is assumed done: the member says done, partial or skipped for each exercise.
        stated = raw.get("status")
        if stated not in EntryStatus.values:
            errors.add(f"{where}status", f"Choose one of: {', '.join(EntryStatus.values)}.")
        done = stated in ENTRY_DONE_STATUSES
        if "done" in raw and not isinstance(raw["done"], bool):
            errors.add(f"{where}done", "Give true or false.")
        elif "done" in raw and raw["done"] is not done:
            errors.add(f"{where}done", "Leave it out or make it agree with the status.")
        if version is None or errors:
            continue
        entries.append(
            SessionEntry(
                plan_item=version,
                exercise=version.exercise,
                status=str(stated),
                done=done,
                sets_done=sets_done,
                reps_done=reps_done,
                hold_seconds_done=hold,
                duration_seconds_done=duration,
                side=side,
                feedback=feedback,
                pain=pain,
            )
        )
    _check_status_against_entries(status, entries, errors)
    return entries


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


def _counted(
    raw: Mapping[str, Any],
    name: str,
    ceiling: int,
    prescribed: int | None,
    errors: _Errors,
    where: str,
) -> int | None:
    """Sets or reps done: a whole number from 0 to twice the prescription (and the ceiling)."""
    value = raw.get(name)
    if value is None:
        return None
    number = _whole(value)
    field = f"{where}{name}"
    if number is None:
        errors.add(field, "Give a whole number.")
    elif number < 0:
        errors.add(field, "Give a number of 0 or more.")
    elif prescribed and number > IMPLAUSIBLE_FACTOR * prescribed:
        errors.add(
            field,
            f"More than twice the {prescribed} prescribed is not plausible: check the number.",
        )
    elif number > ceiling:
        errors.add(field, f"Give a number from 0 to {ceiling}.")
    else:
        return number
    return None


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
    local_date: Any,
    status: Any,
    client_id: uuid.UUID | None = None,
    pain_before: Any = None,
    pain_after: Any = None,
    rpe: Any = None,
    notes: Any = "",
    entries: Any = None,
    now: datetime | None = None,
) -> LoggedSession:
    """Stores a session and its entries (one bulk insert), and raises the alerts it gives rise
    to. A retry with the same client_id and content returns the first session (created False);
    other content raises ClientIdReused. Bad input raises ValidationError naming every field."""
    errors = _Errors()
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
    head = _check_head(
        {
            "status": status,
            "pain_before": pain_before,
            "pain_after": pain_after,
            "rpe": rpe,
            "notes": notes,
        },
        errors,
        partial=False,
    )
    new_entries = _check_entries(member, entries, day, head.get("status"), errors)
    if errors:
        raise ValidationError(dict(errors))

    session = SessionLog(member=member, local_date=day, client_id=client_id or uuid.uuid4(), **head)
    try:
        with transaction.atomic():  # a savepoint: the loser of a race rolls back only this
            session.save(force_insert=True)
    except IntegrityError:
        existing = _first_session(member, session.client_id)
        if existing is None:
            raise
        old = _entries_of(existing)
        if not _same_session(existing, old, session, new_entries):
            raise ClientIdReused(existing) from None
        return LoggedSession(session=existing, entries=old, created=False)
    for entry in new_entries:
        entry.session = session
    SessionEntry.objects.bulk_create(new_entries)
    _raise_session_alerts(session, new_entries)
    adherence.refresh_session_day(member=member, day=day, now=now)
    return LoggedSession(session=session, entries=new_entries, created=True)


@transaction.atomic
def correct_session(
    *, session: SessionLog, changes: Mapping[str, Any], now: datetime | None = None
) -> LoggedSession:
    """The member's correction of a session on its own local date: the fields given in
    `changes` replace the stored ones; `entries`, when given, replace all the entries."""
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
    head = _check_head(changes, errors, partial=True)
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
    return LoggedSession(session=locked, entries=entries, created=False)
