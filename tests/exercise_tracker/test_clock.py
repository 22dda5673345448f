"""One clock: a member's date in their zone, a clinic's date in its organization's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from exercise_tracker import clock
from tests import factories

# 03:30 UTC on 2 June is still 1 June in Los Angeles and already 2 June in Berlin.
NOW = datetime(2025, 6, 2, 3, 30, tzinfo=UTC)


def test_local_today_in_a_zone_given_by_name_or_tzinfo() -> None:
    assert clock.local_today("America/Los_Angeles", NOW) == date(2025, 6, 1)
    assert clock.local_today(ZoneInfo("Europe/Berlin"), NOW) == date(2025, 6, 2)
    assert clock.local_today("Not/AZone", NOW) == date(2025, 6, 2)  # UTC, not an error
    assert clock.local_todays({1: "America/Los_Angeles", 2: "UTC"}, NOW) == {
        1: date(2025, 6, 1),
        2: date(2025, 6, 2),
    }


@pytest.mark.django_db
def test_member_and_clinic_dates() -> None:
    organization = factories.OrganizationFactory.create(timezone="Europe/Berlin")
    member = factories.MemberFactory.create(
        user__organization=organization, timezone="America/Los_Angeles"
    )
    pt = factories.TherapistFactory.create(user__organization=organization)
    assert clock.local_today(member, NOW) == date(2025, 6, 1)
    # Review dates and billing months are the clinic's, whoever asks.
    for subject in (organization, pt.user, member, member.user):
        assert clock.clinic_today(subject, NOW) == date(2025, 6, 2), subject
    assert clock.clinic_today(factories.staff_user(), NOW) == date(2025, 6, 2)
