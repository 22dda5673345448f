"""seed_demo's questionnaires: every 2 weeks over 8 weeks, scored, mostly improving, idempotent."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from members.models import Assessment, AssessmentSchedule, Member
from members.rules import scoring
from members.selectors.outcomes import due_assessments
from tests.instrument_wording import load_fake_wording


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_seed_questionnaires_follow_condition_and_are_idempotent() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Assessment.objects.count(), AssessmentSchedule.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Assessment.objects.count(), AssessmentSchedule.objects.count()) == counts
    assert counts[0] > 100

    by_condition = {
        "lumbar_spinal_stenosis": {"nprs", "odi", "zcq"},
        "low_back_pain": {"nprs", "odi"},
        "hip": {"psfs"},
        "shoulder": set(),
    }
    for member in Member.objects.all():
        taken = set(member.assessments.values_list("instrument", flat=True))
        assert taken == by_condition.get(member.condition, set()), member.user.username

    # Every stored score is what the scoring code gives for the stored answers.
    for assessment in Assessment.objects.all():
        result = scoring.score(assessment.instrument, assessment.answers)
        assert result.value == Decimal(assessment.score_value)

    # Most ODI series end lower than they started.
    improved = total = 0
    for member in Member.objects.filter(assessments__instrument="odi").distinct():
        values = list(
            member.assessments.filter(instrument="odi")
            .order_by("local_date")
            .values_list("score_value", flat=True)
        )
        if len(values) > 1:
            total += 1
            improved += values[-1] < values[0]
    assert improved > total / 2

    # The demo member has this round still to do: it shows as due.
    demo = Member.objects.get(user__username="demo_member")
    today = timezone.localtime(timezone.now(), demo.tz).date()
    # The ODI and ZCQ are asked once the clinic has loaded their licensed wording.
    assert {d.instrument for d in due_assessments(member=demo, on=today)} == {"nprs"}
    load_fake_wording("odi", "zcq")
    assert {d.instrument for d in due_assessments(member=demo, on=today)} == {"nprs", "odi", "zcq"}
