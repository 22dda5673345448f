"""What day it is: the one place that turns "now" into a local date.

A member's dates (sessions, the schedule, questionnaires due) are in the member's own time zone;
a clinic's dates (review time, billing months) are in the organization's.
A zone name that is not a valid IANA name (an old row, a typo in the admin) reads as UTC rather
than failing a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from django.utils import timezone

# The zone of an IANA name, UTC for an unknown one: a pure rule, kept with the reminder times.
from members.rules.reminder_times import zone

__all__ = [
    "DAY_NAMES",
    "DAY_NAMES_SHORT",
    "clinic_today",
    "local_date",
    "local_today",
    "local_todays",
    "zone",
]

# Weekdays as stored (0 is Monday, as date.weekday()), in the words pages and handouts use.
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_NAMES_SHORT = tuple(name[:3] for name in DAY_NAMES)


def _zone_of(member_or_tz: Any) -> tzinfo:
    if isinstance(member_or_tz, tzinfo):
        return member_or_tz
    if member_or_tz is None or isinstance(member_or_tz, str):
        return zone(member_or_tz or "UTC")
    # A member (or anything with a `timezone` name): read the name, never fail on a bad one.
    return zone(getattr(member_or_tz, "timezone", None) or "UTC")


def local_date(member_or_tz: Any, at: datetime) -> date:
    """The date `at` falls on for a member (or in a zone, given as a tzinfo or a name)."""
    return timezone.localtime(at, _zone_of(member_or_tz)).date()


def local_today(member_or_tz: Any, now: datetime | None = None) -> date:
    """The member's (or zone's) date now, or at `now`."""
    return local_date(member_or_tz, now or timezone.now())


def local_todays(zones: Mapping[int, str], now: datetime | None = None) -> dict[int, date]:
    """id → the local date at `now` of the zone named for it (one conversion per distinct zone)."""
    moment = now or timezone.now()
    by_zone: dict[str, date] = {}
    result = {}
    for key, name in zones.items():
        if name not in by_zone:
            by_zone[name] = local_date(name, moment)
        result[key] = by_zone[name]
    return result


def organization_of(subject: Any) -> Any:
    """The organization of an organization, a user, or a member (None for staff without one)."""
    if subject is None:
        return None
    if hasattr(subject, "user") and not hasattr(subject, "role"):  # a member or therapist
        subject = subject.user
    if hasattr(subject, "role"):  # a user
        return getattr(subject, "organization", None)
    return subject


def clinic_today(organization_or_user: Any, now: datetime | None = None) -> date:
    """The clinic's date now (or at `now`): in the organization's zone, for an organization, a
    user or a member; UTC for staff, who belong to none."""
    organization = organization_of(organization_or_user)
    return local_today(getattr(organization, "timezone", None), now)
