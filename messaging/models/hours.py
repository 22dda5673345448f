"""The clinic's working hours: when messages are answered (set by the coordinator)."""

from __future__ import annotations

from django.db import models

# {"monday": [["08:00", "17:00"]], "tuesday": [...], ..., "sunday": []}: local wall times in the
# organization's zone; a day without spans is closed. Validated by messaging.rules.hours.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class WorkingHours(models.Model):
    organization = models.OneToOneField(
        "members.Organization", on_delete=models.CASCADE, related_name="working_hours"
    )
    hours = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "members.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "working hours"

    def __str__(self) -> str:
        return f"Working hours of organization {self.organization_id}"
