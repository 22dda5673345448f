"""`{% load walking %}`: the compact walking-tolerance figure (latest week's median minutes to
leg symptoms and the trend arrow) for PT and staff tables."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("members/_walking_figure.html")
def walking_figure(walking: dict[int, Any] | Any, member_id: int | None = None) -> dict[str, Any]:
    """From a Tolerance, or from a mapping member id → Tolerance and the member's id."""
    if isinstance(walking, dict):
        found = walking.get(member_id) if member_id is not None else None
    else:
        found = walking
    return {"walking": found}
