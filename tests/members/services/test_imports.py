"""Bulk enrolment: every row checked first, nothing written on a bad row unless skipped,
idempotent by external id or email, invitations queued after commit; the command."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from members.models import CareAssignment, Episode, Invitation, Member
from members.services.imports import COLUMNS, import_members
from tests.conftest import World

HEADER = ",".join(COLUMNS)
GOOD = [
    "Ana,Silva,ana@example.org,+15551230001,1956-04-02,lumbar_spinal_stenosis,osteoporosis,"
    "America/Chicago,es,pt,MRN-1",
    "Ben,Okafor,,+15551230002,,hip;low_back_pain,,,en,,MRN-2",
]
BAD = "Cy,,not-an-email,,1850-01-01,knee,,Mars/Base,xx,nobody,MRN-3"


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def test_good_rows_are_enrolled_with_their_pt_and_invitations_queued(
    world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as sends:
        report = import_members(organization=world.org, text=_csv(*GOOD))
    assert (report.created, report.written, report.problems) == (2, True, [])
    ana = Member.objects.get(external_id="MRN-1")
    assert (ana.user.email, ana.user.phone, ana.timezone, ana.preferred_language) == (
        "ana@example.org",
        "+15551230001",
        "America/Chicago",
        "es",
    )
    assert ana.conditions == ["lumbar_spinal_stenosis"]
    assert ana.precautions == ["osteoporosis"]
    assert not ana.user.has_usable_password()
    assert CareAssignment.objects.get(member=ana).therapist == world.pt
    ben = Member.objects.get(external_id="MRN-2")
    assert ben.timezone == world.org.timezone  # the organization's when left empty
    assert ben.conditions == ["hip", "low_back_pain"]
    assert Episode.objects.filter(member__in=[ana, ben], ended_on__isnull=True).count() == 2
    # One invitation each, sent after the commit: Ana by email and text, Ben by text.
    invited = Invitation.objects.filter(member__in=[ana, ben])
    assert sorted(invited.values_list("member_id", flat=True)) == sorted(report.created_ids)
    assert {invitation.status for invitation in invited} == {"pending"}
    assert all(invitation.sent_at is not None for invitation in invited)
    queued = [send for send in sends if "invitation" in repr(send)]  # not the read cache's
    assert len(queued) == 2
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]


def test_a_bad_row_is_reported_by_row_and_field_and_nothing_is_written(world: World) -> None:
    before = Member.objects.count()
    report = import_members(organization=world.org, text=_csv(*GOOD, BAD))
    assert not report.written
    assert Member.objects.count() == before
    fields = {(p.row, p.field) for p in report.problems}
    assert fields == {
        (4, "last_name"),
        (4, "email"),
        (4, "date_of_birth"),
        (4, "conditions"),
        (4, "timezone"),
        (4, "language"),
        (4, "primary_therapist"),
    }


def test_bad_rows_may_be_skipped(world: World) -> None:
    report = import_members(organization=world.org, text=_csv(*GOOD, BAD), skip_bad_rows=True)
    assert (report.created, report.skipped, report.written) == (2, 1, True)


def test_a_dry_run_writes_nothing(world: World) -> None:
    report = import_members(organization=world.org, text=_csv(*GOOD), dry_run=True)
    assert (report.created, report.written) == (2, False)
    assert not Member.objects.filter(external_id__startswith="MRN").exists()


def test_importing_twice_enrols_once(world: World) -> None:
    import_members(organization=world.org, text=_csv(*GOOD))
    again = import_members(organization=world.org, text=_csv(*GOOD))
    assert (again.created, again.already_enrolled) == (0, 2)
    assert Member.objects.filter(external_id__startswith="MRN").count() == 2
    # Found by email too, when the file has no external id.
    by_email = _csv("Ana,Silva,ANA@example.org,,,,,,,,")
    assert import_members(organization=world.org, text=by_email).already_enrolled == 1


def test_duplicates_in_the_file_and_bad_headers(world: World) -> None:
    twice = import_members(organization=world.org, text=_csv(GOOD[0], GOOD[0]))
    assert {(p.row, p.field) for p in twice.problems} == {(3, "external_id"), (3, "email")}
    header = import_members(organization=world.org, text="first_name,surname\nA,B\n")
    assert {(p.row, p.field) for p in header.problems} == {(1, "last_name"), (1, "surname")}


def test_another_organizations_pt_is_not_found(world: World) -> None:
    row = GOOD[0].replace(",pt,", ",f_pt,")
    report = import_members(organization=world.org, text=_csv(row))
    assert [(p.field) for p in report.problems] == ["primary_therapist"]


def test_the_command_reports_and_fails_without_writing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(_csv(*GOOD, BAD), encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_members", str(path), organization=world.org.slug, stdout=out)
    assert "row 4, last_name: Required." in out.getvalue()
    assert "nothing was written" in out.getvalue()
    out = io.StringIO()
    call_command(
        "import_members", str(path), organization=world.org.slug, skip_bad_rows=True, stdout=out
    )
    assert "2/2 members enrolled" in out.getvalue()
    assert "2 enrolled" in out.getvalue()


def test_the_queued_import_runs_once_in_effect(world: World) -> None:
    from members.models import ImportStatus, MemberImport
    from members.services.imports import import_progress, queue_import, run_import

    job = queue_import(
        organization=world.org, text=_csv(*GOOD), by=world.coordinator, file_name="m.csv",
        skip_bad_rows=False,
    )  # fmt: skip
    assert run_import(job_id=job.pk) == "done"
    assert import_progress(job) == (2, 2)
    assert run_import(job_id=job.pk) == "done already"
    # A redelivered message after a worker died mid-way: the rows enrolled are found again.
    MemberImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, content=_csv(*GOOD))
    assert run_import(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.report["created"], job.report["already_enrolled"]) == (0, 2)
    assert Member.objects.filter(external_id__startswith="MRN").count() == 2
    assert run_import(job_id=10**9) == "gone"
