"""Enrolling a member (a PT of the organization or a coordinator): the account without a
password, the member's profile, their primary PT, and the invitation that lets them set a
password. Changing an enrolled member's details. One transaction each, audited here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from exercise_tracker import audit
from exercise_tracker.models import AuditAction
from members.models import (
    CareAssignment,
    Condition,
    Language,
    Member,
    Precaution,
    Role,
    Therapist,
    User,
    validate_timezone,
)
from members.services.invitations import (
    DuplicatePerson,
    Issued,
    email_taken,
    issue_member_invitation,
    unique_username,
)
from members.services.people import place_in_caseload

PHONE_PATTERN = re.compile(r"^\+[1-9][0-9]{7,14}$")
ENROLLERS = (Role.THERAPIST, Role.COORDINATOR)
MAX_NAME = 150
MAX_EXTERNAL_ID = 64
OLDEST_BIRTH_YEAR = 1900
DUPLICATE_EMAIL = "Someone in your organization already has this email."
DUPLICATE_EXTERNAL_ID = "Another member of your organization has this record number."
# What PATCH may change; everything else about a member is set elsewhere or never by a client.
EDITABLE = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "conditions",
    "precautions",
    "timezone",
    "language",
    "primary_therapist",
    "external_id",
)


@dataclass(frozen=True)
class Enrolment:
    member: Member
    issued: Issued


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _name(value: Any, field: str, errors: _Errors) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors.add(field, "This field is required.")
    elif len(text) > MAX_NAME:
        errors.add(field, f"At most {MAX_NAME} characters.")
    return text


def _email(value: Any, errors: _Errors) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if text:
        try:
            validate_email(text)
        except ValidationError:
            errors.add("email", "Give a valid email address.")
    return text


def _phone(value: Any, errors: _Errors) -> str:
    text = re.sub(r"[\s().-]", "", value) if isinstance(value, str) else ""
    if text and not PHONE_PATTERN.match(text):
        errors.add("phone", "Give the mobile number with its country code, e.g. +15551234567.")
    return text


def _codes(values: Any, field: str, allowed: Iterable[str], errors: _Errors) -> list[str]:
    allowed = list(allowed)
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, list | tuple):
        errors.add(field, "Give a list of codes.")
        return []
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors.add(field, f"Choose from: {', '.join(allowed)} (not {unknown[0]!r}).")
        return []
    return list(dict.fromkeys(values))


def _birth_date(value: Any, errors: _Errors, *, today: date) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            errors.add("date_of_birth", "Give a date as YYYY-MM-DD.")
            return None
    if not isinstance(value, date) or value > today or value.year < OLDEST_BIRTH_YEAR:
        errors.add("date_of_birth", "Give a date of birth in the past.")
        return None
    return value


def _timezone(value: Any, errors: _Errors) -> str:
    text = value if isinstance(value, str) else ""
    try:
        validate_timezone(text)
    except ValidationError:
        errors.add("timezone", "Give an IANA time zone name, e.g. America/Chicago.")
    return text


def _language(value: Any, errors: _Errors) -> str:
    if value not in Language.values:
        errors.add("language", f"Choose one of: {', '.join(Language.values)}.")
    return str(value)


def _external_id(value: Any, errors: _Errors) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > MAX_EXTERNAL_ID:
        errors.add("external_id", f"At most {MAX_EXTERNAL_ID} characters.")
    return text


def _therapist(value: Any, by: User, errors: _Errors) -> Therapist | None:
    if value is None:
        return None
    if isinstance(value, Therapist):
        therapist: Therapist | None = value
    elif isinstance(value, int) and not isinstance(value, bool):
        therapist = Therapist.objects.select_related("user").filter(pk=value).first()
    else:
        therapist = None
    if (
        therapist is None
        or therapist.user.organization_id != by.organization_id
        or not therapist.user.is_active
    ):
        errors.add("primary_therapist", "No PT of your organization has this id.")
        return None
    return therapist


def _check_enroller(by: User) -> None:
    if by.role not in ENROLLERS or by.organization_id is None:
        raise PermissionDenied("Only a PT or a coordinator enrolls members.")


def _external_id_taken(*, organization_id: int, external_id: str, exclude: int | None) -> bool:
    if not external_id:
        return False
    qs = Member.objects.filter(organization_id=organization_id, external_id=external_id)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


@transaction.atomic
def enroll_member(
    *,
    by: User,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    date_of_birth: date | str | None = None,
    conditions: Iterable[str] | None = None,
    precautions: Iterable[str] | None = None,
    timezone_name: str | None = None,
    language: str = Language.ENGLISH,
    primary_therapist: Therapist | int | None = None,
    external_id: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Enrolment:
    """Enrolls a member into the enroller's organization and invites them (email and/or text,
    sent once committed). A PT who names no primary PT becomes it. A duplicate email or
    external id in the organization raises DuplicatePerson naming the field."""
    now = now or timezone.now()
    _check_enroller(by)
    organization = by.organization
    assert organization is not None  # noqa: S101 (checked by _check_enroller)
    errors = _Errors()
    first = _name(first_name, "first_name", errors)
    last = _name(last_name, "last_name", errors)
    address = _email(email, errors)
    mobile = _phone(phone, errors)
    if not address and not mobile and "email" not in errors.by_field:
        errors.add("email", "Give an email address or a mobile phone number (or both).")
    born = _birth_date(date_of_birth, errors, today=now.date())
    condition_codes = _codes(
        list(conditions) if conditions is not None else [],
        "conditions",
        Condition.values,
        errors,
    )
    precaution_codes = _codes(
        list(precautions) if precautions is not None else [],
        "precautions",
        Precaution.values,
        errors,
    )
    zone = _timezone(timezone_name or organization.timezone, errors)
    lang = _language(language, errors)
    record = _external_id(external_id, errors)
    therapist = _therapist(primary_therapist, by, errors)
    errors.raise_any()
    if therapist is None and by.role == Role.THERAPIST:
        therapist = Therapist.objects.filter(user=by).first()

    if email_taken(organization_id=organization.pk, email=address):
        raise DuplicatePerson("email", DUPLICATE_EMAIL)
    if _external_id_taken(organization_id=organization.pk, external_id=record, exclude=None):
        raise DuplicatePerson("external_id", DUPLICATE_EXTERNAL_ID)

    user = User(
        username=unique_username(first, last),
        role=Role.MEMBER,
        organization=organization,
        first_name=first,
        last_name=last,
        email=address,
        phone=mobile,
    )
    # No password until they accept the invitation: nobody can sign in as them before.
    user.set_unusable_password()
    member = Member(
        user=user,
        organization=organization,
        external_id=record,
        date_of_birth=born,
        timezone=zone,
        preferred_language=lang,
        conditions=condition_codes,
        condition=condition_codes[0] if condition_codes else Condition.OTHER,
        precautions=precaution_codes,
    )
    try:
        with transaction.atomic():
            user.save()
            member.user = user
            member.save()
    except IntegrityError as exc:
        # Two enrolments of the same person at once: the database's constraint decided.
        raise _duplicate_from(exc) from exc
    if therapist is not None:
        place_in_caseload(member=member, therapist=therapist, start_date=now.date())
    issued = issue_member_invitation(by=by, member=member, now=now)
    audit.record(
        request=request, user=by, action=AuditAction.CREATE, obj=member, member_id=member.pk
    )
    return Enrolment(member=member, issued=issued)


def _duplicate_from(exc: IntegrityError) -> DuplicatePerson:
    if "external_id" in str(exc):
        return DuplicatePerson("external_id", DUPLICATE_EXTERNAL_ID)
    return DuplicatePerson("email", DUPLICATE_EMAIL)


@transaction.atomic
def update_member(
    *,
    by: User,
    member: Member,
    changes: dict[str, Any],
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Member:
    """Changes some of EDITABLE. A new primary PT takes over the member (the previous primary
    assignment ends today). An invitation still pending goes to the new address on resend."""
    now = now or timezone.now()
    _check_enroller(by)
    member = Member.objects.select_for_update().select_related("user").get(pk=member.pk)
    user = member.user
    if user.organization_id != by.organization_id:
        raise PermissionDenied("This member is in another organization.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({"non_field_errors": [f"Unknown fields: {', '.join(unknown)}."]})
    errors = _Errors()
    values: dict[str, Any] = {}
    if "first_name" in changes:
        values["first_name"] = _name(changes["first_name"], "first_name", errors)
    if "last_name" in changes:
        values["last_name"] = _name(changes["last_name"], "last_name", errors)
    if "email" in changes:
        values["email"] = _email(changes["email"] or "", errors)
    if "phone" in changes:
        values["phone"] = _phone(changes["phone"] or "", errors)
    email = values.get("email", user.email)
    phone = values.get("phone", user.phone)
    # Checked when an address changes: members made before enrolment existed may have none.
    changing_address = "email" in values or "phone" in values
    if (
        changing_address
        and not email
        and not phone
        and not errors.by_field.keys()
        & {
            "email",
            "phone",
        }
    ):
        errors.add("email", "Keep an email address or a mobile phone number.")
    if "date_of_birth" in changes:
        values["date_of_birth"] = _birth_date(changes["date_of_birth"], errors, today=now.date())
    if "conditions" in changes:
        values["conditions"] = _codes(changes["conditions"], "conditions", Condition.values, errors)
    if "precautions" in changes:
        values["precautions"] = _codes(
            changes["precautions"], "precautions", Precaution.values, errors
        )
    if "timezone" in changes:
        values["timezone"] = _timezone(changes["timezone"], errors)
    if "language" in changes:
        values["language"] = _language(changes["language"], errors)
    if "external_id" in changes:
        values["external_id"] = _external_id(changes["external_id"] or "", errors)
    therapist = None
    if changes.get("primary_therapist") is not None:
        therapist = _therapist(changes["primary_therapist"], by, errors)
    errors.raise_any()

    if "email" in values and email_taken(
        organization_id=user.organization_id, email=email, exclude_user=user.pk
    ):
        raise DuplicatePerson("email", DUPLICATE_EMAIL)
    if "external_id" in values and _external_id_taken(
        organization_id=user.organization_id or 0,
        external_id=values["external_id"],
        exclude=member.pk,
    ):
        raise DuplicatePerson("external_id", DUPLICATE_EXTERNAL_ID)

    user_fields = [f for f in ("first_name", "last_name", "email", "phone") if f in values]
    for name in user_fields:
        setattr(user, name, values[name])
    member_fields: list[str] = []
    for key, attribute in (
        ("date_of_birth", "date_of_birth"),
        ("precautions", "precautions"),
        ("timezone", "timezone"),
        ("language", "preferred_language"),
        ("external_id", "external_id"),
    ):
        if key in values:
            setattr(member, attribute, values[key])
            member_fields.append(attribute)
    if "conditions" in values:
        member.conditions = values["conditions"]
        member.condition = values["conditions"][0] if values["conditions"] else Condition.OTHER
        member_fields += ["conditions", "condition"]
    try:
        with transaction.atomic():
            if user_fields:
                user.save(update_fields=user_fields)
            if member_fields:
                member.save(update_fields=member_fields)
    except IntegrityError as exc:
        raise _duplicate_from(exc) from exc
    if (
        therapist is not None
        and not CareAssignment.objects.filter(
            member=member, therapist=therapist, is_primary=True, end_date__isnull=True
        ).exists()
    ):
        place_in_caseload(member=member, therapist=therapist, start_date=now.date())
    audit.record(
        request=request, user=by, action=AuditAction.UPDATE, obj=member, member_id=member.pk
    )
    return member
