"""Alerts for PTs: pain spikes, "too hard" streaks and inactivity, raised by members.services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .people import Member, Therapist


class AlertKind(models.TextChoices):
    PAIN_SPIKE = "pain_spike", "Pain spike"
    TOO_HARD_STREAK = "too_hard_streak", "Too hard, sessions running"
    INACTIVE = "inactive", "No session for days"
    RED_FLAG = "red_flag", "Red-flag symptoms in a message"
    # Walking tolerance and leg symptoms (members.rules.leg_symptoms).
    WALK_TOLERANCE_DROP = "walk_tolerance_drop", "Walking tolerance halved"
    LEG_WEAKNESS = "leg_weakness", "Leg weakness new or worse (urgent)"
    NUMBNESS_SPREADING = "numbness_spreading", "Numbness spreading"
    SYMPTOMS_WORSE = "symptoms_worse", "Leg symptoms worse, check-ins running"


# Findings that may be a red flag (possible cauda equina compression): shown first, marked urgent.
URGENT_KINDS = frozenset({AlertKind.LEG_WEAKNESS, AlertKind.RED_FLAG})


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


# An alert is "active" until resolved: a PT who acknowledged it is already on it, so a repeat of
# the same finding updates it rather than raising a second one.
ACTIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class Alert(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="alerts")
    # The primary PT when it was raised; a later reassignment does not move old alerts.
    therapist = models.ForeignKey(
        Therapist, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    exercise = models.ForeignKey(
        "programs.Exercise", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "members.SessionLog", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Numbers, dates and ids only: never the member's free-text notes.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            # Two partial constraints rather than one with NULLS NOT DISTINCT, which SQLite lacks.
            models.UniqueConstraint(
                fields=["member", "kind", "exercise"],
                condition=Q(status__in=ACTIVE_STATUSES, exercise__isnull=False),
                name="alert_one_active_per_member_kind_exercise",
            ),
            models.UniqueConstraint(
                fields=["member", "kind"],
                condition=Q(status__in=ACTIVE_STATUSES, exercise__isnull=True),
                name="alert_one_active_per_member_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in AlertKind]), name="alert_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AlertStatus]), name="alert_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["therapist", "status"], name="alert_therapist_status"),
            models.Index(fields=["member", "status"], name="alert_member_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for member {self.member_id} ({self.status})"

    @property
    def urgent(self) -> bool:
        return self.kind in URGENT_KINDS
