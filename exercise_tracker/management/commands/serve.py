"""Runs the whole product on one machine: web server, Celery worker and Celery beat together.

The web server is gunicorn with threads and whitenoise, as in production: a fixed pool of
WEB_WORKERS x WEB_THREADS threads, each keeping at most one database connection (CONN_MAX_AGE),
so a burst of requests cannot exhaust PostgreSQL. Django's development server (`--runserver`)
starts a thread per request and would keep a connection per thread: it runs with persistent
connections off.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
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
            "--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")), help="gunicorn"
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")), help="gunicorn"
        )
        parser.add_argument(
            "--runserver",
            action="store_true",
            help="Django's development server instead of gunicorn (no persistent connections).",
        )
        parser.add_argument(
            "--gunicorn", action="store_true", help="The default; kept for scripts."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        port, host = options["port"], options["host"]
        var = settings.VAR_DIR
        celery = [python, "-m", "celery", "-A", "exercise_tracker"]
        web_env = dict(os.environ)
        if options["runserver"]:
            web = [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
            # A thread per request: a persistent connection per thread would pile up.
            web_env["DJANGO_CONN_MAX_AGE"] = "0"
        else:
            if not settings.DEBUG:
                # Production's static storage serves what collectstatic wrote (with DEBUG on,
                # whitenoise finds the files in the apps).
                call_command("collectstatic", "--noinput", verbosity=0)
            web = [
                python,
                "-m",
                "gunicorn",
                "exercise_tracker.wsgi",
                "--bind",
                f"{host}:{port}",
                "--worker-class",
                "gthread",
                "--workers",
                str(options["workers"]),
                "--threads",
                str(options["threads"]),
                "--timeout",
                "60",
                "--graceful-timeout",
                "10",
            ]
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
            processes[name] = subprocess.Popen(  # noqa: S603
                command, cwd=settings.BASE_DIR, env=web_env if name == "web" else None
            )

        broker = "Redis" if settings.REDIS_URL else "no broker server (filesystem queue in var/)"
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        server = (
            "Django's development server"
            if options["runserver"]
            else f"gunicorn, {options['workers']} workers x {options['threads']} threads"
        )
        self.stdout.write(
            self.style.SUCCESS(f"\nMove Daily is running at http://{host}:{port}/")
            + f"\n  web: {server}; database: {database}; worker and beat: {broker}"
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
