"""Loading the shared lessons: idempotent by slug, versioned, pictures drawn once per version,
the red flags never copied into a lesson."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from members.rules import safety
from programs.models import Lesson
from programs.services.lessons import LessonError, draw_lesson_pictures, load_lessons
from tests.programs.factories_plans import PlanTemplateFactory
from tests.programs.lessons.helpers import LESSONS_FILE, load_shipped, shipped

pytestmark = pytest.mark.django_db


def test_the_shipped_lessons_load_and_a_second_load_writes_nothing() -> None:
    lessons = load_shipped()
    assert lessons[0].slug == "what-is-spinal-stenosis"
    assert len(lessons) == 6
    stamps = {lesson.slug: lesson.updated_at for lesson in lessons}
    result = load_lessons(data=shipped())
    assert (result.created, result.updated, result.unchanged) == (0, 0, 6)
    assert result.links_changed == 0
    assert {x.slug: x.updated_at for x in Lesson.objects.all()} == stamps


def test_every_lesson_is_short_and_every_picture_has_its_alt_text() -> None:
    for spec in shipped()["lessons"]:
        words = json.dumps(spec["sections"]).split()
        assert len(words) < 600, spec["slug"]  # a few minutes' reading
        assert 1 <= spec["minutes"] <= 5
        if "picture" in spec:
            assert len(spec["picture"]["alt"]) > 40


def test_the_red_flags_are_rendered_from_the_safety_rules_not_copied() -> None:
    text = LESSONS_FILE.read_text(encoding="utf-8").lower()
    for sign in safety.RED_FLAG_SIGNS:
        assert sign.lower() not in text
    assert safety.RED_FLAG_ACTION.lower() not in text
    help_now = next(s for s in shipped()["lessons"] if s["slug"] == "when-to-get-help-now")
    assert {"include": "red_flags"} in help_now["sections"]


def test_changed_words_need_a_higher_version_and_nothing_is_written_otherwise() -> None:
    load_shipped()
    data = shipped()
    data["lessons"][0]["title"] = "Spinal stenosis in short"
    with pytest.raises(LessonError, match="raise its version"):
        load_lessons(data=data)
    assert Lesson.objects.get(slug="what-is-spinal-stenosis").title == "What spinal stenosis is"
    data["lessons"][0]["version"] = 2
    result = load_lessons(data=data)
    assert (result.updated, result.unchanged) == (1, 5)
    lesson = Lesson.objects.get(slug="what-is-spinal-stenosis")
    assert (lesson.title, lesson.version) == ("Spinal stenosis in short", 2)
    # An older file than the database is refused.
    with pytest.raises(LessonError, match="older"):
        load_lessons(data=shipped())


def test_lessons_link_to_the_templates_that_suggest_them() -> None:
    phase_1 = PlanTemplateFactory.create(slug="lss-phase-1-flexion-mobility")
    result = load_lessons(data=shipped())
    assert "lss-phase-1-flexion-mobility" not in result.missing_templates
    assert phase_1.suggested_lessons.count() == 6
    assert load_lessons(data=shipped()).links_changed == 0


def test_bad_sections_are_refused_naming_the_lesson() -> None:
    data = shipped()
    data["lessons"][2]["sections"].append({"include": "anything"})
    with pytest.raises(LessonError, match="walking-with-stenosis"):
        load_lessons(data=data)
    assert not Lesson.objects.exists()


def test_pictures_are_drawn_once_per_version(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    load_shipped()
    assert draw_lesson_pictures() == 5  # "when to get help now" has none: words matter there
    assert draw_lesson_pictures() == 0
    lesson = Lesson.objects.get(slug="positions-that-ease-leg-symptoms")
    assert lesson.picture.width == 3 * 480 and lesson.picture_alt.startswith("Three drawings")
    data = shipped()
    data["lessons"][1]["version"] = 2
    data["lessons"][1]["picture"]["panels"].pop()
    data["lessons"][1]["picture"]["alt"] = "Two drawings: sitting and standing, bent forward."
    load_lessons(data=data)
    assert draw_lesson_pictures() == 1
    lesson.refresh_from_db()
    assert lesson.picture.width == 2 * 480 and lesson.picture_version == 2


def test_the_command_reports_and_is_idempotent(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    from io import StringIO

    out = StringIO()
    call_command("load_lessons", "--no-figures", stdout=out)
    call_command("load_lessons", "--no-figures", stdout=out)
    assert "6 created" in out.getvalue() and "6 unchanged" in out.getvalue()
