"""`{% load lessons %}`: "lessons read" beside a member's figures (read/assigned)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def lessons_read(progress: dict[int, Any] | None, member_id: int) -> str:
    """`{{ lesson_progress|lessons_read:member.pk }}`: "2/6", or a dash with none assigned."""
    found = (progress or {}).get(member_id)
    return found.label if found is not None else "\u2013"  # an en dash, as the tables use
