"""`/api/v1/reminders/`: a member's own reminder schedules and quiet hours."""

from __future__ import annotations

import re
from datetime import time
from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access
from exercise_tracker.idempotency import idempotent
from exercise_tracker.inputs import InputSerializer, TrueFalseField, max_length
from exercise_tracker.schema import ErrorSerializer
from members.models import (
    Channel,
    Member,
    MemberPreferences,
    ReminderSchedule,
    User,
)
from members.services import reminders as services

HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

# --- strict fields: JSON types as the schema says, nothing coerced ----------------------------


@extend_schema_field({"type": "string", "pattern": HHMM.pattern, "example": "08:30"})
class LocalTimeField(serializers.Field):
    """A wall time as "HH:MM" (24-hour clock), in the member's time zone."""

    default_error_messages = {
        "invalid": "Give a time as HH:MM on the 24-hour clock, for example 08:30."
    }

    def to_internal_value(self, data: Any) -> time:
        if not isinstance(data, str) or not HHMM.match(data):
            self.fail("invalid")
        hours, minutes = data.split(":")
        return time(int(hours), int(minutes))

    def to_representation(self, value: time) -> str:
        return f"{value:%H:%M}"


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 6},
        "minItems": 1,
        "maxItems": 7,
        "uniqueItems": True,
        "description": "0 = Monday ... 6 = Sunday.",
        "example": [0, 1, 2, 3, 4],
    }
)
class DaysOfWeekField(serializers.Field):
    default_error_messages = {
        "invalid": "Give a list of days, each a number from 0 (Monday) to 6 (Sunday)."
    }

    def to_internal_value(self, data: Any) -> list[int]:
        if not isinstance(data, list) or any(
            isinstance(d, bool) or not isinstance(d, int) for d in data
        ):
            self.fail("invalid")
        return list(data)  # range, repeats and emptiness: the service names them

    def to_representation(self, value: list[int]) -> list[int]:
        return list(value)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": Channel.values},
        "minItems": 1,
        "maxItems": len(Channel.values),
        "uniqueItems": True,
        "example": ["in_app"],
    }
)
class ChannelsField(serializers.Field):
    default_error_messages = {
        "invalid": f"Give a list of channels from: {', '.join(Channel.values)}."
    }

    def to_internal_value(self, data: Any) -> list[str]:
        if not isinstance(data, list) or any(not isinstance(c, str) for c in data):
            self.fail("invalid")
        return list(data)

    def to_representation(self, value: list[str]) -> list[str]:
        return list(value)


# --- serializers ------------------------------------------------------------------------------


class ReminderInputSerializer(InputSerializer):
    read_from = "members.api.reminders.ReminderSerializer"

    local_time = LocalTimeField()
    days_of_week = DaysOfWeekField(required=False)
    channels = ChannelsField(required=False)
    enabled = TrueFalseField(required=False)
    skip_if_done = TrueFalseField(required=False)


class ReminderPatchSerializer(ReminderInputSerializer):
    local_time = LocalTimeField(required=False)


class ReminderSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    local_time = LocalTimeField(read_only=True)
    days_of_week = DaysOfWeekField(read_only=True)
    channels = ChannelsField(read_only=True)
    enabled = serializers.BooleanField(read_only=True)
    skip_if_done = serializers.BooleanField(read_only=True)
    timezone = serializers.CharField(read_only=True, help_text="The member's IANA time zone.")
    next_fire_at = serializers.DateTimeField(read_only=True, allow_null=True)


class PreferencesInputSerializer(InputSerializer):
    read_from = "members.api.reminders.PreferencesSerializer"

    quiet_hours_start = LocalTimeField(required=False, allow_null=True)
    quiet_hours_end = LocalTimeField(required=False, allow_null=True)
    sms_phone = serializers.CharField(
        required=False, allow_blank=True, max_length=max_length(MemberPreferences, "sms_phone")
    )


class PreferencesSerializer(serializers.Serializer[Any]):
    quiet_hours_start = LocalTimeField(read_only=True, allow_null=True)
    quiet_hours_end = LocalTimeField(read_only=True, allow_null=True)
    sms_phone = serializers.CharField(read_only=True)
    timezone = serializers.CharField(read_only=True)


def preferences_data(member: Member, preferences: MemberPreferences | None) -> dict[str, Any]:
    return {
        "quiet_hours_start": preferences.quiet_hours_start if preferences else None,
        "quiet_hours_end": preferences.quiet_hours_end if preferences else None,
        "sms_phone": preferences.sms_phone if preferences else "",
        "timezone": member.timezone,
    }


# --- reminders --------------------------------------------------------------------------------


class ReminderViewSet(viewsets.GenericViewSet[ReminderSchedule]):
    """A member's own reminders: `local_time` (HH:MM, their time zone), `days_of_week` (0 = Monday),
    `channels` (in_app, email, sms), `enabled`, `skip_if_done`. `preferences/` holds quiet hours
    and the number texts go to."""

    serializer_class = ReminderSerializer
    queryset = ReminderSchedule.objects.none()
    filter_backends = ()
    parser_classes = (JSONParser,)  # an empty form would read as "change nothing"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[ReminderSchedule]:
        return access.visible_reminders(self.request.user).order_by("local_time", "id")

    def list(self, request: Request) -> Response:
        access.own_member(request.user)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReminderSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(ReminderSerializer(self.get_object()).data)

    @extend_schema(request=ReminderInputSerializer, responses={201: ReminderSerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        member = access.own_member(request.user)
        form = ReminderInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        reminder = services.create_reminder(
            member=member, by=cast(User, request.user), **form.validated_data
        )
        return Response(ReminderSerializer(reminder).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReminderPatchSerializer, responses=ReminderSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        reminder = self.get_object()
        form = ReminderPatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        reminder = services.update_reminder(
            schedule=reminder, by=cast(User, request.user), **form.validated_data
        )
        return Response(ReminderSerializer(reminder).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.delete_reminder(schedule=self.get_object(), by=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        request=None,
        # 404: reminders do not exist for other roles (no id or body to add it automatically).
        responses={200: PreferencesSerializer, 404: ErrorSerializer},
        operation_id="reminder_preferences_retrieve",
    )
    @extend_schema(
        methods=["PATCH"],
        request=PreferencesInputSerializer,
        responses=PreferencesSerializer,
        operation_id="reminder_preferences_update",
    )
    @action(detail=False, methods=["get", "patch"], url_path="preferences")
    def preferences(self, request: Request) -> Response:
        """Quiet hours (both `quiet_hours_start` and `quiet_hours_end`, HH:MM, or both null;
        they may wrap midnight) and `sms_phone` (E.164). No reminder fires inside quiet hours."""
        member = access.own_member(request.user)
        prefs: MemberPreferences | None
        if request.method == "PATCH":
            form = PreferencesInputSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            prefs = services.update_preferences(
                member=member, by=cast(User, request.user), **form.validated_data
            )
        else:
            prefs = services.preferences_of(member)
        return Response(PreferencesSerializer(preferences_data(member, prefs)).data)


# --- notifications ----------------------------------------------------------------------------
