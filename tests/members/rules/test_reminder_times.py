"""When reminders fire, against hand-worked daylight saving cases in three zones, and a property
test over the transitions: one fire per chosen local date, never two, never none.

2025 transitions used (local wall times):
- America/New_York: Sun 9 March 02:00 EST -> 03:00 EDT (07:00Z); Sun 2 November 02:00 EDT ->
  01:00 EST (06:00Z), so 01:00-01:59 happens twice.
- Europe/Berlin: Sun 30 March 02:00 CET -> 03:00 CEST (01:00Z); Sun 26 October 03:00 CEST ->
  02:00 CET (01:00Z), so 02:00-02:59 happens twice.
- Australia/Sydney: Sun 6 April 03:00 AEDT -> 02:00 AEST (16:00Z on the 5th); Sun 5 October
  02:00 AEST -> 03:00 AEDT (16:00Z on the 4th).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from members.rules.reminder_times import (
    days_to_mask,
    exists,
    fire_instant,
    in_quiet_hours,
    is_ambiguous,
    mask_to_days,
    next_fire,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")
EVERY_DAY = range(7)


def z(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fires(start: datetime, at: time, tz: ZoneInfo, count: int, days=EVERY_DAY):
    """The next `count` fires after `start`, each computed from the previous one."""
    out = []
    after = start
    for _ in range(count):
        found = next_fire(after=after, at=at, days=days, tz=tz)
        assert found is not None
        out.append(found)
        after = found[0]
    return out


# --- hand-worked: spring forward (the wall time does not exist) ------------------------------


def test_new_york_0230_on_the_spring_forward_day_fires_once_at_0300() -> None:
    assert not exists(date(2025, 3, 9), time(2, 30), NEW_YORK)
    assert fires(z(2025, 3, 7, 12), time(2, 30), NEW_YORK, 3) == [
        (z(2025, 3, 8, 7, 30), date(2025, 3, 8)),  # 02:30 EST
        (z(2025, 3, 9, 7, 0), date(2025, 3, 9)),  # no 02:30: 03:00 EDT, the first valid time
        (z(2025, 3, 10, 6, 30), date(2025, 3, 10)),  # 02:30 EDT
    ]
    assert z(2025, 3, 9, 7).astimezone(NEW_YORK).time() == time(3, 0)


def test_berlin_0230_on_the_spring_forward_day_fires_once_at_0300() -> None:
    assert fires(z(2025, 3, 28, 12), time(2, 30), BERLIN, 3) == [
        (z(2025, 3, 29, 1, 30), date(2025, 3, 29)),  # 02:30 CET (+1)
        (z(2025, 3, 30, 1, 0), date(2025, 3, 30)),  # 03:00 CEST (+2)
        (z(2025, 3, 31, 0, 30), date(2025, 3, 31)),  # 02:30 CEST
    ]


def test_sydney_0215_on_the_spring_forward_day_fires_at_0300() -> None:
    # 5 October 2025: 02:00 AEST (+10) jumps to 03:00 AEDT (+11) = 16:00Z on the 4th.
    assert fires(z(2025, 10, 3, 12), time(2, 15), SYDNEY, 3) == [
        (z(2025, 10, 3, 16, 15), date(2025, 10, 4)),
        (z(2025, 10, 4, 16, 0), date(2025, 10, 5)),
        (z(2025, 10, 5, 15, 15), date(2025, 10, 6)),
    ]


def test_the_first_minute_of_the_gap_and_the_first_after_it() -> None:
    day = date(2025, 3, 30)
    assert fire_instant(day, time(2, 0), BERLIN) == z(2025, 3, 30, 1, 0)
    assert fire_instant(day, time(2, 59), BERLIN) == z(2025, 3, 30, 1, 0)
    assert fire_instant(day, time(3, 0), BERLIN) == z(2025, 3, 30, 1, 0)
    assert fire_instant(day, time(1, 59), BERLIN) == z(2025, 3, 30, 0, 59)


# --- hand-worked: fall back (the wall time happens twice) ------------------------------------


def test_new_york_0130_on_the_fall_back_day_fires_once_at_the_first_0130() -> None:
    assert is_ambiguous(date(2025, 11, 2), time(1, 30), NEW_YORK)
    result = fires(z(2025, 10, 31, 12), time(1, 30), NEW_YORK, 3)
    assert result == [
        (z(2025, 11, 1, 5, 30), date(2025, 11, 1)),  # 01:30 EDT (-4)
        (z(2025, 11, 2, 5, 30), date(2025, 11, 2)),  # the first 01:30, EDT (fold=0)
        (z(2025, 11, 3, 6, 30), date(2025, 11, 3)),  # 01:30 EST (-5): 25 hours later
    ]
    # Not at the second 01:30 (06:30Z on the 2nd): the next fire after the first is a day on.
    assert next_fire(after=z(2025, 11, 2, 5, 30), at=time(1, 30), days=EVERY_DAY, tz=NEW_YORK) == (
        z(2025, 11, 3, 6, 30),
        date(2025, 11, 3),
    )


def test_berlin_0230_on_the_fall_back_day_fires_once_at_the_first_0230() -> None:
    assert is_ambiguous(date(2025, 10, 26), time(2, 30), BERLIN)
    assert not is_ambiguous(date(2025, 10, 26), time(3, 0), BERLIN)
    assert fires(z(2025, 10, 24, 12), time(2, 30), BERLIN, 3) == [
        (z(2025, 10, 25, 0, 30), date(2025, 10, 25)),  # CEST (+2)
        (z(2025, 10, 26, 0, 30), date(2025, 10, 26)),  # the first 02:30, CEST
        (z(2025, 10, 27, 1, 30), date(2025, 10, 27)),  # CET (+1)
    ]


def test_sydney_0230_on_the_fall_back_day_fires_at_the_first_0230() -> None:
    # 6 April 2025: 03:00 AEDT (+11) goes back to 02:00 AEST (+10).
    assert fires(z(2025, 4, 4, 12), time(2, 30), SYDNEY, 3) == [
        (z(2025, 4, 4, 15, 30), date(2025, 4, 5)),
        (z(2025, 4, 5, 15, 30), date(2025, 4, 6)),  # 02:30 AEDT, not 16:30Z (AEST)
        (z(2025, 4, 6, 16, 30), date(2025, 4, 7)),
    ]


def test_an_ordinary_morning_time_keeps_its_wall_time_across_the_change() -> None:
    result = fires(z(2025, 3, 7, 20), time(8, 0), NEW_YORK, 3)
    assert [instant.astimezone(NEW_YORK).time() for instant, _ in result] == [time(8, 0)] * 3
    assert [instant for instant, _ in result] == [
        z(2025, 3, 8, 13),
        z(2025, 3, 9, 12),
        z(2025, 3, 10, 12),
    ]


# --- days of the week and edges ---------------------------------------------------------------


def test_only_the_chosen_weekdays_fire() -> None:
    # Friday 7 March 2025, 20:00 New York: weekdays only, 07:00 -> Monday 10th, then Tuesday.
    result = fires(z(2025, 3, 8, 1), time(7, 0), NEW_YORK, 2, days=[0, 1, 2, 3, 4])
    assert [local for _, local in result] == [date(2025, 3, 10), date(2025, 3, 11)]


def test_a_time_later_today_fires_today_and_one_just_past_fires_tomorrow() -> None:
    now = z(
        2025,
        6,
        2,
        12,
        0,
    )  # 08:00 EDT, Monday
    assert next_fire(after=now, at=time(8, 1), days=EVERY_DAY, tz=NEW_YORK) == (
        z(2025, 6, 2, 12, 1),
        date(2025, 6, 2),
    )
    assert next_fire(after=now, at=time(8, 0), days=EVERY_DAY, tz=NEW_YORK) == (
        z(2025, 6, 3, 12, 0),
        date(2025, 6, 3),
    )


def test_no_day_chosen_never_fires_and_naive_times_are_refused() -> None:
    assert next_fire(after=z(2025, 6, 2, 12), at=time(8), days=[], tz=NEW_YORK) is None
    with pytest.raises(ValueError, match="aware"):
        next_fire(after=datetime(2025, 6, 2, 12), at=time(8), days=EVERY_DAY, tz=NEW_YORK)


def test_days_mask_round_trip() -> None:
    assert days_to_mask([0, 2, 6]) == 0b1000101
    assert mask_to_days(0b1000101) == [0, 2, 6]
    assert mask_to_days(days_to_mask(range(7))) == list(range(7))


@pytest.mark.parametrize(
    ("at", "start", "end", "quiet"),
    [
        (time(23, 30), time(22), time(7), True),
        (time(6, 59), time(22), time(7), True),
        (time(7, 0), time(22), time(7), False),
        (time(21, 59), time(22), time(7), False),
        (time(22, 0), time(22), time(7), True),
        (time(13, 0), time(12), time(14), True),
        (time(14, 0), time(12), time(14), False),
        (time(3, 0), None, None, False),
    ],
)
def test_quiet_hours_wrap_midnight_and_end_exclusive(at, start, end, quiet) -> None:
    assert in_quiet_hours(at, start, end) is quiet


# --- property: one fire per chosen local date across transitions ------------------------------

ZONES = ["America/New_York", "Europe/Paris", "Europe/Berlin", "Australia/Sydney"]
TRANSITIONS = [
    z(2025, 3, 9, 7),
    z(2025, 11, 2, 6),
    z(2025, 3, 30, 1),
    z(2025, 10, 26, 1),
    z(2025, 4, 5, 16),
    z(2025, 10, 4, 16),
    z(2026, 3, 8, 7),
    z(2026, 3, 29, 1),
]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    transition=st.sampled_from(TRANSITIONS),
    offset_hours=st.integers(min_value=-60, max_value=12),
    minute_of_day=st.integers(min_value=0, max_value=24 * 60 - 1),
    days=st.sets(st.integers(min_value=0, max_value=6), min_size=1),
)
def test_one_fire_per_chosen_local_date_across_transitions(
    zone: str, transition: datetime, offset_hours: int, minute_of_day: int, days: set[int]
) -> None:
    tz = ZoneInfo(zone)
    at = time(minute_of_day // 60, minute_of_day % 60)
    start = transition + timedelta(hours=offset_hours)
    result = fires(start, at, tz, 10, days=days)
    instants = [instant for instant, _ in result]
    dates = [local for _, local in result]
    assert instants == sorted(instants) and len(set(instants)) == len(instants)
    assert len(set(dates)) == len(dates)
    # No chosen date is skipped between two fires, and only chosen weekdays fire.
    first = next_fire(after=start, at=at, days=days, tz=tz)
    assert first is not None
    expected: list[date] = []
    day = first[1]
    while len(expected) < 10:
        if day.weekday() in days:
            expected.append(day)
        day += timedelta(days=1)
    assert dates == expected
    for instant, local in result:
        wall = instant.astimezone(tz)
        assert wall.date() == local
        if exists(local, at, tz):
            assert wall.time() == at
            # The first of two occurrences: nothing earlier that day shows this wall time.
            assert wall.utcoffset() == datetime.combine(local, at, tzinfo=tz).utcoffset()
        else:
            # The first valid time after the gap: a minute earlier is still before the gap.
            assert wall.time() > at
            assert (instant - timedelta(minutes=1)).astimezone(tz).time() < at
