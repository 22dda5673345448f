"""People: organizations (tenants), users with one role, profiles per role, care assignments."""

from __future__ import annotations

import zoneinfo
from datetime import date

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

NO_PLAN_RANK = 4  # members.models.adherence.RISK_ORDER["no_plan"] (the last of Risk)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not an IANA time zone name.")


class Organization(models.Model):
    """The tenant: a clinic or an employer's program. Nothing crosses its boundary."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_timezone]
    )
    contact_phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    THERAPIST = "therapist", "Physical therapist"
    COORDINATOR = "coordinator", "Coordinator"
    STAFF = "staff", "Staff"


class User(AbstractUser):
    """One role per account; every non-staff account belongs to exactly one organization."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    # A mobile number in E.164 (+15551234567): invitations go to it by text message.
    phone = models.CharField(max_length=20, blank=True)
    # Staff roles' own zone and language (members keep theirs on Member); blank: the
    # organization's zone, English.
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_timezone])
    language = models.CharField(max_length=8, blank=True)
    # Embedded in every JWT: a password change, a logout or a deactivation adds one, and tokens
    # carrying an older number stop working at once (not only when they expire).
    token_version = models.PositiveIntegerField(default=0)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.CheckConstraint(
                condition=Q(role="staff") | Q(organization__isnull=False),
                name="user_needs_organization_unless_staff",
            ),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
            # One account per address in an organization: invitations and the email login
            # (members.auth_backends) must name one person.
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                condition=~Q(email=""),
                name="user_email_unique_in_organization",
            ),
        ]
        indexes = [models.Index(fields=["organization", "role"], name="user_org_role")]

    @property
    def display_name(self) -> str:
        full = self.get_full_name()
        return full or self.username

    @property
    def is_member(self) -> bool:
        return self.role == Role.MEMBER

    @property
    def is_therapist(self) -> bool:
        return self.role == Role.THERAPIST

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_service_staff(self) -> bool:
        return self.role == Role.STAFF


class Condition(models.TextChoices):
    LUMBAR_SPINAL_STENOSIS = "lumbar_spinal_stenosis", "Lumbar spinal stenosis"
    LOW_BACK_PAIN = "low_back_pain", "Low back pain"
    HIP = "hip", "Hip pain or weakness"
    SHOULDER = "shoulder", "Shoulder"
    OTHER = "other", "Other"


class Precaution(models.TextChoices):
    """What a PT must know before prescribing (shared/domain/CLINICAL.md): stored as codes so that
    rules (the plan builder's conflict warnings) can read them."""

    OSTEOPOROSIS = "osteoporosis", "Osteoporosis or low bone density"
    HIP_REPLACEMENT_POSTERIOR = "hip_replacement_posterior", "Hip replacement, posterior approach"
    RECENT_SPINAL_SURGERY = "recent_spinal_surgery", "Recent spinal surgery"
    PREGNANCY = "pregnancy", "Pregnancy"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"
    FRENCH = "fr", "French"
    GERMAN = "de", "German"


class Member(models.Model):
    """A patient's profile: the person whose plan, logs and outcomes everything else is about."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="member_profile")
    # The user's organization, repeated here for the database to hold external ids unique per
    # organization; set by the services that create members (enroll_member, create_person).
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The clinic's own record number for this person (optional, unique in the organization).
    external_id = models.CharField(max_length=64, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_timezone]
    )
    preferred_language = models.CharField(
        max_length=8, choices=Language.choices, default=Language.ENGLISH
    )
    # The main condition (templates are written for one); `conditions` lists every one a plan
    # depends on, `precautions` what the PT must respect (codes of Condition and Precaution).
    condition = models.CharField(max_length=40, choices=Condition.choices, default=Condition.OTHER)
    conditions = models.JSONField(default=list, blank=True)
    precautions = models.JSONField(default=list, blank=True)
    # Set while the member's last episode of care is ended (discharged): figures stop counting
    # after this local date. Cleared when they are enrolled again (a new episode).
    discharged_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Kept for the dashboard, which filters, groups and sorts every member by them: the primary
    # PT in force today (access.primary_therapist_id) and the template of the plan in force
    # (active, else paused, else the latest not a draft). Derived, never edited: written by
    # members.services.care_columns after every change of care team or plan, and checked and
    # repaired by `check_adherence`.
    primary_therapist = models.ForeignKey(
        "Therapist", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    current_template = models.ForeignKey(
        "programs.PlanTemplate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The dashboard's sort keys, kept with the figures (members.services.care_columns) so that
    # its first page is an index scan of a page of rows: the name as sorted (lower case, "first
    # last", else the username), the risk's rank (RISK_ORDER; no figures: no plan), whether
    # there is no adherence figure, and the figure in tenths of a percent (0 without one).
    sort_name = models.CharField(max_length=320, blank=True, db_default="")
    risk_rank = models.PositiveSmallIntegerField(db_default=NO_PLAN_RANK)
    no_figure = models.PositiveSmallIntegerField(db_default=1)
    tenths = models.PositiveSmallIntegerField(db_default=0)

    class Meta:
        ordering = ("user__last_name", "user__first_name", "id")
        indexes = [
            # The dashboard's orderings of members under care, one index each (the keyset's
            # columns in their directions), scanned for one page whatever the number of members.
            models.Index(
                fields=["risk_rank", "no_figure", "tenths", "sort_name", "id"],
                name="member_dashboard_risk",
                condition=Q(discharged_on__isnull=True),
            ),
            models.Index(
                fields=["no_figure", "tenths", "sort_name", "id"],
                name="member_dashboard_adherence",
                condition=Q(discharged_on__isnull=True),
            ),
            models.Index(
                fields=["no_figure", "-tenths", "-sort_name", "-id"],
                name="member_dashboard_adherence_d",
                condition=Q(discharged_on__isnull=True),
            ),
            models.Index(
                fields=["sort_name", "id"],
                name="member_dashboard_name",
                condition=Q(discharged_on__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="member_external_id_unique_in_organization",
            ),
        ]

    def __str__(self) -> str:
        return self.user.display_name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Therapist(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="therapist_profile")
    credentials = models.CharField(max_length=80, blank=True, help_text="For example PT, DPT.")
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)

    class Meta:
        ordering = ("user__last_name", "user__first_name", "id")

    def __str__(self) -> str:
        name = self.user.display_name
        return f"{name}, {self.credentials}" if self.credentials else name


class Coordinator(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="coordinator_profile")
    title = models.CharField(max_length=120, blank=True)

    def __str__(self) -> str:
        return self.user.display_name


class CareAssignment(models.Model):
    """A member in a PT's caseload from start_date, until end_date (exclusive) if set."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="care_assignments")
    therapist = models.ForeignKey(
        Therapist, on_delete=models.CASCADE, related_name="care_assignments"
    )
    is_primary = models.BooleanField(default=True)
    start_date = models.DateField(default=date.today)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ("-is_primary", "start_date", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(is_primary=True, end_date__isnull=True),
                name="one_open_primary_assignment_per_member",
            ),
            models.UniqueConstraint(
                fields=["member", "therapist"],
                condition=Q(end_date__isnull=True),
                name="one_open_assignment_per_member_and_therapist",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=models.F("start_date")),
                name="assignment_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["therapist", "end_date"], name="assignment_therapist_open"),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.therapist}"
