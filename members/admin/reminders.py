"""Admin for reminders: operational views for staff (what fired, what was skipped and why).
Read-only, and without the message text: the member's exercises are not needed to run it."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from members.models import ReminderDelivery, ReminderSchedule


@admin.register(ReminderSchedule)
class ReminderScheduleAdmin(admin.ModelAdmin[ReminderSchedule]):
    list_display = ("id", "member_id", "local_time", "timezone", "enabled", "next_fire_at")
    list_filter = ("enabled", "skip_if_done")
    fields = (
        "member",
        "local_time",
        "days_mask",
        "channels",
        "enabled",
        "skip_if_done",
        "timezone",
        "next_fire_at",
        "dismissals_in_row",
        "other_time_offered_at",
    )
    readonly_fields = fields
    raw_id_fields = ("member",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(admin.ModelAdmin[ReminderDelivery]):
    list_display = (
        "id",
        "schedule_id",
        "local_date",
        "slot",
        "due_at",
        "status",
        "reason",
        "kind",
        "sent_at",
    )
    list_filter = ("status", "reason", "kind")
    date_hierarchy = "due_at"
    fields = (
        "schedule",
        "member",
        "local_date",
        "slot",
        "due_at",
        "status",
        "reason",
        "kind",
        "channels",
        "channels_sent",
        "channel_errors",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
