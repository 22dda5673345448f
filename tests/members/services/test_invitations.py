"""Invitations: staff invitations, hashed single-use tokens, expiry, resend and revoke, sending
once, accepting with a password and consents, and signing in with an email address."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone

from exercise_tracker.models import AuditAction, AuditEvent
from members.models import (
    Consent,
    ConsentKind,
    Invitation,
    InvitationStatus,
    Role,
    Therapist,
    User,
)
from members.rules.consents import MONITORING, TERMS
from members.services import invitations as services
from members.services.enrolment import enroll_member

from ...conftest import World

PASSWORD = "a long walk by the river"


def _enrolled(world: World, **kw: Any):
    data: dict[str, Any] = {"first_name": "Rosa", "last_name": "Diaz", "email": "rosa@example.org"}
    data.update(kw)
    return enroll_member(by=world.pt.user, **data)


def _staff(world: World, **kw: Any):
    data: dict[str, Any] = {
        "role": Role.THERAPIST,
        "email": "new.pt@example.org",
        "first_name": "Noor",
        "last_name": "Haddad",
    }
    data.update(kw)
    return services.invite_staff(by=world.coordinator, **data)


CONSENTS = {"terms": True, "monitoring": True}


# --- tokens --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_token_is_stored_as_its_sha256_only(world: World) -> None:
    issued = _enrolled(world).issued
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    assert invitation.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert len(issued.token) >= 40
    assert issued.accept_url.endswith(f"/invite/{issued.token}/")
    stored = [str(v) for v in Invitation.objects.values_list().get(pk=invitation.pk)]
    assert issued.token not in stored


@pytest.mark.django_db
def test_an_invitation_expires_after_the_configured_days(world: World, settings) -> None:
    settings.INVITATION_DAYS = 3
    now = timezone.now()
    issued = services.invite_staff(
        by=world.coordinator,
        role="coordinator",
        email="c2@example.org",
        first_name="C",
        last_name="D",
        now=now,
    )
    assert issued.invitation.expires_at == now + timedelta(days=3)
    later = now + timedelta(days=3, seconds=1)
    with pytest.raises(services.InvitationUnusable) as caught:
        services.accept_invitation(
            token=issued.token, password=PASSWORD, consents={"terms": True}, now=later
        )
    assert caught.value.reason == InvitationStatus.EXPIRED
    assert Invitation.objects.get(pk=issued.invitation.pk).status_at(later) == "expired"


@pytest.mark.django_db
def test_unknown_and_malformed_tokens_open_nothing(world: World) -> None:
    _enrolled(world)
    for token in ("", "x", "a" * 500, "not-a-token-but-long-enough-to-look-like-one-1234"):
        with pytest.raises(services.InvitationUnusable) as caught:
            services.accept_invitation(token=token, password=PASSWORD, consents=CONSENTS)
        assert caught.value.reason == services.UNKNOWN


# --- accepting -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_accepts_sets_a_password_and_consents(world: World) -> None:
    issued = _enrolled(world).issued
    now = timezone.now()
    request = RequestFactory().post("/api/v1/invitations/accept/", REMOTE_ADDR="10.1.2.3")
    user = services.accept_invitation(
        token=issued.token,
        password=PASSWORD,
        consents={"terms": True, "monitoring": False},
        request=request,
        now=now,
    )
    assert user.check_password(PASSWORD)
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_at == now and invitation.user == user
    consents = {c.kind: c for c in Consent.objects.filter(user=user)}
    assert consents[ConsentKind.TERMS].granted is True
    assert consents[ConsentKind.TERMS].version == TERMS.version
    assert consents[ConsentKind.MONITORING].granted is False
    assert consents[ConsentKind.MONITORING].version == MONITORING.version
    assert consents[ConsentKind.MONITORING].at == now
    row = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(invitation.pk))
    assert row.user_id == user.pk and row.ip_address == "10.1.2.3"


@pytest.mark.django_db
def test_a_token_works_once(world: World) -> None:
    issued = _enrolled(world).issued
    services.accept_invitation(token=issued.token, password=PASSWORD, consents=CONSENTS)
    with pytest.raises(services.InvitationUnusable) as caught:
        services.accept_invitation(
            token=issued.token, password="another password 1", consents=CONSENTS
        )
    assert caught.value.reason == InvitationStatus.ACCEPTED
    user = User.objects.get(email="rosa@example.org")
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("consents", "field"),
    [
        ({"terms": False, "monitoring": True}, "consents"),
        ({"monitoring": True}, "consents"),
        ({"terms": True}, "consents"),  # members answer monitoring, yes or no
        ("yes", "consents"),
    ],
)
def test_terms_must_be_accepted_and_monitoring_answered(
    world: World, consents: object, field: str
) -> None:
    issued = _enrolled(world).issued
    with pytest.raises(ValidationError) as caught:
        services.accept_invitation(token=issued.token, password=PASSWORD, consents=consents)
    assert field in caught.value.message_dict
    assert Invitation.objects.get(pk=issued.invitation.pk).status == InvitationStatus.PENDING
    assert not Consent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "password", ["short pass", "123456789012345", "password1234", "rosadiaz1234"]
)
def test_django_password_validators_apply_with_twelve_characters(
    world: World, password: str
) -> None:
    issued = _enrolled(world).issued
    with pytest.raises(ValidationError) as caught:
        services.accept_invitation(token=issued.token, password=password, consents=CONSENTS)
    assert "password" in caught.value.message_dict
    assert not User.objects.get(email="rosa@example.org").has_usable_password()


@pytest.mark.django_db
def test_staff_accept_creates_their_account_with_terms_only(world: World) -> None:
    issued = _staff(world)
    assert not User.objects.filter(email="new.pt@example.org").exists()
    user = services.accept_invitation(
        token=issued.token, password=PASSWORD, consents={"terms": True, "monitoring": True}
    )
    assert user.role == Role.THERAPIST
    assert user.organization_id == world.org.pk
    assert user.username == "noor.haddad"
    assert Therapist.objects.filter(user=user).exists()
    assert list(Consent.objects.filter(user=user).values_list("kind", flat=True)) == ["terms"]


@pytest.mark.django_db
def test_only_coordinators_invite_staff_and_only_as_pt_or_coordinator(world: World) -> None:
    for by in (world.pt.user, world.member.user, world.staff):
        with pytest.raises(PermissionDenied):
            services.invite_staff(
                by=by, role="therapist", email="x@example.org", first_name="X", last_name="Y"
            )
    for role in ("member", "staff"):
        with pytest.raises(ValidationError) as caught:
            _staff(world, role=role)
        assert "role" in caught.value.message_dict


@pytest.mark.django_db
def test_a_staff_address_already_used_or_invited_is_a_conflict(world: World) -> None:
    world.pt.user.email = "pt@example.org"
    world.pt.user.save()
    with pytest.raises(services.DuplicatePerson) as caught:
        _staff(world, email="PT@example.org")
    assert caught.value.field == "email"
    _staff(world)
    with pytest.raises(services.DuplicatePerson):
        _staff(world)


# --- resend and revoke ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_resend_makes_a_new_token_and_the_old_one_dies(world: World) -> None:
    old = _enrolled(world).issued
    later = timezone.now() + timedelta(days=2)
    new = services.resend_invitation(by=world.pt.user, invitation=old.invitation, now=later)
    assert new.token != old.token
    assert new.invitation.pk == old.invitation.pk
    assert new.invitation.expires_at > old.invitation.expires_at
    with pytest.raises(services.InvitationUnusable) as caught:
        services.accept_invitation(token=old.token, password=PASSWORD, consents=CONSENTS)
    assert caught.value.reason == services.UNKNOWN
    services.accept_invitation(token=new.token, password=PASSWORD, consents=CONSENTS)


@pytest.mark.django_db
def test_an_expired_invitation_can_be_resent(world: World) -> None:
    old = _enrolled(world).issued
    Invitation.objects.filter(pk=old.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    new = services.resend_invitation(by=world.pt.user, invitation=old.invitation)
    assert Invitation.objects.get(pk=new.invitation.pk).status == InvitationStatus.PENDING


@pytest.mark.django_db
def test_resend_goes_to_the_members_current_address(world: World) -> None:
    from members.services.enrolment import update_member

    enrolment = _enrolled(world)
    update_member(by=world.pt.user, member=enrolment.member, changes={"email": "new@example.org"})
    resent = services.resend_invitation(by=world.pt.user, invitation=enrolment.issued.invitation)
    assert resent.invitation.email == "new@example.org"


@pytest.mark.django_db
def test_revoke_kills_the_link_and_closed_invitations_are_not_resent(world: World) -> None:
    issued = _enrolled(world).issued
    services.revoke_invitation(by=world.pt.user, invitation=issued.invitation)
    services.revoke_invitation(by=world.pt.user, invitation=issued.invitation)  # idempotent
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.UPDATE, object_id=str(issued.invitation.pk)
        ).count()
        == 1
    )
    with pytest.raises(services.InvitationUnusable) as caught:
        services.accept_invitation(token=issued.token, password=PASSWORD, consents=CONSENTS)
    assert caught.value.reason == InvitationStatus.REVOKED
    with pytest.raises(services.InvitationConflict):
        services.resend_invitation(by=world.pt.user, invitation=issued.invitation)

    accepted = _enrolled(world, email="b@example.org").issued
    services.accept_invitation(token=accepted.token, password=PASSWORD, consents=CONSENTS)
    with pytest.raises(services.InvitationConflict):
        services.revoke_invitation(by=world.pt.user, invitation=accepted.invitation)
    with pytest.raises(services.InvitationConflict):
        services.resend_invitation(by=world.pt.user, invitation=accepted.invitation)


# --- sending -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_send_runs_once_per_token_and_not_for_a_replaced_one(world: World) -> None:
    issued = _enrolled(world).issued
    pk = issued.invitation.pk
    assert services.send_invitation(invitation_id=pk, token=issued.token) == "sent"
    assert services.send_invitation(invitation_id=pk, token=issued.token) == "skipped"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rosa@example.org"]
    html = str(mail.outbox[0].alternatives[0][0])  # type: ignore[union-attr]
    assert issued.accept_url in html and "North Clinic" in html
    resent = services.resend_invitation(by=world.pt.user, invitation=issued.invitation)
    assert services.send_invitation(invitation_id=pk, token=issued.token) == "skipped"
    assert services.send_invitation(invitation_id=pk, token=resent.token) == "sent"
    assert services.send_invitation(invitation_id=999_999, token=resent.token) == "gone"
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_revoked_invitation_is_not_sent(world: World) -> None:
    issued = _enrolled(world).issued
    services.revoke_invitation(by=world.pt.user, invitation=issued.invitation)
    assert (
        services.send_invitation(invitation_id=issued.invitation.pk, token=issued.token)
        == "skipped"
    )
    assert mail.outbox == []


# --- signing in with an email address -----------------------------------------------------------


@pytest.mark.django_db
def test_a_member_signs_in_with_their_email_address(world: World) -> None:
    issued = _enrolled(world).issued
    services.accept_invitation(token=issued.token, password=PASSWORD, consents=CONSENTS)
    request = RequestFactory().post("/login/")
    user = authenticate(request, username="Rosa@Example.org", password=PASSWORD)
    assert user is not None and user.email == "rosa@example.org"
    assert authenticate(request, username="rosa@example.org", password="wrong password 12") is None
    assert authenticate(request, username="nobody@example.org", password=PASSWORD) is None


@pytest.mark.django_db
def test_the_same_address_in_two_clinics_signs_in_to_the_one_whose_password_matches(
    world: World,
) -> None:
    here = _enrolled(world).issued
    there = enroll_member(
        by=world.foreign_pt.user, first_name="Rosa", last_name="Diaz", email="rosa@example.org"
    ).issued
    services.accept_invitation(token=here.token, password=PASSWORD, consents=CONSENTS)
    services.accept_invitation(token=there.token, password="another long phrase", consents=CONSENTS)
    request = RequestFactory().post("/login/")
    user = authenticate(request, username="rosa@example.org", password="another long phrase")
    assert user is not None and user.organization_id == world.other_org.pk


@pytest.mark.django_db
def test_staff_do_not_sign_in_with_their_email(world: World) -> None:
    issued = _staff(world)
    services.accept_invitation(token=issued.token, password=PASSWORD, consents={"terms": True})
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="new.pt@example.org", password=PASSWORD) is None
    assert authenticate(request, username="noor.haddad", password=PASSWORD) is not None


def test_a_text_message_keeps_the_whole_link_whatever_the_clinics_name() -> None:
    url = "https://app.example.org/invite/" + "x" * 43 + "/"
    short = services.sms_text(organization="North Clinic", url=url)
    assert "North Clinic" in short and short.endswith(url) and len(short) <= 160
    long_name = services.sms_text(organization="A" * 90, url=url)
    assert long_name.endswith(url) and len(long_name) <= 160


@pytest.mark.django_db
def test_a_closed_account_cannot_accept(world: World) -> None:
    enrolment = enroll_member(
        by=world.pt.user, first_name="Rosa", last_name="Diaz", email="rosa@example.org"
    )
    User.objects.filter(pk=enrolment.member.user_id).update(is_active=False)
    with pytest.raises(services.InvitationUnusable):
        services.accept_invitation(
            token=enrolment.issued.token, password=PASSWORD, consents=CONSENTS
        )
