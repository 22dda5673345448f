"""Outcome measures: questionnaire answers with their server-computed scores, and PT schedules."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .people import Member, Therapist


class Instrument(models.TextChoices):
    NPRS = "nprs", "Pain rating (NPRS)"
    ODI = "odi", "Oswestry Disability Index"
    PSFS = "psfs", "Patient-Specific Functional Scale"
    ZCQ = "zcq", "Zurich Claudication Questionnaire"


class InstrumentWording(models.Model):
    """The licensed wording of an instrument, loaded by a clinic that holds the licence
    (`manage.py load_instrument FILE.json`). The structure ships in fixtures/instruments/; an
    instrument marked licensed is offered to members only once its wording is here."""

    instrument = models.CharField(max_length=8, choices=Instrument.choices, unique=True)
    # The loaded file, checked against the shipped structure (same items and answer values).
    definition = models.JSONField()
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("instrument",)

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} wording"


# A schedule more often than daily or rarer than yearly is a typo, not a clinical choice.
MIN_EVERY_N_DAYS = 1
MAX_EVERY_N_DAYS = 365


class Assessment(models.Model):
    """One completed questionnaire. Answers are item numbers and scores, never item wording
    (ODI and ZCQ are licensed); the score is computed by members.rules.scoring, never by the
    client."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="assessments")
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    answers = models.JSONField()
    # A number for NPRS, ODI and PSFS; per subscale ({"severity": {...}, ...}) for ZCQ.
    score = models.JSONField()
    # The one figure charted and compared over time (ZCQ: the symptom severity mean).
    score_value = models.DecimalField(max_digits=6, decimal_places=2)
    band = models.CharField(max_length=80, blank=True)
    local_date = models.DateField()
    completed_at = models.DateTimeField(default=timezone.now)
    client_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ("member", "instrument", "local_date", "completed_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "client_id"],
                condition=Q(client_id__isnull=False),
                name="assessment_client_id_unique_per_member",
            ),
            models.CheckConstraint(
                condition=Q(instrument__in=[i.value for i in Instrument]),
                name="assessment_instrument_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["member", "instrument", "local_date"], name="assessment_member_instr_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.local_date} ({self.member_id})"


class AssessmentSchedule(models.Model):
    """A PT asks a member to fill in an instrument every N days from start_date."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="assessment_schedules"
    )
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    every_n_days = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    created_by = models.ForeignKey(
        Therapist,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessment_schedules",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("member", "instrument", "-active", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "instrument"],
                condition=Q(active=True),
                name="one_active_schedule_per_member_instrument",
            ),
            models.CheckConstraint(
                condition=Q(every_n_days__gte=MIN_EVERY_N_DAYS)
                & Q(every_n_days__lte=MAX_EVERY_N_DAYS),
                name="schedule_every_n_days_range",
            ),
            models.CheckConstraint(
                condition=Q(instrument__in=[i.value for i in Instrument]),
                name="schedule_instrument_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} every {self.every_n_days} d ({self.member_id})"
