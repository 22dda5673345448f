"""A member's conversation with their care team: the thread, its messages and read markers."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

MAX_TEXT_LENGTH = 4000


def message_image_path(instance: Message, filename: str) -> str:
    # Private: served only through the API to the thread's participants, never from MEDIA_URL
    # listings; the name is random so that it cannot be guessed.
    return f"messages/{instance.thread_id}/{filename}"


class AuthorSide(models.TextChoices):
    MEMBER = "member", "Member"
    CARE_TEAM = "care_team", "Care team"


class Thread(models.Model):
    """One conversation per member, with whoever is on their care team at the time."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="message_thread"
    )
    # Bumped (F() + 1) in the transaction of every change a reader would see: a new message, a
    # withdrawal, a read marker moving. The ETag of the thread's messages is built from it, so
    # a poll costs one query and answers 304 until something changed.
    version = models.PositiveBigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-last_message_at", "-id")
        indexes = [models.Index(fields=["-last_message_at"], name="thread_recent")]

    def __str__(self) -> str:
        return f"Thread of member {self.member_id}"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_written"
    )
    # Which side wrote it, fixed when written (the author's role may change later).
    side = models.CharField(max_length=10, choices=AuthorSide.choices)
    client_id = models.UUIDField(default=uuid.uuid4)
    text = models.TextField(max_length=MAX_TEXT_LENGTH, blank=True)
    exercise = models.ForeignKey(
        "programs.Exercise", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    image = models.ImageField(upload_to=message_image_path, blank=True)
    image_width = models.PositiveIntegerField(default=0)
    image_height = models.PositiveIntegerField(default=0)
    thumbnail = models.ImageField(upload_to=message_image_path, blank=True)
    # A red-flag finding in a member's text: the emergency guidance was shown and an alert raised.
    red_flag = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("thread", "id")
        constraints = [
            # A retry of the same send (same author, same client_id) finds the first message.
            models.UniqueConstraint(fields=["author", "client_id"], name="message_author_client"),
            models.CheckConstraint(
                condition=Q(side__in=[s.value for s in AuthorSide]), name="message_side_valid"
            ),
        ]
        indexes = [models.Index(fields=["thread", "side", "id"], name="message_thread_side")]

    def __str__(self) -> str:
        return f"Message {self.pk} in thread {self.thread_id}"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ReadMarker(models.Model):
    """How far a participant has read a thread: every message up to `last_read_id`."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_markers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=10, choices=AuthorSide.choices)
    last_read_id = models.PositiveBigIntegerField(default=0)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="read_marker_thread_user"),
        ]
        indexes = [models.Index(fields=["user", "thread"], name="read_marker_user")]

    def __str__(self) -> str:
        return f"{self.user_id} read thread {self.thread_id} up to {self.last_read_id}"
