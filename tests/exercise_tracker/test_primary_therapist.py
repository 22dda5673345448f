"""The member's primary PT on a date: one definition (access.primary_therapist and its Q), read
by alerts, reminders, dashboards, the handout and the seeds. An assignment with an end date
still ahead is in force until that date (it used to be missed where "open" meant "no end date")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from exercise_tracker import access
from members.models import AlertKind, Member
from members.services import alerts
from members.services.alerts import Finding
from tests import factories

pytestmark = pytest.mark.django_db


def today() -> date:
    """Today when the test runs, not when the module was imported (a run may cross midnight)."""
    return timezone.now().date()


def test_an_assignment_ending_later_is_in_force_until_its_end_date() -> None:
    assignment = factories.CareAssignmentFactory.create(end_date=today() + timedelta(days=10))
    member, pt = assignment.member, assignment.therapist

    assert access.primary_therapist(member) == pt
    assert access.primary_therapist(member.pk, on=today() + timedelta(days=9)) == pt
    # The end date is exclusive: from that day on the member has no primary PT.
    assert access.primary_therapist(member, on=today() + timedelta(days=10)) is None
    # Nor before the assignment started.
    assert access.primary_therapist(member, on=assignment.start_date - timedelta(days=1)) is None


def test_the_subquery_and_the_function_agree() -> None:
    ending = factories.CareAssignmentFactory.create(end_date=today() + timedelta(days=3))
    none = factories.MemberFactory.create(user__organization=ending.member.user.organization)
    rows = dict(
        Member.objects.filter(pk__in=[ending.member.pk, none.pk])
        .annotate(pt=access.primary_therapist_id())
        .values_list("pk", "pt")
    )
    assert rows == {ending.member.pk: ending.therapist.pk, none.pk: None}
    assert access.primary_therapists([ending.member.pk, none.pk]) == {
        ending.member.pk: ending.therapist
    }


def test_a_handover_gives_the_newest_primary_assignment() -> None:
    leaving = factories.CareAssignmentFactory.create(end_date=today() + timedelta(days=5))
    member = leaving.member
    arriving = factories.CareAssignmentFactory.create(
        member=member, start_date=today(), therapist__user__organization=member.user.organization
    )
    assert access.primary_therapist(member) == arriving.therapist
    assert access.primary_therapist(member, on=today() - timedelta(days=1)) == leaving.therapist
    assert access.primary_therapist(member, on=today() + timedelta(days=6)) == arriving.therapist


def test_a_non_primary_assignment_is_not_the_primary_pt() -> None:
    assignment = factories.CareAssignmentFactory.create(is_primary=False)
    assert access.primary_therapist(assignment.member) is None


def test_an_alert_goes_to_a_pt_whose_assignment_ends_later() -> None:
    assignment = factories.CareAssignmentFactory.create(end_date=today() + timedelta(days=10))
    finding = Finding(kind=AlertKind.PAIN_SPIKE, details={})
    alerts.raise_alerts(member_id=assignment.member_id, findings=[finding])
    alert = assignment.member.alerts.get()
    assert alert.therapist_id == assignment.therapist_id
