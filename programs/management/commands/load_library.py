"""`manage.py load_library`: loads or updates the global exercise library, then its pictures."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from programs.services.library import LibraryError, load_library

LIBRARY_FILE = Path(settings.BASE_DIR) / "fixtures" / "library" / "exercises.json"
BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Creates or updates the global exercise library from fixtures/library/exercises.json "
        "(by slug, in one transaction), links easier and harder versions, then draws the "
        "pictures still missing. Safe to run again: an unchanged library is left untouched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", type=Path, default=LIBRARY_FILE)
        parser.add_argument(
            "--no-figures", action="store_true", help="Skip drawing the exercise pictures."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"No library file at {path}.") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path.name}: not valid JSON ({exc}).") from exc
        started = time.perf_counter()
        try:
            result = load_library(data=data, progress=self._progress)
        except LibraryError as exc:
            raise CommandError(f"{path.name}: {exc} Nothing was changed.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Library: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.links_changed} links set "
                f"({time.perf_counter() - started:.1f} s)."
            )
        )
        if not options["no_figures"]:
            self._figures()

    def _figures(self) -> None:
        try:
            from programs.figures import draw_library_figures
        except ImportError:
            self.stdout.write("Pictures skipped: the figure renderer is not installed.")
            return
        started = time.perf_counter()
        added = draw_library_figures(progress=lambda done, total: self._progress(done, total))
        seconds = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Pictures: {added} added ({seconds:.1f} s)."))

    def _progress(self, done: int, total: int, label: str = "pictures") -> None:
        filled = int(BAR_WIDTH * done / total) if total else BAR_WIDTH
        bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}]"
        self.stdout.write(f"\r  {bar} {done}/{total} {label}", ending="")
        self.stdout.flush()
        if done == total:
            self.stdout.write("")
