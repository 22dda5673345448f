"""A PT's saved replies."""

from __future__ import annotations

from django.db import models

from .threads import MAX_TEXT_LENGTH

TITLE_MAX_LENGTH = 80


class ReplyTemplate(models.Model):
    therapist = models.ForeignKey(
        "members.Therapist", on_delete=models.CASCADE, related_name="reply_templates"
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    text = models.TextField(max_length=MAX_TEXT_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("therapist", "title", "id")

    def __str__(self) -> str:
        return self.title
