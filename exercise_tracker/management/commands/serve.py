"""Runs the whole product on one machine: web server, Celery worker and Celery beat together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

DEMO_LOGINS = (
    ("demo_member", "member: today's exercises, history"),
    ("demo_pt", "physical therapist: caseload, plans"),
    ("demo_coordinator", "coordinator: adherence dashboard"),
    ("demo_admin", "staff: Django admin"),
)


class Command(BaseCommand):
    help = "Starts the web server with a Celery worker and beat beside it; Ctrl-C stops all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--gunicorn", action="store_true", help="Serve with gunicorn instead of runserver."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        port, host = options["port"], options["host"]
        var = settings.VAR_DIR
        celery = [python, "-m", "celery", "-A", "exercise_tracker"]
        if options["gunicorn"]:
            web = [
                python,
                "-m",
                "gunicorn",
                "exercise_tracker.wsgi",
                "-b",
                f"{host}:{port}",
                "-w",
                "2",
            ]
        else:
            web = [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
        commands = {
            "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
            "beat": [
                *celery,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(var / "celerybeat-schedule"),
            ],
            "web": web,
        }
        processes: dict[str, subprocess.Popen[bytes]] = {}
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, cwd=settings.BASE_DIR)  # noqa: S603

        broker = "Redis" if settings.REDIS_URL else "no broker server (filesystem queue in var/)"
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(
            self.style.SUCCESS(f"\nMove Daily is running at http://{host}:{port}/")
            + f"\n  database: {database}; worker and beat: {broker}"
            + "\n  demo logins (password demo-pass):"
            + "".join(f"\n    {user:<18} {what}" for user, what in DEMO_LOGINS)
            + f"\n  API docs: http://{host}:{port}/api/docs/   Ctrl-C stops everything.\n"
        )

        def stop(*_: object) -> None:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()

        def stop_and_exit(*_: object) -> None:
            self.stdout.write("\nStopping…")
            stop()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop_and_exit)
        # Also when started in the background by a shell, which leaves SIGINT ignored.
        signal.signal(signal.SIGINT, stop_and_exit)
        try:
            while True:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{name} stopped (exit {process.returncode}); stopping all."
                        )
                        stop()
                        sys.exit(process.returncode or 1)
                time.sleep(0.5)
        except KeyboardInterrupt:  # pragma: no cover - SIGINT is handled above
            stop_and_exit()
