"""seed_demo's "reminders" step: a reminder for every demo member at varied times in their own
zones, a few inbox notifications, nothing twice when run again."""

from __future__ import annotations

import pytest

from members.demo.reminders import seed_demo_reminders
from members.models import MemberPreferences, Notification, ReminderSchedule
from tests import factories


@pytest.mark.django_db
def test_every_demo_member_gets_one_reminder_and_the_step_is_idempotent() -> None:
    demo = factories.OrganizationFactory.create(slug="demo-clinic")
    elsewhere = factories.OrganizationFactory.create(slug="real-clinic")
    zones = ["America/New_York", "Europe/Paris", "America/Los_Angeles", "Pacific/Honolulu"]
    members = [
        factories.MemberFactory.create(
            user__organization=demo, user__username=name, user__email=f"{name}@example.org",
            timezone=zones[n % len(zones)],
        )
        for n, name in enumerate(["demo_member", "demo_member2", "member01", "member02", "m3"])
    ]  # fmt: skip
    stranger = factories.MemberFactory.create(user__organization=elsewhere)

    assert seed_demo_reminders(say=lambda _: None) == 5
    assert seed_demo_reminders(say=lambda _: None) == 0

    schedules = ReminderSchedule.objects.all()
    assert {s.member_id for s in schedules} == {m.pk for m in members}
    assert not schedules.filter(member=stranger).exists()
    assert len({s.local_time for s in schedules}) >= 4
    assert len({s.timezone for s in schedules}) == 4
    assert all(s.next_fire_at is not None for s in schedules)
    assert schedules.filter(channels__icontains="email").exists()
    assert MemberPreferences.objects.exclude(quiet_hours_start=None).exists()
    inbox = Notification.objects.filter(user__username="demo_member")
    assert inbox.count() == 2 and inbox.filter(read_at=None).count() == 1
    assert Notification.objects.filter(user__username="demo_member2").count() == 1
