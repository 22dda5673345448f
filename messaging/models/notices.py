"""Email and text-message notices of unread messages: delayed, batched, outside quiet hours."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .threads import Thread


class NoticeStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not needed (read in time)"
    FAILED = "failed", "Failed"


class MessageNotice(models.Model):
    """One notice to one recipient for the messages of a thread they have not read.

    A first unread message opens a pending notice due after the delay; later messages join it
    (one notice for several messages). `key` is the delivery key: unique, so that a task run
    twice sends once.
    """

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="notices")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=80, unique=True)
    first_message_id = models.PositiveBigIntegerField()
    last_message_id = models.PositiveBigIntegerField()
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    channels_sent = models.JSONField(default=list, blank=True)
    channel_errors = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("due_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "recipient"],
                condition=Q(status="pending"),
                name="message_notice_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Notice {self.key} ({self.status})"
