"""Bulk enrolment from a CSV file (a clinic moving in): every row checked first, with a report of
row number, field and message; nothing written while any row fails unless bad rows are skipped;
idempotent (a member already enrolled, found by external id or email, is left as is); the
invitations are queued through Celery once the transaction has committed.

Used by `manage.py import_members` and the coordinator's import page.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from exercise_tracker import audit
from exercise_tracker.models import AuditAction
from exercise_tracker.queueing import publish
from members.models import (
    Condition,
    Episode,
    Language,
    Member,
    Organization,
    Precaution,
    Role,
    Therapist,
    User,
)
from members.services.accounts import clean_email, clean_phone
from members.services.enrolment import EDITABLE
from members.services.invitations import issue_member_invitation
from members.services.people import assign_care, create_person

logger = logging.getLogger(__name__)

# One column per field a member is enrolled with (the enrolment form's and API's fields).
COLUMNS = EDITABLE
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
LIST_SEPARATOR = re.compile(r"[;|]")
PROGRESS_EVERY = 25


@dataclass(frozen=True)
class Problem:
    row: int  # the line in the file (the header is line 1)
    field: str
    message: str


@dataclass
class CleanRow:
    row: int
    first_name: str
    last_name: str
    email: str
    phone: str
    date_of_birth: date | None
    conditions: list[str]
    precautions: list[str]
    timezone: str
    language: str
    therapist: Therapist | None
    external_id: str
    existing: Member | None = None


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    already_enrolled: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    created_ids: list[int] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems})

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "created": self.created,
            "already_enrolled": self.already_enrolled,
            "skipped": self.skipped,
            "bad_rows": self.bad_rows,
            "dry_run": self.dry_run,
            "written": self.written,
            "problems": [vars(p) for p in self.problems],
        }


def read_rows(text: str) -> tuple[list[dict[str, str]], list[Problem]]:
    """The rows as dicts of stripped strings, or a problem with the file itself (row 1)."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        return [], [Problem(1, "file", f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")]
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in ("first_name", "last_name") if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    problems = [Problem(1, name, "This column is missing.") for name in missing]
    problems += [Problem(1, name, f"Unknown column: use {', '.join(COLUMNS)}.") for name in unknown]
    if problems:
        return [], problems
    rows: list[dict[str, str]] = []
    for raw in reader:
        if len(rows) >= MAX_ROWS:
            return [], [Problem(1, "file", f"At most {MAX_ROWS} rows in one file.")]
        rows.append(
            {
                (key or "").strip(): (value or "").strip() if isinstance(value, str) else ""
                for key, value in raw.items()
            }
        )
    return rows, []


def _codes(raw: str, allowed: list[str], name: str, problems: list[Problem], row: int) -> list[str]:
    values = [v.strip().lower() for v in LIST_SEPARATOR.split(raw) if v.strip()]
    wrong = [v for v in values if v not in allowed]
    if wrong:
        problems.append(
            Problem(row, name, f"Unknown: {', '.join(wrong)}. Use some of: {', '.join(allowed)}.")
        )
    return list(dict.fromkeys(v for v in values if v in allowed))


def check_rows(
    rows: list[dict[str, str]], *, organization: Organization, today: date | None = None
) -> tuple[list[CleanRow], list[Problem]]:
    """Checks every row (nothing is written) and finds the members already enrolled."""
    today = today or timezone.now().date()
    therapists = {
        t.user.username: t
        for t in Therapist.objects.filter(
            user__organization=organization, user__is_active=True
        ).select_related("user")
    }
    members = list(Member.objects.filter(user__organization=organization).select_related("user"))
    by_external = {m.external_id: m for m in members if m.external_id}
    by_email = {m.user.email.lower(): m for m in members if m.user.email}
    other_emails = {
        e.lower()
        for e in User.objects.filter(organization=organization)
        .exclude(role=Role.MEMBER)
        .exclude(email="")
        .values_list("email", flat=True)
    }
    zones = zoneinfo.available_timezones()
    clean: list[CleanRow] = []
    problems: list[Problem] = []
    seen_external: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    condition_codes = [c for c in Condition.values if c != Condition.OTHER]
    for index, raw in enumerate(rows, start=2):
        found: list[Problem] = []
        first, last = raw.get("first_name", ""), raw.get("last_name", "")
        for name, value in (("first_name", first), ("last_name", last)):
            if not value:
                found.append(Problem(index, name, "Required."))
            elif len(value) > 150:
                found.append(Problem(index, name, "At most 150 characters."))
        email = phone = ""
        try:
            email = clean_email(raw.get("email", ""))
        except ValidationError:
            found.append(Problem(index, "email", "Not a valid email address."))
        try:
            phone = clean_phone(raw.get("phone", ""))
        except ValidationError:
            found.append(Problem(index, "phone", "Give the number with its country code."))
        if not raw.get("email") and not raw.get("phone"):
            found.append(Problem(index, "email", "Give an email address or a phone number."))
        born: date | None = None
        if raw.get("date_of_birth"):
            try:
                born = date.fromisoformat(raw["date_of_birth"])
            except ValueError:
                found.append(Problem(index, "date_of_birth", "Give a date as YYYY-MM-DD."))
            else:
                if not date(1900, 1, 1) <= born <= today:
                    found.append(Problem(index, "date_of_birth", "Not a possible date of birth."))
        conditions = _codes(raw.get("conditions", ""), condition_codes, "conditions", found, index)
        precautions = _codes(
            raw.get("precautions", ""), list(Precaution.values), "precautions", found, index
        )
        zone = raw.get("timezone") or organization.timezone
        if zone not in zones:
            found.append(Problem(index, "timezone", "Not an IANA time zone, e.g. Europe/Paris."))
        language = (raw.get("language") or Language.ENGLISH).lower()
        if language not in Language.values:
            found.append(Problem(index, "language", f"Use one of: {', '.join(Language.values)}."))
        therapist = None
        if raw.get("primary_therapist"):
            therapist = therapists.get(raw["primary_therapist"])
            if therapist is None:
                found.append(
                    Problem(index, "primary_therapist", "No active PT with this username here.")
                )
        external_id = raw.get("external_id", "")
        if len(external_id) > 64:
            found.append(Problem(index, "external_id", "At most 64 characters."))
        if external_id:
            if external_id in seen_external:
                found.append(
                    Problem(index, "external_id", f"Also on row {seen_external[external_id]}.")
                )
            seen_external.setdefault(external_id, index)
        if email:
            key = email.lower()
            if key in seen_email:
                found.append(Problem(index, "email", f"Also on row {seen_email[key]}."))
            seen_email.setdefault(key, index)
            if key in other_emails:
                found.append(Problem(index, "email", "A staff account here uses this address."))
        existing = by_external.get(external_id) if external_id else None
        if existing is None and email:
            existing = by_email.get(email.lower())
            if (
                existing is not None
                and external_id
                and existing.external_id not in ("", external_id)
            ):
                found.append(
                    Problem(index, "external_id", "This email belongs to a member with another id.")
                )
        if found:
            problems += found
            continue
        clean.append(
            CleanRow(
                row=index,
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                date_of_birth=born,
                conditions=conditions,
                precautions=precautions,
                timezone=zone,
                language=language,
                therapist=therapist,
                external_id=external_id,
                existing=existing,
            )
        )
    return clean, problems


def _username(row: CleanRow) -> str:
    base = slugify(row.email.split("@")[0] if row.email else f"{row.first_name}.{row.last_name}")
    base = (base or "member")[:140]
    candidate, number = base, 1
    while User.objects.filter(username=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _create_member(*, row: CleanRow, organization: Organization) -> Member:
    """One member from a checked row: account (no usable password: they set one when they
    accept their invitation), profile, first episode and primary PT. (enroll_member checks one
    person at a time as a PT or coordinator asks; an import checked every row first, and may
    run from the command line with nobody signed in.)"""
    user = create_person(
        username=_username(row),
        password=secrets.token_urlsafe(32),
        role=Role.MEMBER,
        organization=organization,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        timezone_name=row.timezone,
        condition=row.conditions[0] if row.conditions else Condition.OTHER,
        preferred_language=row.language,
    )
    user.set_unusable_password()
    user.phone = row.phone
    user.save(update_fields=["password", "phone"])
    member = user.member_profile
    member.conditions = row.conditions
    member.precautions = row.precautions
    member.date_of_birth = row.date_of_birth
    member.external_id = row.external_id
    member.save(update_fields=["conditions", "precautions", "date_of_birth", "external_id"])
    Episode.objects.create(
        member=member, started_on=timezone.localtime(timezone.now(), member.tz).date()
    )
    if row.therapist is not None:
        assign_care(member=member, therapist=row.therapist, is_primary=True)
    return member


def import_members(
    *,
    organization: Organization,
    text: str,
    by: User | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Checks every row, then (unless a row failed and bad rows are not skipped, or it is a dry
    run) enrols the new members in one transaction. Rows of members already enrolled change
    nothing, so a file can be imported again. `progress(done, total)` is told as rows are
    written."""
    report = ImportReport(dry_run=dry_run)
    rows, problems = read_rows(text)
    report.total = len(rows)
    report.problems = problems
    if problems:
        return report
    clean, problems = check_rows(rows, organization=organization)
    report.problems = problems
    report.skipped = report.bad_rows if skip_bad_rows else 0
    report.already_enrolled = sum(1 for row in clean if row.existing is not None)
    new = [row for row in clean if row.existing is None]
    if (problems and not skip_bad_rows) or dry_run:
        report.created = 0 if not dry_run else len(new)
        return report
    with transaction.atomic():
        for done, row in enumerate(new, start=1):
            member = _create_member(row=row, organization=organization)
            # The invitation (email and/or text message) is sent once the import commits.
            issue_member_invitation(by=by, member=member)
            report.created_ids.append(member.pk)
            audit.record(
                request=None,
                action=AuditAction.CREATE,
                user=by,
                member_id=member.pk,
                obj=member,
                username="import_members",
            )
            if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(new)):
                progress(done, len(new))
    report.created = len(report.created_ids)
    report.written = True
    return report


# --- the page's imports, run by Celery --------------------------------------------------------

PROGRESS_KEY = "member-import-progress:{}"


def check_only(*, organization: Organization, text: str, skip_bad_rows: bool) -> ImportReport:
    """The dry run the page shows first: every row checked, nothing written."""
    return import_members(
        organization=organization, text=text, dry_run=True, skip_bad_rows=skip_bad_rows
    )


def queue_import(
    *, organization: Organization, text: str, by: User, file_name: str, skip_bad_rows: bool
) -> Any:
    """Stores the checked file and queues its enrolment once the row is committed."""
    from members.models import MemberImport

    rows, _ = read_rows(text)
    job = MemberImport.objects.create(
        organization=organization,
        created_by=by,
        file_name=file_name[:200],
        content=text,
        skip_bad_rows=skip_bad_rows,
        total=len(rows),
    )
    from django.core.cache import cache

    cache.delete(PROGRESS_KEY.format(job.pk))  # ids come back after a rollback
    transaction.on_commit(lambda: _queue_run(job.pk))
    return job


def _queue_run(job_id: int) -> None:
    from members.tasks import run_member_import

    publish(run_member_import, job_id)


def run_import(*, job_id: int) -> str:
    """The task's work. Safe to run again (a redelivered message, a worker that died): members
    enrolled by an earlier run are found as already enrolled; a finished import does nothing."""
    from django.core.cache import cache

    from members.models import ImportStatus, MemberImport

    job = MemberImport.objects.filter(pk=job_id).select_related("organization").first()
    if job is None:
        return "gone"
    if job.status == ImportStatus.DONE:
        return "done already"
    MemberImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    key = PROGRESS_KEY.format(job.pk)

    def progress(done: int, total: int) -> None:
        cache.set(key, [done, total], 24 * 60 * 60)

    try:
        report = import_members(
            organization=job.organization,
            text=job.content,
            by=job.created_by,
            skip_bad_rows=job.skip_bad_rows,
            progress=progress,
        )
    except Exception:
        MemberImport.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, finished_at=timezone.now()
        )
        raise
    MemberImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE,
        report=report.as_dict(),
        finished_at=timezone.now(),
        content="",  # the file holds personal data: not kept once it is imported
    )
    return "done"


def import_progress(job: Any) -> tuple[int, int]:
    """(rows enrolled so far, rows to enrol) of a running import, from the cache."""
    from django.core.cache import cache

    found = cache.get(PROGRESS_KEY.format(job.pk))
    return (int(found[0]), int(found[1])) if found else (0, job.total)
