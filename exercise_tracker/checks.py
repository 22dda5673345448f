"""System checks for settings that are easy to get half right."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def proxy_settings(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Behind a proxy without a trusted-proxy count, every client has the proxy's address: one
    client's failed sign-ins lock the address for everyone, and rate limits are shared."""
    if getattr(settings, "BEHIND_PROXY", False) and not getattr(settings, "TRUSTED_PROXY_COUNT", 0):
        return [
            Warning(
                "DJANGO_BEHIND_PROXY is set without DJANGO_TRUSTED_PROXY_COUNT: client addresses "
                "are the proxy's, so lockout and rate limits count every client together.",
                hint="Set DJANGO_TRUSTED_PROXY_COUNT to the number of proxies that append to "
                "X-Forwarded-For in front of the app (usually 1).",
                id="exercise_tracker.W001",
            )
        ]
    return []
