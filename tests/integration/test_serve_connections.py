"""`make run` on PostgreSQL keeps its database connections bounded: `manage.py serve` (gunicorn,
gthread) answers 500 requests, twenty at a time, and the number of connections to the database
(pg_stat_activity) never passes the thread pool's size. Django's development server, which
`make run` used before, opens a thread per request and kept a connection per thread: 100
requests left about 50 open, and a burst ended in "too many clients already"."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.integration.conftest import worker_database_url
from tests.services import require_postgres

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WORKERS, THREADS = 2, 4
# Web threads, the Celery worker's two processes and beat, and one spare.
BOUND = WORKERS * THREADS + 2 + 1 + 1
REQUESTS, AT_ONCE = 500, 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _connections() -> int:
    """Connections to the test database other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [settings.DATABASES["default"]["NAME"]],
        )
        return int(cursor.fetchone()[0])


def _get(url: str) -> int | str:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own server
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError as exc:
        return type(exc).__name__


@contextlib.contextmanager
def _serving(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "manage.py", "serve", "--port", str(port)]
    command += ["--workers", str(WORKERS), "--threads", str(THREADS)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # serve stops web, worker and beat
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_five_hundred_requests_keep_the_connections_within_the_pool(tmp_path: Path) -> None:
    require_postgres()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_")) and k not in {"REDIS_URL", "DATABASE_URL"}
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "exercise_tracker.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": worker_database_url(),
        "EXERCISE_TRACKER_VAR_DIR": str(tmp_path),  # its own filesystem broker
        "PYTHONUNBUFFERED": "1",
    }
    port = _free_port()
    url = f"http://127.0.0.1:{port}/healthz"  # reads the database on every request
    log = tmp_path / "serve.log"

    with _serving(env, port, log) as serve:
        deadline = time.monotonic() + 90
        while _get(url) != 200:
            assert serve.poll() is None, log.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
            time.sleep(0.5)

        answers: Counter[int | str] = Counter()
        lock = threading.Lock()
        done = threading.Event()
        peak = [_connections()]

        def load() -> None:
            for _ in range(REQUESTS // AT_ONCE):
                status = _get(url)
                with lock:
                    answers[status] += 1

        def watch() -> None:
            while not done.is_set():
                peak.append(_connections())
                time.sleep(0.2)
            connection.close()

        watcher = threading.Thread(target=watch)
        watcher.start()
        threads = [threading.Thread(target=load) for _ in range(AT_ONCE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        after = _connections()
        done.set()
        watcher.join(timeout=10)

    assert answers == {200: REQUESTS}, answers
    assert max(*peak, after) <= BOUND, (peak, after, log.read_text(errors="replace")[-2000:])
