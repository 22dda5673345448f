"""Care team: assign, transfer (history kept, the new PT sees the member and alerts), a second
PT, end; staff deactivation (sessions end, members show as without a PT)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from exercise_tracker import access
from exercise_tracker.models import AuditEvent
from members.models import Alert, AlertKind, CareAssignment
from members.selectors.adherence import Filters, filtered_members
from members.services import care_team
from tests import factories
from tests.conftest import World, bearer_client


def _open(member) -> list[tuple[str, bool]]:
    return sorted(
        (a.therapist.user.username, a.is_primary)
        for a in CareAssignment.objects.filter(access.open_assignments(), member=member)
    )


def _therapists(world: World) -> dict[int, int | None]:
    """The dashboard's PT per member (None: shown as without a PT)."""
    members = filtered_members(world.coordinator, Filters())
    return {m.pk: getattr(m, "therapist_id") for m in members}  # noqa: B009 - an annotation


def test_transfer_ends_the_old_assignment_and_keeps_it(world: World) -> None:
    old = CareAssignment.objects.get(member=world.member, therapist=world.pt)
    alert = Alert.objects.create(member=world.member, therapist=world.pt, kind=AlertKind.INACTIVE)
    new = care_team.transfer(by=world.coordinator, assignment=old, therapist=world.pt_other)

    old.refresh_from_db()
    assert old.end_date == timezone.now().date()  # kept, with its dates
    assert (new.therapist, new.is_primary, new.end_date) == (world.pt_other, True, None)
    assert _open(world.member) == [("pt_other", True)]
    # The new PT sees the member and their alert from now; the old PT no longer does.
    assert world.member in access.visible_members(world.pt_other.user)
    assert world.member not in access.visible_members(world.pt.user)
    assert alert in access.visible_alerts(world.pt_other.user)
    assert alert not in access.visible_alerts(world.pt.user)
    alert.refresh_from_db()
    assert alert.therapist == world.pt_other
    assert AuditEvent.objects.filter(member_id=world.member.pk, action="update").count() == 1


def test_assigning_a_new_primary_pt_is_a_transfer(world: World) -> None:
    care_team.assign(by=world.coordinator, member=world.member, therapist=world.pt_other)
    assert _open(world.member) == [("pt_other", True)]
    assert CareAssignment.objects.filter(member=world.member).count() == 2


def test_a_second_pt_sees_the_member_beside_the_primary(world: World) -> None:
    care_team.assign(
        by=world.coordinator, member=world.member, therapist=world.pt_other, is_primary=False
    )
    assert _open(world.member) == [("pt", True), ("pt_other", False)]
    assert world.member in access.visible_members(world.pt_other.user)
    assert world.member in access.visible_members(world.pt.user)
    with pytest.raises(care_team.CareTeamConflict):
        care_team.assign(
            by=world.coordinator, member=world.member, therapist=world.pt_other, is_primary=False
        )


def test_ending_an_assignment_takes_the_member_off_the_caseload(world: World) -> None:
    assignment = CareAssignment.objects.get(member=world.member, therapist=world.pt)
    care_team.end_assignment(by=world.coordinator, assignment=assignment)
    assert world.member not in access.visible_members(world.pt.user)
    assert CareAssignment.objects.filter(pk=assignment.pk, end_date__isnull=False).exists()
    with pytest.raises(care_team.CareTeamConflict):
        care_team.end_assignment(by=world.coordinator, assignment=assignment)


def test_pts_of_another_organization_or_deactivated_cannot_be_assigned(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        care_team.assign(by=world.coordinator, member=world.member, therapist=world.foreign_pt)
    assert "therapist" in caught.value.message_dict
    world.pt_other.user.is_active = False
    world.pt_other.user.save()
    with pytest.raises(ValidationError):
        care_team.assign(by=world.coordinator, member=world.member, therapist=world.pt_other)


def test_only_the_organizations_coordinator_manages_the_team(world: World) -> None:
    for someone in (world.pt.user, world.foreign_coordinator, world.member.user):
        with pytest.raises(PermissionError):
            care_team.assign(by=someone, member=world.member, therapist=world.pt_other)


def test_a_deactivated_pt_signs_in_nowhere_and_their_members_show_unassigned(
    world: World,
) -> None:
    client = bearer_client(world.pt.user)
    assert client.get("/api/v1/me/").status_code == 200
    care_team.set_staff_active(by=world.coordinator, account=world.pt.user, is_active=False)
    assert client.get("/api/v1/me/").status_code == 401
    rows = _therapists(world)
    assert rows[world.member.pk] is None  # "No PT" on the dashboard
    assert rows[world.other_member.pk] == world.pt_other.pk
    # Transferred, the member has a PT again.
    assignment = CareAssignment.objects.get(member=world.member, therapist=world.pt)
    care_team.transfer(by=world.coordinator, assignment=assignment, therapist=world.pt_other)
    rows = _therapists(world)
    assert rows[world.member.pk] == world.pt_other.pk


def test_a_coordinator_cannot_deactivate_themselves_or_members(world: World) -> None:
    with pytest.raises(care_team.CareTeamConflict):
        care_team.set_staff_active(by=world.coordinator, account=world.coordinator, is_active=False)
    with pytest.raises(ValidationError):
        care_team.set_staff_active(by=world.coordinator, account=world.member.user, is_active=False)


def test_an_assignment_made_and_ended_the_same_day_leaves_an_audit_row(world: World) -> None:
    member = factories.MemberFactory.create(user__organization=world.org)
    assignment = care_team.assign(by=world.coordinator, member=member, therapist=world.pt)
    care_team.end_assignment(by=world.coordinator, assignment=assignment)
    assert not CareAssignment.objects.filter(member=member).exists()
    assert AuditEvent.objects.filter(member_id=member.pk).count() == 2


# --- the API ------------------------------------------------------------------------------------


def test_api_transfer_then_the_new_pt_lists_the_member(world: World) -> None:
    client = bearer_client(world.coordinator)
    listed = client.get(f"/api/v1/care-assignments/?member={world.member.pk}&active=true").json()
    assert [row["therapist"]["id"] for row in listed["results"]] == [world.pt.pk]
    pk = listed["results"][0]["id"]
    moved = client.patch(
        f"/api/v1/care-assignments/{pk}/", {"therapist": world.pt_other.pk}, format="json"
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["therapist"]["id"] == world.pt_other.pk
    history = client.get(f"/api/v1/care-assignments/?member={world.member.pk}").json()
    assert history["count"] == 2
    members = bearer_client(world.pt_other.user).get("/api/v1/members/").json()
    assert world.member.pk in {row["id"] for row in members["results"]}
    again = client.patch(
        f"/api/v1/care-assignments/{pk}/", {"therapist": world.pt.pk}, format="json"
    )
    assert again.status_code == 409
    assert set(again.json()) == {"detail", "errors"}


def test_api_refuses_ids_out_of_scope_and_owner_fields(world: World) -> None:
    client = bearer_client(world.coordinator)
    foreign = client.post(
        "/api/v1/care-assignments/",
        {"member": world.foreign_member.pk, "therapist": world.pt.pk},
        format="json",
    )
    assert foreign.status_code == 400
    assert set(foreign.json()["errors"]) == {"member"}
    staff = client.get("/api/v1/staff/").json()
    usernames = {row["username"] for row in staff["results"]}
    assert usernames == {"pt", "pt_other", "coordinator"}
    changed = client.patch(
        f"/api/v1/staff/{world.pt.user.pk}/",
        {"is_active": False, "role": "staff", "is_staff": True},
        format="json",
    )
    assert changed.status_code == 200
    world.pt.user.refresh_from_db()
    assert (world.pt.user.is_active, world.pt.user.role, world.pt.user.is_staff) == (
        False,
        "therapist",
        False,
    )
    assert client.get(f"/api/v1/staff/{world.foreign_pt.user.pk}/").status_code == 404


def test_caseload_count_in_the_staff_list(world: World) -> None:
    factories.CareAssignmentFactory.create(
        member=factories.MemberFactory.create(user__organization=world.org),
        therapist=world.pt,
        start_date=timezone.now().date() - timedelta(days=3),
    )
    rows = bearer_client(world.coordinator).get("/api/v1/staff/?role=therapist").json()["results"]
    assert {row["username"]: row["caseload"] for row in rows} == {"pt": 2, "pt_other": 1}
