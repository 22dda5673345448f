"""Episodes of care: from enrolment to discharge. A member enrolled again starts a new one; the
old episodes, plans and logs stay."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .people import Member


class DischargeReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    PLATEAU = "plateau", "No further progress expected"
    STOPPED_ATTENDING = "stopped_attending", "Stopped taking part"
    MEMBER_CHOICE = "member_choice", "Member's choice"
    REFERRED = "referred", "Referred elsewhere"
    OTHER = "other", "Other"


class Episode(models.Model):
    """One member's episode of care, open until a PT discharges them."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="episodes")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True, help_text="The discharge date (local).")
    reason = models.CharField(max_length=20, choices=DischargeReason.choices, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    # Read-only access to history and handout ends after this date; then the account is closed.
    access_until = models.DateField(null=True, blank=True)
    account_closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("member", "started_on", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_on__isnull=True),
                name="episode_one_open_per_member",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="episode_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["access_until"],
                condition=Q(account_closed_at__isnull=True, access_until__isnull=False),
                name="episode_access_to_close",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode of member {self.member_id} from {self.started_on}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class MemberImport(models.Model):
    """A CSV file a coordinator uploaded, enrolled by a Celery task (members.run_member_import)
    after every row was checked; the page shows its progress and report."""

    organization = models.ForeignKey(
        "members.Organization", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=200, blank=True)
    content = models.TextField()
    skip_bad_rows = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.status})"
