"""A real Celery worker: tasks go through Redis, run in another process, reach the test database.

Also the configuration that makes redelivery safe: acks_late with a visibility timeout longer
than any task may run, and no countdown or eta in the code that could outlive it.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery.result import AsyncResult, EagerResult
from django.conf import settings
from django.utils import timezone

from exercise_tracker import celery_app
from exercise_tracker.models import IdempotencyRecord
from exercise_tracker.tasks import heartbeat, purge_idempotency_records
from programs.models import PendingEvaluation, ProgressionSuggestion
from programs.services.evaluations import queue_pending
from tests.conftest import World
from tests.programs.suggestion_helpers import bridge_plan, too_easy_run_ending_today

from .conftest import WORKER_SECRET_KEY, WorkerProcess

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("exercise_tracker", "members", "programs")
RESULT_TIMEOUT = 30


def _ran_on(worker: WorkerProcess, result: AsyncResult) -> bool:
    """The worker's own log names the task id: it ran there, not in this process."""
    # The result is stored a moment before the worker logs its success line.
    deadline = time.monotonic() + 5
    while f"[{result.id}] succeeded" not in worker.output():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_heartbeat_runs_on_the_real_worker(
    celery_worker_process: WorkerProcess, transactional_db: None
) -> None:
    token = uuid.uuid4().hex
    result = heartbeat.delay(token)

    assert not isinstance(result, EagerResult)
    assert result.get(timeout=RESULT_TIMEOUT) == {"token": token, "database": True}
    assert result.status == "SUCCESS"
    assert _ran_on(celery_worker_process, result)


def test_worker_writes_rows_the_test_then_sees(
    celery_worker_process: WorkerProcess, transactional_db: None
) -> None:
    now = timezone.now()
    expired = IdempotencyRecord.objects.create(
        user_id=1, key="old", method="POST", path="/api/v1/sessions/", request_hash="a" * 64,
        expires_at=now - timedelta(minutes=1),
    )  # fmt: skip
    kept = IdempotencyRecord.objects.create(
        user_id=1, key="new", method="POST", path="/api/v1/sessions/", request_hash="b" * 64,
        expires_at=now + timedelta(days=7),
    )  # fmt: skip

    result = purge_idempotency_records.delay()

    assert result.get(timeout=RESULT_TIMEOUT) == 1
    assert _ran_on(celery_worker_process, result)
    assert not IdempotencyRecord.objects.filter(pk=expired.pk).exists()
    assert IdempotencyRecord.objects.filter(pk=kept.pk).exists()


def test_work_queued_while_the_worker_is_down_runs_when_it_is_back(
    celery_worker_process: WorkerProcess, transactional_db: None
) -> None:
    first_pid = celery_worker_process.pid
    celery_worker_process.kill(signal.SIGKILL)
    assert not celery_worker_process.is_running()

    token = uuid.uuid4().hex
    result = heartbeat.delay(token)
    celery_worker_process.start()

    assert celery_worker_process.pid != first_pid
    assert result.get(timeout=RESULT_TIMEOUT) == {"token": token, "database": True}
    assert _ran_on(celery_worker_process, result)


def test_a_logged_session_is_evaluated_by_the_worker_after_the_sweep(
    celery_worker_process: WorkerProcess, transactional_db: None, world: World
) -> None:
    """The outbox end to end: the session writes the member's row, beat's sweep (called here)
    queues the evaluation through Redis, the worker runs the rules and deletes the row."""
    _, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    too_easy_run_ending_today(world.member, bridge, walk)
    assert PendingEvaluation.objects.filter(member=world.member).exists()

    assert queue_pending() == 1

    deadline = time.monotonic() + RESULT_TIMEOUT
    while PendingEvaluation.objects.exists():
        assert time.monotonic() < deadline, celery_worker_process.output()
        time.sleep(0.1)
    suggestion = ProgressionSuggestion.objects.get(member=world.member)
    assert (suggestion.rule, suggestion.status) == ("too_easy", "pending")
    assert "programs.evaluate_progression" in celery_worker_process.output()


def test_running_worker_has_the_redelivery_settings(
    celery_worker_process: WorkerProcess,
) -> None:
    replies = celery_app.control.inspect(
        destination=[celery_worker_process.nodename], timeout=5
    ).conf(with_defaults=True)
    assert replies is not None
    conf = replies[celery_worker_process.nodename]

    assert conf["task_acks_late"] is True
    assert conf["task_reject_on_worker_lost"] is False
    assert conf["worker_prefetch_multiplier"] == 1
    visibility = conf["broker_transport_options"]["visibility_timeout"]
    assert visibility == settings.CELERY_VISIBILITY_TIMEOUT
    assert visibility > conf["task_time_limit"] > conf["task_soft_time_limit"]


# --- Configuration: no service needed.


def test_visibility_timeout_exceeds_every_task_time_limit() -> None:
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is False
    assert settings.CELERY_VISIBILITY_TIMEOUT > settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    for name, task in celery_app.tasks.items():
        limit = getattr(task, "time_limit", None)
        if limit is not None:
            assert limit < settings.CELERY_VISIBILITY_TIMEOUT, name


def test_beat_entries_expire_before_the_next_tick() -> None:
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        expires = entry.get("options", {}).get("expires")  # type: ignore[attr-defined]
        assert expires is not None, f"beat entry {name} has no expires"
        schedule = entry["schedule"]
        if isinstance(schedule, int | float):
            assert expires <= schedule, name


def test_settings_refuse_a_visibility_timeout_shorter_than_the_time_limit() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | {
        "DJANGO_SETTINGS_MODULE": "exercise_tracker.settings",
        "DJANGO_SECRET_KEY": WORKER_SECRET_KEY,  # production settings need a real key
        "CELERY_VISIBILITY_TIMEOUT": "60",
        "CELERY_TASK_TIME_LIMIT": "600",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT" in done.stderr


def _constant_seconds(node: ast.expr) -> float | None:
    """The value of a literal such as `300` or `2 * 60`; None for anything computed at run time."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Add | ast.Sub):
        left, right = _constant_seconds(node.left), _constant_seconds(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Mult):
            return left * right
        return left + right if isinstance(node.op, ast.Add) else left - right
    return None


def delays_beyond(source: str, *, limit: float) -> list[str]:
    """Calls whose `countdown=`/`eta=`/`retry_backoff_max=` could outlive `limit` seconds.

    An `eta` is a point in time, so it is always reported: far-future work belongs in the
    database, found by a periodic dispatcher. A countdown must be a literal below the limit.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "eta":
                found.append(f"line {node.lineno}: eta=")
            elif keyword.arg in {"countdown", "retry_backoff_max", "default_retry_delay"}:
                seconds = _constant_seconds(keyword.value)
                if seconds is None or seconds >= limit:
                    found.append(f"line {node.lineno}: {keyword.arg}={ast.unparse(keyword.value)}")
    return found


def test_the_delay_check_catches_long_and_computed_delays() -> None:
    source = (
        "task.apply_async(countdown=3 * 60 * 60)\n"
        "task.apply_async(countdown=wait)\n"
        "task.apply_async(eta=tomorrow)\n"
        "task.apply_async(countdown=30)\n"
    )
    assert delays_beyond(source, limit=7200) == [
        "line 1: countdown=3 * 60 * 60",
        "line 2: countdown=wait",
        "line 3: eta=",
    ]


def test_no_countdown_or_eta_in_the_code_outlives_the_visibility_timeout() -> None:
    files = [path for name in SOURCE_DIRS for path in sorted((ROOT / name).rglob("*.py"))]
    assert len(files) > 20  # the scan really reads the source tree
    limit = settings.CELERY_VISIBILITY_TIMEOUT
    problems = [
        f"{path.relative_to(ROOT)} {problem}"
        for path in files
        for problem in delays_beyond(path.read_text(), limit=limit)
    ]
    assert problems == []
