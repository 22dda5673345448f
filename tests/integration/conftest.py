"""A real `celery worker` process against the run's Redis and pytest-django's test database.

Use `celery_worker_process` (one worker for the session, restarted if a test killed it) or
`start_celery_worker(**env)` for extra workers with their own settings, for example a short
`CELERY_VISIBILITY_TIMEOUT` to see a killed worker's message delivered again. Tests that the
worker should see rows from must use `transactional_db`: the worker reads committed data only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from exercise_tracker import celery_app
from tests.services import require_postgres, require_redis

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0
WORKER_SECRET_KEY = secrets.token_urlsafe(50)


def worker_database_url() -> str:
    """DATABASE_URL of the database pytest-django created (test_<name>), for a child process."""
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(str(db['NAME']), safe='')}"


class WorkerProcess:
    """One `celery -A exercise_tracker worker` in its own process group."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        pool: str = "prefork",
        concurrency: int = 1,
        app: str = "exercise_tracker",
    ):
        self.env = env
        self.app = app
        self.pool = pool
        self.concurrency = concurrency
        self.nodename = ""
        self.log_path = Path(tempfile.mkstemp(prefix="et-celery-worker-", suffix=".log")[1])
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._proc is not None, "worker not started"
        return self._proc.pid

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        # A fresh node name each start, so a ping cannot be answered by an earlier incarnation.
        self.nodename = f"itest-{uuid.uuid4().hex[:10]}@localhost"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            self.app,
            "worker",
            "--loglevel=INFO",
            f"--hostname={self.nodename}",
            f"--pool={self.pool}",
            f"--concurrency={self.concurrency}",
            "--without-gossip",
            "--without-mingle",
        ]
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches pool children
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if not self.is_running():
                raise RuntimeError(f"celery worker exited at start:\n{self.output()}")
            if celery_app.control.ping(destination=[self.nodename], timeout=0.5):
                return
        self.kill()
        raise RuntimeError(f"celery worker not ready in {READY_TIMEOUT}s:\n{self.output()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Sends `sig` to the worker's whole process group and waits for the main process."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, sig)
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=10)
        self._reap_group()

    def _reap_group(self) -> None:
        # Pool children outlive a SIGKILLed parent for a moment; none may keep consuming.
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM): running tasks finish, unacknowledged messages go back."""
        self.kill(signal.SIGTERM)

    def restart(self) -> None:
        self.stop()
        self.start()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]


def worker_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {
        # Production settings, not the test ones: the worker is a real deployment's worker.
        "DJANGO_SETTINGS_MODULE": "exercise_tracker.settings",
        # Production refuses to start without a real key (DEBUG is off unless set).
        "DJANGO_SECRET_KEY": WORKER_SECRET_KEY,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # No idle connection held into the next test's TRUNCATE of the tables.
        "DJANGO_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",  # log lines reach the log file as they happen
    }
    return env | overrides


@pytest.fixture(scope="session")
def _session_celery_worker(django_db_setup: None) -> Iterator[WorkerProcess]:
    require_postgres()
    require_redis()
    # Messages left by an earlier, interrupted run name rows of another test; drop them.
    celery_app.control.purge()
    worker = WorkerProcess(env=worker_env())
    worker.start()
    yield worker
    worker.stop()
    worker.log_path.unlink(missing_ok=True)


@pytest.fixture
def real_celery() -> Iterator[None]:
    """Tasks in this test go through the broker to a worker instead of running eagerly."""
    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = False
    yield
    conf.task_always_eager = saved


@pytest.fixture
def celery_worker_process(
    _session_celery_worker: WorkerProcess, real_celery: None
) -> WorkerProcess:
    """The session's worker, running (started again when an earlier test killed it)."""
    if not _session_celery_worker.is_running():
        _session_celery_worker.start()
    return _session_celery_worker


@pytest.fixture
def start_celery_worker(
    django_db_setup: None, real_celery: None
) -> Iterator[Callable[..., WorkerProcess]]:
    """Starts extra workers: `start_celery_worker(CELERY_VISIBILITY_TIMEOUT="5", ...)`."""
    require_postgres()
    require_redis()
    started: list[WorkerProcess] = []

    def start(
        pool: str = "prefork", concurrency: int = 1, app: str = "exercise_tracker", **env: str
    ) -> WorkerProcess:
        worker = WorkerProcess(env=worker_env(**env), pool=pool, concurrency=concurrency, app=app)
        started.append(worker)
        worker.start()
        return worker

    yield start
    for worker in started:
        worker.kill()
        worker.log_path.unlink(missing_ok=True)
