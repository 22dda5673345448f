"""`manage.py import_members FILE.csv --organization SLUG [--dry-run] [--skip-bad-rows]`:
enrols a clinic's members from a CSV file (see members/services/imports.py for the columns)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from members.models import Organization
from members.services.imports import COLUMNS, import_members


class Command(BaseCommand):
    help = (
        "Enrols members from a CSV file with the columns "
        + ",".join(COLUMNS)
        + ". Every row is checked first; nothing is written if a row fails, unless "
        "--skip-bad-rows. Members already enrolled (same external_id or email) are left as is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--organization", required=True, help="The organization's slug.")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--skip-bad-rows", action="store_true", help="Import the good rows anyway."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {options['organization']!r}.")
        try:
            text = Path(options["file"]).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read the file: {exc}") from exc

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total} members enrolled")

        report = import_members(
            organization=organization,
            text=text,
            dry_run=options["dry_run"],
            skip_bad_rows=options["skip_bad_rows"],
            progress=progress,
        )
        for problem in report.problems:
            self.stdout.write(f"row {problem.row}, {problem.field}: {problem.message}")
        self.stdout.write(
            f"{report.total} rows: {report.created} "
            f"{'to enrol' if report.dry_run else 'enrolled'}, "
            f"{report.already_enrolled} already enrolled, {report.bad_rows} with problems"
            + (f" ({report.skipped} skipped)" if report.skipped else "")
            + ("." if report.written or report.dry_run else "; nothing was written.")
        )
        if report.problems and not report.written and not report.dry_run:
            raise CommandError("Fix the rows above, or run again with --skip-bad-rows.")
