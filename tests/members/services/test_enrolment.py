"""Enrolling members and changing their details: who may, what is checked, what is written."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from exercise_tracker.models import AuditAction, AuditEvent
from members.models import CareAssignment, Invitation, InvitationStatus, Member, Role
from members.services.channels import LocmemSMSBackend
from members.services.enrolment import enroll_member, update_member
from members.services.invitations import DuplicatePerson

from ...conftest import World

SMS = "members.services.channels.LocmemSMSBackend"


def _enroll(by: Any, **overrides: Any) -> Any:
    data: dict[str, Any] = {
        "first_name": "Rosa",
        "last_name": "Diaz",
        "email": "rosa@example.org",
        "conditions": ["lumbar_spinal_stenosis", "hip"],
        "precautions": ["osteoporosis"],
        "timezone_name": "America/Chicago",
        "language": "es",
        "date_of_birth": date(1951, 4, 2),
        "external_id": "MRN-100",
    }
    data.update(overrides)
    return enroll_member(by=by, **data)


@pytest.mark.django_db(transaction=True)
def test_a_pt_enrolls_a_member_into_their_caseload_and_the_invitation_goes_out(
    world: World, settings
) -> None:
    settings.REMINDER_SMS_BACKEND = SMS
    LocmemSMSBackend.outbox.clear()
    result = _enroll(world.pt.user, phone="+1 (555) 123-4567")
    member = Member.objects.select_related("user").get(pk=result.member.pk)
    assert member.user.role == Role.MEMBER
    assert member.user.organization_id == world.org.pk == member.organization_id
    assert not member.user.has_usable_password()
    assert member.user.phone == "+15551234567"
    assert member.conditions == ["lumbar_spinal_stenosis", "hip"]
    assert member.condition == "lumbar_spinal_stenosis"
    assert member.precautions == ["osteoporosis"]
    assert member.timezone == "America/Chicago"
    assert member.preferred_language == "es"
    assert member.external_id == "MRN-100"
    assignment = CareAssignment.objects.get(member=member)
    assert assignment.therapist == world.pt and assignment.is_primary
    invitation = Invitation.objects.get(member=member)
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.created_by == world.pt.user
    # The token is not stored, only its hash; the link was sent once committed.
    assert result.issued.token not in invitation.token_hash
    assert len(mail.outbox) == 1
    assert result.issued.accept_url in mail.outbox[0].body
    assert mail.outbox[0].alternatives  # type: ignore[attr-defined]  # an HTML part too
    assert LocmemSMSBackend.outbox[-1][0] == "+15551234567"
    assert result.issued.accept_url in LocmemSMSBackend.outbox[-1][1]
    assert len(LocmemSMSBackend.outbox[-1][1]) <= 160
    rows = AuditEvent.objects.filter(action=AuditAction.CREATE, member_id=member.pk)
    assert rows.count() == 1 and rows.get().user_id == world.pt.user.pk


@pytest.mark.django_db
def test_nothing_is_sent_before_the_enrolment_commits(world: World) -> None:
    _enroll(world.pt.user)
    # Inside the test's transaction on_commit has not run: no email yet.
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_coordinator_enrolls_with_a_named_pt_or_none(world: World) -> None:
    named = _enroll(world.coordinator, primary_therapist=world.pt_other.pk).member
    assert CareAssignment.objects.get(member=named).therapist == world.pt_other
    unassigned = _enroll(
        world.coordinator, email="other@example.org", external_id="", primary_therapist=None
    ).member
    assert not CareAssignment.objects.filter(member=unassigned).exists()
    # The organization's zone is the default.
    plain = enroll_member(by=world.coordinator, first_name="A", last_name="B", phone="+15550001111")
    assert plain.member.timezone == world.org.timezone


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["member", "staff"])
def test_members_and_staff_cannot_enroll(world: World, role: str) -> None:
    by = world.member.user if role == "member" else world.staff
    with pytest.raises(PermissionDenied):
        _enroll(by)
    assert not Member.objects.filter(user__email="rosa@example.org").exists()


@pytest.mark.django_db
def test_a_pt_of_another_organization_is_refused_as_primary(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        _enroll(world.pt.user, primary_therapist=world.foreign_pt.pk)
    assert "primary_therapist" in caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "", "phone": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "5551234"}, "phone"),
        ({"first_name": "  "}, "first_name"),
        ({"conditions": ["knee"]}, "conditions"),
        ({"precautions": ["free text is not a code"]}, "precautions"),
        ({"timezone_name": "Mars/Olympus"}, "timezone"),
        ({"language": "xx"}, "language"),
        ({"date_of_birth": date.today() + timedelta(days=30)}, "date_of_birth"),
        ({"external_id": "x" * 65}, "external_id"),
    ],
)
def test_each_rule_names_its_field(world: World, overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _enroll(world.pt.user, **overrides)
    assert field in caught.value.message_dict
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_a_phone_alone_is_enough(world: World) -> None:
    result = _enroll(world.pt.user, email="", phone="+447700900123")
    assert result.issued.invitation.phone == "+447700900123"
    assert result.issued.invitation.email == ""


@pytest.mark.django_db
def test_duplicate_email_or_external_id_in_the_organization_is_a_conflict(world: World) -> None:
    _enroll(world.pt.user)
    with pytest.raises(DuplicatePerson) as caught:
        _enroll(world.coordinator, email="ROSA@example.org", external_id="MRN-200")
    assert caught.value.field == "email"
    with pytest.raises(DuplicatePerson) as caught:
        _enroll(world.coordinator, email="another@example.org")
    assert caught.value.field == "external_id"
    # Another organization has its own addresses and record numbers.
    _enroll(world.foreign_pt.user)


@pytest.mark.django_db
def test_update_changes_details_and_hands_the_member_to_another_pt(world: World) -> None:
    member = _enroll(world.pt.user).member
    update_member(
        by=world.pt.user,
        member=member,
        changes={
            "first_name": "Rosalind",
            "precautions": ["pregnancy", "osteoporosis"],
            "conditions": ["shoulder"],
            "timezone": "Europe/Paris",
            "primary_therapist": world.pt_other.pk,
            "phone": "+15557654321",
        },
    )
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert member.user.first_name == "Rosalind"
    assert member.precautions == ["pregnancy", "osteoporosis"]
    assert member.condition == "shoulder"
    assert member.timezone == "Europe/Paris"
    assert member.user.phone == "+15557654321"
    open_primary = CareAssignment.objects.get(member=member, end_date__isnull=True)
    assert open_primary.therapist == world.pt_other
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, member_id=member.pk).count() == 1


@pytest.mark.django_db
def test_update_refuses_duplicates_and_removing_both_addresses(world: World) -> None:
    first = _enroll(world.pt.user).member
    second = _enroll(world.pt.user, email="b@example.org", external_id="MRN-2").member
    with pytest.raises(DuplicatePerson) as caught:
        update_member(by=world.pt.user, member=second, changes={"email": "rosa@example.org"})
    assert caught.value.field == "email"
    with pytest.raises(DuplicatePerson) as caught:
        update_member(by=world.pt.user, member=second, changes={"external_id": "MRN-100"})
    assert caught.value.field == "external_id"
    with pytest.raises(ValidationError) as v:
        update_member(by=world.pt.user, member=first, changes={"email": ""})
    assert "email" in v.value.message_dict
    # Its own values again are no conflict.
    update_member(
        by=world.pt.user,
        member=first,
        changes={"email": "rosa@example.org", "external_id": "MRN-100"},
    )


@pytest.mark.django_db
def test_owner_fields_are_not_editable(world: World) -> None:
    member = _enroll(world.pt.user).member
    with pytest.raises(ValidationError):
        update_member(by=world.pt.user, member=member, changes={"organization": world.other_org.pk})
    with pytest.raises(PermissionDenied):
        update_member(by=world.foreign_coordinator, member=member, changes={"first_name": "X"})


@pytest.mark.django_db
def test_usernames_come_from_the_name_and_stay_unique(world: World) -> None:
    member = _enroll(world.pt.user).member
    assert member.user.username == "rosa.diaz"
    again = _enroll(world.pt.user, email="r2@example.org", external_id="").member
    assert again.user.username == "rosa.diaz2"
    assert timezone.now() < Invitation.objects.get(member=again).expires_at
