"""Writes about the care team, by a coordinator: assigning a member to a PT, transferring them
to another, adding a second PT, ending an assignment; deactivating and reactivating staff
accounts. History is kept: an assignment that ends gets an end date, it is never rewritten.
Each write leaves one audit row."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from exercise_tracker import audit
from exercise_tracker.models import AuditAction
from members.models import Alert, CareAssignment, Member, Role, Therapist, User
from members.models.alerts import ACTIVE_STATUSES
from members.services.accounts import end_tokens
from members.services.people import place_in_caseload

MANAGERS = (Role.COORDINATOR, Role.STAFF)


class CareTeamConflict(Exception):
    """The change contradicts the team's current state (409)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _today() -> date:
    # The same day access.open_assignments counts from.
    return timezone.now().date()


def _check_manager(by: User, organization_id: int | None) -> None:
    if by.role not in MANAGERS or (by.role != Role.STAFF and by.organization_id != organization_id):
        raise PermissionError("Only the organization's coordinator manages its care team.")


def _check_therapist(member: Member, therapist: Therapist) -> None:
    if therapist.user.organization_id != member.user.organization_id:
        raise ValidationError({"therapist": ["The PT must work in the member's organization."]})
    if not therapist.user.is_active:
        raise ValidationError({"therapist": ["This PT's account is deactivated."]})


def _alerts_follow(member: Member, therapist: Therapist) -> None:
    """Open alerts are addressed to the member's PT now (they stay in the member's record)."""
    Alert.objects.filter(member=member, status__in=ACTIVE_STATUSES).update(therapist=therapist)


@transaction.atomic
def assign(
    *,
    by: User,
    member: Member,
    therapist: Therapist,
    is_primary: bool = True,
    request: HttpRequest | None = None,
) -> CareAssignment:
    """Puts the member in the PT's caseload from today. A new primary PT is a transfer: the
    previous primary assignment ends today (kept, with its dates). `is_primary=False` adds a
    second PT beside the primary one."""
    _check_manager(by, member.user.organization_id)
    _check_therapist(member, therapist)
    Member.objects.select_for_update().filter(pk=member.pk).first()  # one change at a time
    already = CareAssignment.objects.filter(
        member=member, therapist=therapist, end_date__isnull=True, is_primary=is_primary
    ).first()
    if already is not None:
        raise CareTeamConflict(
            "therapist", "This PT is already on the member's care team in this role."
        )
    assignment, _ = place_in_caseload(
        member=member, therapist=therapist, start_date=_today(), is_primary=is_primary
    )
    if is_primary:
        _alerts_follow(member, therapist)
    audit.record(
        request=request, action=AuditAction.CREATE, user=by, member_id=member.pk, obj=assignment
    )
    return assignment


def _end(assignment: CareAssignment, day: date) -> None:
    if assignment.start_date >= day:
        # Started today (or later): it never held a full day; removing it keeps the invariant
        # that an assignment ends after it starts. The audit trail keeps that it existed.
        assignment.delete()
    else:
        assignment.end_date = day
        assignment.save(update_fields=["end_date"])


def _locked_open(assignment: CareAssignment) -> CareAssignment:
    locked = (
        CareAssignment.objects.select_for_update()
        .select_related("member__user", "therapist__user")
        .get(pk=assignment.pk)
    )
    if locked.end_date is not None and locked.end_date <= _today():
        raise CareTeamConflict("end_date", "This assignment has already ended.")
    return locked


@transaction.atomic
def transfer(
    *,
    by: User,
    assignment: CareAssignment,
    therapist: Therapist,
    request: HttpRequest | None = None,
) -> CareAssignment:
    """Hands the member from this assignment's PT to another, from today: this assignment
    ends (kept), a new one starts in the same role. The new PT sees the member and their
    alerts at once; the old PT no longer does."""
    _check_manager(by, assignment.member.user.organization_id)
    assignment = _locked_open(assignment)
    member = assignment.member
    _check_therapist(member, therapist)
    if therapist.pk == assignment.therapist_id:
        raise CareTeamConflict("therapist", "The member is already with this PT.")
    if CareAssignment.objects.filter(
        member=member, therapist=therapist, end_date__isnull=True
    ).exists():
        raise CareTeamConflict(
            "therapist", "This PT is already on the member's care team: end that one first."
        )
    was_primary = assignment.is_primary
    _end(assignment, _today())
    new = CareAssignment.objects.create(
        member=member, therapist=therapist, is_primary=was_primary, start_date=_today()
    )
    if was_primary:
        _alerts_follow(member, therapist)
    audit.record(request=request, action=AuditAction.UPDATE, user=by, member_id=member.pk, obj=new)
    return new


@transaction.atomic
def end_assignment(
    *, by: User, assignment: CareAssignment, request: HttpRequest | None = None
) -> CareAssignment:
    """Ends the assignment today: the PT no longer sees the member (the history stays)."""
    _check_manager(by, assignment.member.user.organization_id)
    assignment = _locked_open(assignment)
    pk = assignment.pk
    _end(assignment, _today())
    assignment.pk = pk  # for the answer and the audit row, even when the row was removed
    if assignment.end_date is None:
        assignment.end_date = _today()
    audit.record(
        request=request,
        action=AuditAction.UPDATE,
        user=by,
        member_id=assignment.member_id,
        obj=assignment,
    )
    return assignment


@transaction.atomic
def set_staff_active(
    *, by: User, account: User, is_active: bool, request: HttpRequest | None = None
) -> User:
    """Deactivates (or reactivates) a PT's or coordinator's account. A deactivated account
    signs in nowhere (its sessions and tokens end at once); its members keep their care
    assignments and show as without a PT until the coordinator transfers them."""
    _check_manager(by, account.organization_id)
    account = User.objects.select_for_update().get(pk=account.pk)
    if account.role not in (Role.THERAPIST, Role.COORDINATOR):
        raise ValidationError({"role": ["Only PT and coordinator accounts are managed here."]})
    if account.pk == by.pk and not is_active:
        raise CareTeamConflict("is_active", "You cannot deactivate your own account.")
    if account.is_active == is_active:
        return account
    account.is_active = is_active
    account.save(update_fields=["is_active"])
    if not is_active:
        end_tokens(user_id=account.pk)
        account.refresh_from_db(fields=["token_version"])
    audit.record(request=request, action=AuditAction.UPDATE, user=by, obj=account)
    return account
