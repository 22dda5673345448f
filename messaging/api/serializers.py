"""Shapes of the messaging API: input serializers (unknown fields refused) and the output
serializers that document answers built from rows in memory (messaging.api.views)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from exercise_tracker.api import StrictIntegerField
from exercise_tracker.inputs import InputSerializer
from members.api.walks import EmergencyGuidanceSerializer
from members.models.adherence import MAX_REVIEW_MINUTES
from messaging.models import MAX_TEXT_LENGTH
from messaging.models.templates import TITLE_MAX_LENGTH

# --- output -----------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The user's id.")
    name = serializers.CharField()


class AuthorSerializer(PersonSerializer):
    # A plain string in the schema: an enum named "side" would collide with the plan's sides.
    side = serializers.CharField(help_text='"member" or "care_team".')


class MessageExerciseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ImageRefSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(help_text="The picture (EXIF removed), for the thread's readers.")
    thumbnail = serializers.CharField(
        allow_null=True, help_text="480 px WebP; null until made (a moment after sending)."
    )
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class MessageSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    thread = serializers.IntegerField()
    client_id = serializers.UUIDField()
    author = AuthorSerializer()
    text = serializers.CharField(help_text='"" once withdrawn.')
    exercise = MessageExerciseSerializer(allow_null=True, help_text="On the member's plan.")
    image = ImageRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    withdrawn = serializers.BooleanField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawable_until = serializers.DateTimeField(
        allow_null=True, help_text="The sender may withdraw it until then (null: not theirs)."
    )
    seen = serializers.BooleanField(help_text="The other side has read it.")


class SentMessageSerializer(MessageSerializer):
    emergency_guidance = EmergencyGuidanceSerializer(
        allow_null=True,
        help_text="Set when a member's message mentions red-flag symptoms: show it at once.",
    )


class MessagePageSerializer(serializers.Serializer[Any]):
    next = serializers.CharField(allow_null=True, help_text="Newer messages (after the page).")
    previous = serializers.CharField(allow_null=True, help_text="Older messages.")
    results = MessageSerializer(many=True)


class ThreadSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    member = PersonSerializer(help_text="id: the member's id")
    unread = serializers.IntegerField(help_text="Messages of the other side you have not read.")
    last_message_id = serializers.IntegerField(allow_null=True)
    last_message_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(help_text="Changes whenever the conversation does.")


class ThreadTherapistSerializer(PersonSerializer):
    credentials = serializers.CharField()


class ThreadDetailSerializer(ThreadSerializer):
    care_team = ThreadTherapistSerializer(many=True)
    my_last_read_id = serializers.IntegerField()
    not_for_emergencies = serializers.CharField()
    working_hours = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.CharField())),
        help_text='{"monday": [["09:00", "17:00"]], ...}; a day missing or empty is closed.',
    )
    clinic_timezone = serializers.CharField()
    withdraw_window_seconds = serializers.IntegerField()


class ReadSerializer(serializers.Serializer[Any]):
    thread = serializers.IntegerField()
    last_read_id = serializers.IntegerField()
    unread = serializers.IntegerField()


class ReviewTimeOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    member = serializers.IntegerField()
    date = serializers.DateField()
    minutes = serializers.IntegerField()
    source = serializers.CharField()  # type: ignore[assignment]
    note = serializers.CharField()


class ReplyTemplateSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class WorkingHoursSerializer(serializers.Serializer[Any]):
    organization = serializers.IntegerField()
    timezone = serializers.CharField()
    hours = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    )


# --- input ------------------------------------------------------------------------------------


class ThreadOpenInput(InputSerializer):
    read_from = ThreadSerializer
    member = StrictIntegerField(required=False, help_text="PT: a member of their caseload.")


class MessageInput(InputSerializer):
    read_from = MessageSerializer
    client_id = serializers.UUIDField(help_text="Made by the client once per message.")
    text = serializers.CharField(
        max_length=MAX_TEXT_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        trim_whitespace=False,
    )
    exercise = StrictIntegerField(required=False, allow_null=True, default=None)
    image = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Multipart only: a PNG, JPEG or WebP, at most 10 MB and 40 megapixels.",
    )


class ReadInput(InputSerializer):
    read_from = ReadSerializer
    up_to = StrictIntegerField(required=False, allow_null=True, default=None)


class LogTimeInput(InputSerializer):
    minutes = StrictIntegerField(min_value=1, max_value=MAX_REVIEW_MINUTES)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReplyTemplateInput(InputSerializer):
    read_from = ReplyTemplateSerializer
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    text = serializers.CharField(max_length=MAX_TEXT_LENGTH)


class ReplyTemplatePatchInput(InputSerializer):
    read_from = ReplyTemplateSerializer
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH, required=False)
    text = serializers.CharField(max_length=MAX_TEXT_LENGTH, required=False)


class WorkingHoursInput(InputSerializer):
    read_from = WorkingHoursSerializer
    hours = serializers.JSONField()
