"""Writes about people: accounts with a role and profile, care assignments. One transaction each."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from exercise_tracker import audit
from exercise_tracker.models import AuditAction
from members.models import (
    CareAssignment,
    Condition,
    Coordinator,
    Member,
    Organization,
    Role,
    Therapist,
    User,
)


@transaction.atomic
def create_person(
    *,
    username: str,
    password: str,
    role: str,
    organization: Organization | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    timezone_name: str = "America/New_York",
    condition: str = "other",
    preferred_language: str = "en",
    credentials: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    title: str = "",
    by: User | None = None,
) -> User:
    """Creates an account and the profile its role needs. A member's is audited as made by
    `by` (None: a command, the demo seed)."""
    if role != Role.STAFF and organization is None:
        raise ValidationError({"organization": ["Every account but staff needs an organization."]})
    user = User(
        username=username,
        role=role,
        organization=organization,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=role == Role.STAFF,
        is_superuser=role == Role.STAFF,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if role == Role.MEMBER:
        member = Member(
            user=user,
            organization=organization,
            timezone=timezone_name,
            condition=condition,
            conditions=[] if condition == Condition.OTHER else [condition],
            preferred_language=preferred_language,
        )
        member.full_clean(exclude=["user"])
        member.save()
        audit.record_write(by=by, action=AuditAction.CREATE, member_id=member.pk, obj=member)
    elif role == Role.THERAPIST:
        Therapist.objects.create(
            user=user,
            credentials=credentials,
            contact_phone=contact_phone,
            contact_email=contact_email,
        )
    elif role == Role.COORDINATOR:
        Coordinator.objects.create(user=user, title=title)
    return user


@transaction.atomic
def assign_care(
    *,
    member: Member,
    therapist: Therapist,
    start_date: date | None = None,
    is_primary: bool = True,
    by: User | None = None,
) -> CareAssignment:
    """Puts a member in a PT's caseload; a new primary PT ends the previous primary assignment.
    Audited as done by `by` (None: a command, the demo seed)."""
    assignment, changed = place_in_caseload(
        member=member, therapist=therapist, start_date=start_date, is_primary=is_primary
    )
    if changed is not None:
        audit.record_write(by=by, action=changed, member_id=member.pk, obj=assignment)
    return assignment


def place_in_caseload(
    *,
    member: Member,
    therapist: Therapist,
    start_date: date | None = None,
    is_primary: bool = True,
) -> tuple[CareAssignment, str | None]:
    """assign_care's write without its audit row, for an action that audits itself as a whole
    (enrolling a member). Returns the assignment and the audit action it took (None: none)."""
    if member.user.organization_id != therapist.user.organization_id:
        raise ValidationError({"therapist": ["The PT must work in the member's organization."]})
    start = start_date or timezone.now().date()
    open_now = CareAssignment.objects.select_for_update().filter(
        member=member, end_date__isnull=True
    )
    existing = open_now.filter(therapist=therapist).first()
    if existing is not None:
        if is_primary and not existing.is_primary:
            open_now.filter(is_primary=True).update(is_primary=False)
            existing.is_primary = True
            existing.save(update_fields=["is_primary"])
            return existing, AuditAction.UPDATE
        return existing, None
    if is_primary:
        for previous in open_now.filter(is_primary=True):
            # An assignment that starts today and ends today never held; drop it instead.
            if previous.start_date >= start:
                previous.delete()
            else:
                previous.end_date = start
                previous.save(update_fields=["end_date"])
    assignment = CareAssignment.objects.create(
        member=member, therapist=therapist, is_primary=is_primary, start_date=start
    )
    return assignment, AuditAction.CREATE
