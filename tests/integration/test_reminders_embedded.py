"""The embedded default, end to end: `manage.py serve` on SQLite with no REDIS_URL (filesystem
broker in a fresh var directory), a member whose reminder is set for the next minute, and the
reminder in their inbox through beat, the dispatcher and the worker, exactly once.

Needs no server (it is what `make run` does on a fresh laptop) but takes a minute or two: the
fire is at the start of the next minute and beat ticks at the start of each minute.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ARRIVAL_TIMEOUT = 180.0  # next minute (<= 60 s) + a beat tick (<= 60 s) + start-up, with slack

SETUP = """
from datetime import timedelta
from django.utils import timezone
from members.models import Organization, Role
from members.services import create_person
from members.services.reminders import create_reminder

org = Organization.objects.create(name="Embedded", slug="embedded", timezone="Europe/Berlin")
user = create_person(
    username="embedded_member", password="x-embedded-pass-1", role=Role.MEMBER,
    organization=org, email="embedded@example.org", timezone_name="Europe/Berlin",
)
member = user.member_profile
next_minute = (timezone.localtime(timezone.now(), member.tz) + timedelta(minutes=1)).time()
reminder = create_reminder(member=member, local_time=next_minute)
print("REMINDER", reminder.pk, reminder.next_fire_at.isoformat())
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "REMINDER_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "exercise_tracker.settings",
        "DJANGO_DEBUG": "1",  # as `make run` sets it (settings default to production)
        "EXERCISE_TRACKER_VAR_DIR": str(var_dir),
        "PYTHONUNBUFFERED": "1",
    }
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextlib.contextmanager
def _serving(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(_free_port())],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: web, worker and beat are stopped together
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # serve stops its children
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
        try:
            return list(db.execute(sql).fetchall())
        except sqlite3.OperationalError:  # locked for a moment by a writer
            return []


def test_a_reminder_for_the_next_minute_arrives_once_with_no_broker_server(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    _manage(env, "migrate", "--noinput")
    out = _manage(env, "shell", "-c", SETUP)
    assert "REMINDER" in out, out
    database = tmp_path / "db.sqlite3"
    log = tmp_path / "serve.log"

    with _serving(env, log) as serve:
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        arrived: list[tuple[object, ...]] = []
        while time.monotonic() < deadline and not arrived:
            assert serve.poll() is None, log.read_text(errors="replace")[-4000:]
            arrived = _rows(database, "SELECT id, title FROM members_notification")
            time.sleep(1)
        assert arrived, "no notification in time:\n" + log.read_text(errors="replace")[-4000:]
        time.sleep(3)  # a duplicate would land by now
        notifications = _rows(database, "SELECT kind, title FROM members_notification")
        deliveries = _rows(database, "SELECT status, slot FROM members_reminderdelivery")

    assert notifications == [("reminder", "Time for your exercises")]
    assert len(deliveries) == 1 and deliveries[0][0] == "sent"
