"""The demo conversations: written once (a second run adds nothing), some unread."""

from __future__ import annotations

import pytest

from members.models import Organization
from messaging.demo import seed_demo_messages
from messaging.models import Message, ReadMarker, Thread
from messaging.selectors import threads as selectors
from tests import factories
from tests.members.sessions_helpers import plan_with_items

pytestmark = pytest.mark.django_db


def test_demo_conversations_are_written_once_with_some_unread() -> None:
    org = factories.OrganizationFactory.create(slug="demo-clinic", name="Demo Clinic")
    pt = factories.TherapistFactory.create(user__organization=org)
    members = []
    for _ in range(3):
        member = factories.MemberFactory.create(user__organization=org)
        factories.CareAssignmentFactory.create(member=member, therapist=pt)
        plan_with_items(pt=pt, member=member, n=2)
        members.append(member)
    assert seed_demo_messages(say=lambda _: None) == 3
    counts = (Thread.objects.count(), Message.objects.count(), ReadMarker.objects.count())
    assert seed_demo_messages(say=lambda _: None) == 0
    assert (Thread.objects.count(), Message.objects.count(), ReadMarker.objects.count()) == counts
    unread = selectors.unread_count(pt.user) + sum(selectors.unread_count(m.user) for m in members)
    assert unread >= 1
    assert Message.objects.filter(exercise__isnull=False).exists()
    assert not Organization.objects.exclude(slug="demo-clinic").exists()
