"""seed_demo's "walks and leg symptoms" step: weeks of varied walks and weekly check-ins for the
demo members with stenosis (improving, flat, one worsening whose rows raise the PT's alerts),
nothing added when run again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from members.demo.walks import seed_demo_walks
from members.models import Alert, AlertKind, SymptomCheck, Walk
from members.selectors import walks as selectors
from tests import factories
from tests.members.sessions_helpers import local_today, plan_with_items


@pytest.mark.django_db
def test_walks_are_varied_by_pattern_raise_alerts_and_are_seeded_once() -> None:
    demo = factories.OrganizationFactory.create(slug="demo-clinic")
    pt = factories.TherapistFactory.create(user__organization=demo, user__username="demo_pt")
    names = ["demo_member", "member02", "member09", "member10"]
    members = {}
    for name in names:
        member = factories.MemberFactory.create(
            user__organization=demo, user__username=name, condition="lumbar_spinal_stenosis"
        )
        factories.CareAssignmentFactory.create(member=member, therapist=pt)
        plan_with_items(pt=pt, member=member, n=1, start=local_today(member) - timedelta(days=60))
        members[name] = member
    other = factories.MemberFactory.create(user__organization=demo, condition="hip")
    factories.CareAssignmentFactory.create(member=other, therapist=pt)
    plan_with_items(pt=pt, member=other, n=1)

    written = seed_demo_walks(say=lambda _: None)
    counts = (Walk.objects.count(), SymptomCheck.objects.count(), Alert.objects.count())
    assert written == counts[0] > 4 * 8 * 3  # three or more walks a week for eight weeks
    assert seed_demo_walks(say=lambda _: None) == 0
    assert (Walk.objects.count(), SymptomCheck.objects.count(), Alert.objects.count()) == counts
    assert not Walk.objects.filter(member=other).exists()

    # member02 is the first of demo_pt's caseload after demo_member: the one worsening.
    worsening = members["member02"]
    kinds = set(Alert.objects.filter(member=worsening).values_list("kind", flat=True))
    assert kinds == {
        AlertKind.WALK_TOLERANCE_DROP,
        AlertKind.NUMBNESS_SPREADING,
        AlertKind.SYMPTOMS_WORSE,
    }
    assert not Alert.objects.exclude(member=worsening).exists()
    trends = {
        name: selectors.tolerance(m, start=local_today(m) - timedelta(weeks=8), end=local_today(m))
        for name, m in members.items()
    }
    assert trends["demo_member"].trend == "up"
    latest = trends["member02"].latest
    assert latest is not None
    assert latest["median"] < trends["member02"].weeks[-3]["median"] / 2
    # Real scatter, not a canned series: many different values, walks with no symptoms too.
    minutes = set(Walk.objects.values_list("minutes_to_symptoms", flat=True))
    assert len(minutes) > 10 and None in minutes
    assert Walk.objects.filter(distance_m__isnull=False).exists()
    # demo_member's weekly check-in is due today; nobody checked in in the future.
    assert selectors.check_due(members["demo_member"])
    assert not selectors.check_due(members["member09"])
    assert not Walk.objects.filter(local_date__gt=local_today(members["member09"])).exists()
