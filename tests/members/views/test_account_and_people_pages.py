"""Pages: own account, password change, forgotten password, the coordinator's people page and
the CSV import page."""

from __future__ import annotations

import re

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase

from members.models import CareAssignment, Member, MemberImport
from members.services.imports import COLUMNS
from tests import factories
from tests.conftest import World

NEW_PASSWORD = "a-much-longer-passphrase-42"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_account_page_saves_details_and_names_bad_fields(world: World) -> None:
    client = _client(world.member.user)
    page = client.get("/settings/account/")
    assert page.status_code == 200
    assert b'list="zones"' in page.content and b"<script" not in page.content
    form = {
        "first_name": "Ana",
        "last_name": "Silva",
        "email": "ana@example.org",
        "phone": "+15551234567",
        "timezone": "Pacific/Honolulu",
        "language": "es",
    }
    saved = client.post("/settings/account/", form)
    assert saved.status_code == 302
    world.member.refresh_from_db()
    assert (world.member.timezone, world.member.preferred_language) == ("Pacific/Honolulu", "es")
    bad = client.post("/settings/account/", form | {"timezone": "Nowhere/City", "phone": "12"})
    assert bad.status_code == 400
    assert b"IANA time zone" in bad.content and b"country code" in bad.content


def test_password_page_keeps_this_session_and_ends_others(world: World) -> None:
    here, elsewhere = _client(world.pt.user), _client(world.pt.user)
    response = here.post(
        "/settings/password/",
        {
            "old_password": factories.PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert here.get("/settings/account/").status_code == 200
    assert elsewhere.get("/settings/account/").status_code == 302  # signed out


def test_reset_pages_send_one_link_that_works_once(world: World) -> None:
    world.member.user.email = "member@example.org"
    world.member.user.save()
    client = Client()
    assert b"Forgotten your password?" in client.get("/login/").content
    with TestCase.captureOnCommitCallbacks(execute=True):
        known = client.post("/password/reset/", {"email": "member@example.org"})
        unknown = client.post("/password/reset/", {"email": "ghost@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert b"reset-sent" in known.content and b"reset-sent" in unknown.content
    assert len(mail.outbox) == 1
    found = re.search(r"https?://[^/]+(/password/reset/[^\s]+/)", str(mail.outbox[0].body))
    assert found is not None
    path = found.group(1)
    assert client.get(path).status_code == 200
    done = client.post(path, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert done.status_code == 302
    used = client.get(path)
    assert used.status_code == 400
    assert b"reset-invalid" in used.content


def test_people_page_is_the_coordinators(world: World) -> None:
    for someone in (world.pt.user, world.member.user):
        assert _client(someone).get("/people/").status_code == 404
    page = _client(world.coordinator).get("/people/")
    assert page.status_code == 200
    assert page.content.count(b'data-testid="staff-row"') == 3
    assert page.content.count(b'data-testid="team-row"') == 2
    assert b"f_member" not in page.content


def test_people_page_transfers_and_deactivates(world: World) -> None:
    client = _client(world.coordinator)
    assignment = CareAssignment.objects.get(member=world.member, therapist=world.pt)
    moved = client.post(
        f"/people/assignments/{assignment.pk}/transfer/", {"therapist": world.pt_other.pk}
    )
    assert moved.status_code == 302
    assert CareAssignment.objects.get(member=world.member, end_date__isnull=True).therapist == (
        world.pt_other
    )
    # Another organization's assignment does not exist here.
    foreign = CareAssignment.objects.get(member=world.foreign_member)
    assert client.post(f"/people/assignments/{foreign.pk}/end/").status_code == 404
    off = client.post(f"/people/staff/{world.pt_other.user.pk}/active/", {"is_active": "false"})
    assert off.status_code == 302
    world.pt_other.user.refresh_from_db()
    assert world.pt_other.user.is_active is False
    page = client.get("/people/")
    assert page.content.count(b'data-testid="unassigned"') == 2  # both members: no active PT


def test_import_page_reports_then_imports_with_progress(world: World) -> None:
    client = _client(world.coordinator)
    header = ",".join(COLUMNS)
    bad = f"{header}\nAna,,ana@example.org,,,,,,,,\n".encode()
    report = client.post("/people/import/", {"file": SimpleUploadedFile("m.csv", bad, "text/csv")})
    assert report.status_code == 400
    assert b"last_name" in report.content and b"Nobody was enrolled" in report.content
    good = f"{header}\nAna,Silva,ana@example.org,,,hip,,,,pt,MRN-9\n".encode()
    dry = client.post(
        "/people/import/",
        {"file": SimpleUploadedFile("m.csv", good, "text/csv"), "dry_run": "on"},
    )
    assert dry.status_code == 200 and b"dry run" in dry.content
    assert not Member.objects.filter(external_id="MRN-9").exists()
    with TestCase.captureOnCommitCallbacks(execute=True):
        queued = client.post(
            "/people/import/", {"file": SimpleUploadedFile("m.csv", good, "text/csv")}
        )
    assert queued.status_code == 302
    job = MemberImport.objects.get()
    assert queued["Location"] == f"/people/import/{job.pk}/"
    page = client.get(queued["Location"])
    assert b'data-status="done"' in page.content
    assert b'http-equiv="refresh"' not in page.content
    assert Member.objects.filter(external_id="MRN-9", user__organization=world.org).exists()
    job.refresh_from_db()
    assert (job.report["created"], job.content) == (1, "")
    # Another organization's coordinator does not see it; a PT has no import page.
    assert _client(world.foreign_coordinator).get(queued["Location"]).status_code == 404
    assert _client(world.pt.user).get("/people/import/").status_code == 404


def test_a_queued_import_page_refreshes_itself(world: World) -> None:
    from members.services.imports import queue_import

    job = queue_import(
        organization=world.org,
        text=",".join(COLUMNS) + "\nAna,Silva,ana@example.org,,,,,,,,\n",
        by=world.coordinator,
        file_name="m.csv",
        skip_bad_rows=False,
    )
    page = _client(world.coordinator).get(f"/people/import/{job.pk}/")
    assert b'http-equiv="refresh"' in page.content
    assert b"0 of 1 so far" in page.content


def test_discharge_page_for_the_members_pt_then_enrol_again(world: World) -> None:
    path = f"/members/{world.member.pk}/discharge/"
    for someone in (world.pt_other.user, world.coordinator, world.member.user):
        assert _client(someone).get(path).status_code == 404
    client = _client(world.pt.user)
    assert b"discharge-link" in client.get(f"/members/{world.member.pk}/adherence/").content
    assert client.post(path, {"reason": "bored"}).status_code == 400
    done = client.post(path, {"reason": "goals_met"}, follow=True)
    assert b'data-testid="discharged"' in done.content
    world.member.refresh_from_db()
    assert world.member.discharged_on is not None
    again = client.post(f"/members/{world.member.pk}/enrol-again/", follow=True)
    assert again.status_code == 200
    world.member.refresh_from_db()
    assert world.member.discharged_on is None
