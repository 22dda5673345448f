"""seed_demo's lessons step: demo plans carry lessons, some read and some not; a second run
adds nothing; plans seeded before lessons existed are given their template's lessons."""

from __future__ import annotations

from programs.demo.lessons import seed_demo_lessons
from programs.models import LessonRead, PlanLesson, PlanRevision
from programs.services import plans as services
from tests.conftest import World
from tests.programs.factories_plans import PlanTemplateFactory, TemplateItemFactory
from tests.programs.lessons.helpers import START, load_shipped


def test_demo_reads_are_seeded_once_and_old_plans_get_their_lessons(world: World) -> None:
    template = PlanTemplateFactory.create(slug="lss-phase-1-flexion-mobility")
    TemplateItemFactory.create(template=template)
    # A plan from before lessons: written with none.
    old = services.create_plan(
        user=world.pt.user,
        member_id=world.member.pk,
        title="Old plan",
        start_date=START,
        status="active",
        template_id=template.pk,
    ).plan
    load_shipped()
    services.create_plan(
        user=world.pt_other.user,
        member_id=world.other_member.pk,
        title="New plan",
        start_date=START,
        status="active",
        template_id=template.pk,
    )
    first = seed_demo_lessons()
    assert PlanLesson.objects.filter(plan=old).count() == 6
    assert PlanRevision.objects.filter(plan=old, reason="Lessons to read at home.").exists()
    reads = {
        m: LessonRead.objects.filter(member=m).count() for m in (world.member, world.other_member)
    }
    assert first == sum(reads.values()) and first > 0
    assert 0 in reads.values() or min(reads.values()) < 6  # some lessons stay unread
    rows = (PlanLesson.objects.count(), LessonRead.objects.count(), PlanRevision.objects.count())
    assert seed_demo_lessons() == 0
    assert (
        PlanLesson.objects.count(),
        LessonRead.objects.count(),
        PlanRevision.objects.count(),
    ) == rows
