"""Template fixtures and load_templates; the demo plans the seed writes."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from members.models import Condition
from programs.demo.plans import seed_demo_plans
from programs.models import Dosing, Exercise, Plan, PlanTemplate, TemplateItem
from programs.rules.estimates import estimate_minutes
from programs.selectors.schedule import prescribed_sessions
from tests import factories
from tests.conftest import World
from tests.programs.factories_plans import PlanExerciseFactory

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "templates" / "templates.json"
AEROBIC = {"walking-program", "stationary-cycling"}


def _specs() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _library(skip: frozenset[str] = frozenset()) -> None:
    slugs = {i["exercise"] for spec in _specs() for i in spec["items"]} - skip
    library = _library_fixture()
    for slug in sorted(slugs):
        # The dosing kind and default dose of the real library: a template item is checked
        # against them.
        dose = library[slug]["dose"]
        PlanExerciseFactory.create(
            slug=slug,
            name=slug.replace("-", " ").capitalize(),
            dosing=dose["dosing"],
            default_sets=dose["sets"],
            default_reps=dose["reps"],
            default_hold_seconds=dose["hold_seconds"],
            default_duration_seconds=dose["duration_seconds"],
            default_rest_seconds=dose["rest_seconds"],
        )


def test_fixtures_cover_the_conditions_the_issue_names() -> None:
    specs = _specs()
    assert len(specs) >= 4
    by_slug = {spec["slug"]: spec for spec in specs}
    assert by_slug["lss-phase-1-flexion-mobility"]["phase"] == 1
    assert by_slug["lss-phase-2-strength-endurance"]["phase"] == 2
    assert {spec["condition"] for spec in specs} >= {
        "lumbar_spinal_stenosis",
        "low_back_pain",
        "hip",
    }
    assert all(spec["condition"] in Condition.values for spec in specs)
    # Stenosis templates stay clear of extension-biased exercises (CLINICAL.md).
    stenosis = [
        i["exercise"]
        for s in specs
        if s["condition"] == "lumbar_spinal_stenosis"
        for i in s["items"]
    ]
    assert not set(stenosis) & {
        "prone-press-up",
        "standing-extension-test",
        "standing-hip-extension",
    }


@pytest.mark.django_db
def test_load_templates_is_idempotent_and_sessions_stay_under_30_minutes() -> None:
    _library()
    out = StringIO()
    call_command("load_templates", stdout=out)
    assert f"{len(_specs())} created" in out.getvalue()
    call_command("load_templates", stdout=out)
    assert PlanTemplate.objects.count() == len(_specs())
    assert TemplateItem.objects.count() == sum(len(s["items"]) for s in _specs())
    phase1 = PlanTemplate.objects.get(slug="lss-phase-1-flexion-mobility")
    items = list(phase1.items.select_related("exercise"))
    assert [i.exercise.slug for i in items][:2] == ["double-knee-to-chest", "posterior-pelvic-tilt"]
    for template in PlanTemplate.objects.all():
        template_items = list(template.items.select_related("exercise"))
        assert len(template_items) <= 6, template.slug
        assert estimate_minutes(template_items) <= 30, template.slug


@pytest.mark.django_db
def test_templates_with_missing_exercises_are_skipped_with_a_message() -> None:
    _library(skip=frozenset({"walking-program"}))
    out = StringIO()
    call_command("load_templates", stdout=out)
    assert (
        "Skipped lss-phase-1-flexion-mobility: exercises not loaded yet: walking-program"
        in out.getvalue()
    )
    assert not PlanTemplate.objects.filter(slug__startswith="lss-").exists()
    assert PlanTemplate.objects.filter(slug="hip-strength-mobility").exists()
    Exercise.objects.create(
        slug="walking-program",
        name="Walk",
        category="aerobic",
        position="walking",
        dosing=Dosing.DURATION,
    )
    call_command("load_templates", stdout=out)
    assert PlanTemplate.objects.filter(slug__startswith="lss-").count() == 2


def test_seed_gives_every_member_an_active_plan_with_history(world: World) -> None:
    _library()
    call_command("load_templates", stdout=StringIO())
    shoulder = factories.MemberFactory.create(user__organization=world.org, condition="shoulder")
    factories.CareAssignmentFactory.create(member=shoulder, therapist=world.pt)
    written = seed_demo_plans()
    members = [world.member, world.other_member, world.foreign_member, shoulder]
    assert written == len(members)
    for member in members:
        plan = Plan.objects.get(member=member)
        assert plan.status == "active"
        assert plan.author is not None
        assert plan.author.care_assignments.filter(member=member).exists()
    template = Plan.objects.get(member=shoulder).created_from
    assert template is not None and template.condition == "shoulder"
    revised = Plan.objects.filter(revision__gt=1)
    assert revised.exists()
    history = revised.first()
    assert history is not None
    assert len({r.effective_date for r in history.revisions.all()}) > 1
    # Weeks of prescribed days for the adherence that later issues compute.
    plan = Plan.objects.get(member=world.member)
    days = prescribed_sessions(
        member=world.member, start=plan.start_date, end=timezone.now().date()
    )
    assert sum(day.sessions for day in days.values()) >= 7 * 4
    assert seed_demo_plans() == 0


def _library_fixture() -> dict[str, dict]:
    path = Path(settings.BASE_DIR) / "fixtures" / "library" / "exercises.json"
    return {e["slug"]: e for e in json.loads(path.read_text(encoding="utf-8"))["exercises"]}


def test_stenosis_templates_have_a_stretch_balance_relief_cycling_and_criteria() -> None:
    library = _library_fixture()
    by_slug = {spec["slug"]: spec for spec in _specs()}
    for slug in ("lss-phase-1-flexion-mobility", "lss-phase-2-strength-endurance"):
        spec = by_slug[slug]
        categories = {library[i["exercise"]]["category"] for i in spec["items"]}
        assert {"stretching", "balance", "aerobic"} <= categories, slug
        assert "move" in spec["progression_criteria"].lower(), slug
        # No stenosis template carries an extension exercise (CLINICAL.md).
        assert not any(
            "extension" in library[i["exercise"]]["precaution_tags"] for i in spec["items"]
        ), slug
    phase2 = by_slug["lss-phase-2-strength-endurance"]["items"]
    assert any(library[i["exercise"]]["movement_bias"] == "flexion" for i in phase2)
    (cycling,) = [i for i in phase2 if i["exercise"] == "stationary-cycling"]
    assert cycling["duration_seconds"] == 20 * 60
    assert all(spec.get("progression_criteria") for spec in _specs())


@pytest.mark.django_db
def test_the_criteria_are_loaded_and_served() -> None:
    _library()
    call_command("load_templates", stdout=StringIO())
    template = PlanTemplate.objects.get(slug="lss-phase-2-strength-endurance")
    assert "2-for-2" in template.progression_criteria
