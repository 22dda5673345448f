"""The audit log: one append-only row per access to a member's health data and per login."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXPORT = "export", "Export"
    LOGIN_SUCCESS = "login_success", "Login succeeded"
    LOGIN_FAILURE = "login_failure", "Login failed"
    LOGIN_LOCKED = "login_locked", "Login refused: locked"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(models.Model):
    # Plain ids and a username snapshot, not foreign keys: the trail outlives the rows it names.
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, blank=True)
    organization_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    outcome = models.CharField(
        max_length=10, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    member_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, help_text="Made by the server.")
    client_request_id = models.CharField(
        max_length=64, blank=True, default="", help_text="X-Request-ID as the client sent it."
    )

    class Meta:
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=["user_id", "at"], name="audit_user_at")]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.object_type}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only.")


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an `Idempotency-Key`, replayed on a retry.

    The row is inserted before the work (status 0 = in flight) so that the unique constraint
    decides which of two racing requests does the work; the other answers 409.
    """

    IN_FLIGHT = 0

    user_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=IN_FLIGHT)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} → {self.status_code or 'in flight'}"
