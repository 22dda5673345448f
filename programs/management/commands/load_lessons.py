"""`manage.py load_lessons`: loads or updates the shared lessons, then draws their pictures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from programs.services.lessons import LessonError, draw_lesson_pictures, load_lessons

LESSONS_FILE = Path(settings.BASE_DIR) / "fixtures" / "lessons" / "lessons.json"


class Command(BaseCommand):
    help = (
        "Creates or updates the shared lessons from fixtures/lessons/lessons.json (by slug, in "
        "one transaction; a lesson whose words changed needs a higher version), links them to "
        "the templates that suggest them (run load_templates first), then draws the pictures "
        "missing or older than their lesson. Safe to run again: unchanged lessons are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", type=Path, default=LESSONS_FILE)
        parser.add_argument("--no-figures", action="store_true", help="Skip the pictures.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"No lessons file at {path}.") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path.name}: not valid JSON ({exc}).") from exc
        try:
            result = load_lessons(data=data)
        except LessonError as exc:
            raise CommandError(f"{path.name}: {exc} Nothing was changed.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Lessons: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.links_changed} template links set."
            )
        )
        if result.missing_templates:
            self.stdout.write(
                "  templates not loaded (run load_templates): "
                + ", ".join(result.missing_templates)
            )
        if not options["no_figures"]:
            drawn = draw_lesson_pictures()
            self.stdout.write(self.style.SUCCESS(f"Lesson pictures: {drawn} drawn."))
