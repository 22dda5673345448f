"""When a reminder fires: local wall time and IANA zone to UTC instants, across daylight saving.

Pure functions (no Django, no database). Rules, one fire per local date:

- a wall time that does not exist that day (spring forward: 02:30 in New York on the second
  Sunday of March) fires at the first valid time after the gap (03:00), once;
- a wall time that happens twice (fall back: 01:30 on the first Sunday of November) fires at
  the first of the two (PEP 495 fold=0), once: the next fire is computed from the next local
  date, never from the instant, so the repeated hour cannot fire it again.

Celery's crontab is not used per member: it has misfired across these changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ALL_DAYS = tuple(range(7))
UTC_ZONE = ZoneInfo("UTC")


def zone(name: str) -> ZoneInfo:
    """The IANA zone by name; UTC for a name this machine's tz database lacks (a zone removed
    from tzdata, a bad row), so that one member's data never stops everyone's reminders."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def days_to_mask(days: Iterable[int]) -> int:
    mask = 0
    for day in days:
        mask |= 1 << day
    return mask


def mask_to_days(mask: int) -> list[int]:
    return [day for day in range(7) if mask & (1 << day)]


def exists(day: date, at: time, tz: ZoneInfo) -> bool:
    """Whether the wall time `at` happens on `day` in `tz` (False inside a spring-forward gap)."""
    local = datetime.combine(day, at, tzinfo=tz)
    back = local.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def is_ambiguous(day: date, at: time, tz: ZoneInfo) -> bool:
    """Whether the wall time happens twice on `day` (inside a fall-back repeated hour)."""
    first = datetime.combine(day, at, tzinfo=tz)
    second = first.replace(fold=1)
    return exists(day, at, tz) and first.utcoffset() != second.utcoffset()


def _gap_end(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant a spring-forward gap containing `at` ends: the first valid wall time."""
    # fold=0 and fold=1 read the missing wall time with the offsets before and after the
    # change; the change itself lies between the two instants. Search it to the second.
    candidates = sorted(
        datetime.combine(day, at, tzinfo=tz).replace(fold=fold).astimezone(UTC) for fold in (0, 1)
    )
    low, high = candidates
    after = high.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def fire_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant a reminder set for `at` fires on the local date `day`."""
    if not exists(day, at, tz):
        return _gap_end(day, at, tz)
    # fold=0: the first of two occurrences on a fall-back day (and the only one otherwise).
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(UTC)


def next_fire(
    *, after: datetime, at: time, days: Iterable[int], tz: ZoneInfo
) -> tuple[datetime, date] | None:
    """The first fire strictly after the aware instant `after`: (UTC instant, local date).

    None when no day of the week is chosen. A local date's fire instant grows with the date,
    so scanning dates forward from the day before `after` finds the earliest one.
    """
    if after.tzinfo is None:
        raise ValueError("`after` must be an aware datetime")
    wanted = set(days)
    if not wanted:
        return None
    start = after.astimezone(tz).date() - timedelta(days=1)
    for offset in range(9):  # a week, the day before, and one to spare
        day = start + timedelta(days=offset)
        if day.weekday() not in wanted:
            continue
        instant = fire_instant(day, at, tz)
        if instant > after:
            return instant, day
    return None  # pragma: no cover - 8 consecutive dates always hold every weekday


def local_date_of(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def in_quiet_hours(at: time, start: time | None, end: time | None) -> bool:
    """Whether the wall time `at` is inside quiet hours [start, end); start > end wraps midnight
    (22:00-07:00 covers 23:30 and 06:59, not 07:00)."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end
