"""`{% load safety %}`: the red flags, the stop rule and the pain advice, worded once in
members.rules.safety, for every member page."""

from __future__ import annotations

from typing import Any

from django import template

from members.rules import safety

register = template.Library()


@register.inclusion_tag("members/_red_flags.html")
def red_flags(*, stop_rule: bool = True) -> dict[str, Any]:
    """The red-flag box (and the stop rule above it unless stop_rule=False)."""
    return {
        "lead": safety.RED_FLAG_LEAD,
        "signs": safety.RED_FLAG_SIGNS,
        "action": safety.RED_FLAG_ACTION,
        "stop_rule": safety.STOP_RULE if stop_rule else "",
    }


@register.inclusion_tag("members/_pain_advice.html")
def pain_advice(*, shown: bool = False) -> dict[str, Any]:
    """The advice after a painful session: hidden until the today page's script (or the
    page itself, after a form post) shows it. Carries the alert's thresholds for the script."""
    return {
        "advice": safety.PAIN_ADVICE,
        "shown": shown,
        "after": safety.PAIN_SPIKE_AFTER,
        "rise": safety.PAIN_SPIKE_RISE,
    }


@register.simple_tag
def stop_rule() -> str:
    return safety.STOP_RULE
