"""`manage.py draw_library`: draws the start/end pictures of the global library's exercises."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from programs.figures import PoseError, draw_library_figures


class Command(BaseCommand):
    help = (
        "Draws a start/end picture and an animation for each global library exercise that has "
        "pose data (fixtures/library/poses.json) and no drawing yet. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="Only these exercises (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            added = draw_library_figures(slugs=options["slugs"] or None, progress=self._progress)
        except PoseError as exc:
            raise CommandError(f"Pose data is invalid: {exc}") from exc
        seconds = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"{added} images added in {seconds:.1f} s."))

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        self.stdout.write(
            f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} exercises", ending=""
        )
        self.stdout.flush()
        if done == total:
            self.stdout.write("")
