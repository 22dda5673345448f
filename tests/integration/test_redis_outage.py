"""A real Redis outage (issue 15, item 11): the test starts its own `redis-server`, points the
cache, the API's rate limits and the Celery broker at it, and kills it (SIGKILL) while members
log and PTs read.

- No request fails: members log sessions (201, a retry answers with the same session), PTs read
  sessions, plans, alerts and their caseload page (200); the rate limits are not applied while
  the cache is unreachable (logged); /healthz answers 200 naming the broker and cache (redis).
- A session logged during the outage is evaluated by the progression rules once Redis is back
  (its outbox row waited in the database).
- Reminders due during the outage go out once Redis is back, within the grace window: one whose
  dispatcher could not reach the broker (its send queued again by the next tick), one whose
  dispatcher did not run at all; a real worker on the same Redis sends each exactly once.

`tests/test_redis_down.py` covers the same answers in-process with a port nothing listens on.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import time as clock
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.test import Client, override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from exercise_tracker import celery_app
from members.models import DeliveryStatus, Member, Notification, ReminderDelivery, SessionLog
from members.services.reminder_dispatch import REQUEUE_AFTER, dispatch_due_reminders
from members.services.reminders import create_reminder
from members.tasks import queue_sends
from programs.models import PendingEvaluation, ProgressionSuggestion
from programs.services.evaluations import queue_pending
from tests import factories
from tests.conftest import World, bearer_client
from tests.members.sessions_helpers import local_today, plan_with_items, session_body
from tests.programs.suggestion_helpers import bridge_plan, too_easy_run_ending_today
from tests.services import _missing, require_postgres

from .conftest import WorkerProcess

pytestmark = pytest.mark.integration

PREFERRED_PORT = 6390
RESULT_TIMEOUT = 60


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    if _port_is_free(PREFERRED_PORT):
        return PREFERRED_PORT
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """Our own `redis-server` (no persistence: a restart comes back empty, as after a crash
    of a cache-only Redis)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = tempfile.mkdtemp(prefix="et-redis-")
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [
                self.binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping():
                    return
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.1)

    def kill(self) -> None:
        """The outage: SIGKILL, no goodbye to the clients."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server on the PATH (apt-get install redis-server)")
        raise AssertionError("unreachable")
    server = RedisServer(binary)
    server.start()
    yield server
    server.kill()
    shutil.rmtree(server.workdir, ignore_errors=True)


def _point_celery_at(broker_url: str, result_backend: str) -> None:
    celery_app.conf.update(broker_url=broker_url, result_backend=result_backend)
    # Drop the connection and producer pools (and the result backend) made for the old URLs.
    app: Any = celery_app  # private attributes, unknown to the stubs
    app._after_fork()
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def app_on_own_redis(own_redis: RedisServer) -> Iterator[RedisServer]:
    """The cache, the rate limits and /healthz on our Redis, and so is the Celery app of this
    process (the broker its `delay()` calls publish to)."""
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "et",
        }
    }
    saved = (celery_app.conf.broker_url, celery_app.conf.result_backend)
    _point_celery_at(own_redis.url, own_redis.url)
    try:
        with override_settings(REDIS_URL=own_redis.url, CACHES=caches):
            yield own_redis
    finally:
        _point_celery_at(*saved)


def _health() -> dict:
    response = Client().get("/healthz")
    assert response.status_code == 200, response.content
    return response.json()


# --- requests ----------------------------------------------------------------------------------


def test_members_log_and_pts_read_through_a_real_redis_outage(
    world: World, app_on_own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    member_api, pt_api = bearer_client(world.member.user), bearer_client(world.pt.user)
    pt_pages = Client()
    pt_pages.force_login(world.pt.user)

    # Redis up: the rate limits count in it, /healthz is all ok.
    assert member_api.get("/api/v1/today/").status_code == 200
    assert app_on_own_redis.client().keys("*throttle*"), "the rate limit did not use our Redis"
    assert _health()["status"] == "ok"

    app_on_own_redis.kill()

    today = local_today(world.member)
    created = []
    for back in range(6):
        body = session_body(world.member, items, day=today - timedelta(days=back))
        # Half the phones send an Idempotency-Key (its answer is replayed); each sends twice.
        keyed = {"Idempotency-Key": str(uuid.uuid4())} if back % 2 else {}
        first = member_api.post("/api/v1/sessions/", body, format="json", headers=keyed)
        assert first.status_code == 201, first.content
        again = member_api.post("/api/v1/sessions/", body, format="json", headers=keyed)
        assert again.status_code in (200, 201), again.content
        assert again.json()["id"] == first.json()["id"]
        created.append(first.json()["id"])
    assert member_api.get("/api/v1/today/").status_code == 200

    listed = pt_api.get(f"/api/v1/sessions/?member={world.member.pk}")
    assert listed.status_code == 200
    assert set(created) <= {s["id"] for s in listed.json()["results"]}
    assert pt_api.get(f"/api/v1/plans/?member={world.member.pk}").status_code == 200
    assert pt_api.get("/api/v1/alerts/").status_code == 200
    assert pt_api.get("/api/v1/members/").status_code == 200
    assert pt_pages.get("/caseload/").status_code == 200

    body = _health()
    assert body["checks"]["database"] == "ok"
    assert body["status"] == "degraded"
    assert {"broker (redis)", "cache (redis)"} <= set(body["unavailable"])
    assert "rate limit not applied: cache unavailable" in caplog.text
    # One row per session, whatever the retries.
    assert SessionLog.objects.filter(member=world.member).count() == 6

    # Redis back (empty): everything answers ok again, no restart of the app.
    app_on_own_redis.start()
    assert _health()["status"] == "ok"
    assert member_api.get("/api/v1/today/").status_code == 200


# --- reminders ---------------------------------------------------------------------------------


def _member_due_now(tag: str) -> Member:
    name = f"outage-{tag}-{uuid.uuid4().hex[:8]}"
    member = factories.MemberFactory.create(
        timezone="Europe/Berlin", user__username=name, user__email=f"{name}@example.org"
    )
    yesterday = timezone.localtime(timezone.now(), member.tz).date() - timedelta(days=1)
    SessionLog.objects.create(member=member, local_date=yesterday, status="completed")
    schedule = create_reminder(
        member=member,
        local_time=clock(3, 33),
        channels=["in_app", "email"],
        now=timezone.now() - timedelta(days=2),
    )
    # Due a minute ago: during the outage.
    type(schedule).objects.filter(pk=schedule.pk).update(
        next_fire_at=timezone.now() - timedelta(minutes=1)
    )
    return member


def _wait_for(what: str, check: Callable[[], bool], timeout: float = RESULT_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _sent(member: Member) -> Callable[[], bool]:
    return lambda: ReminderDelivery.objects.filter(
        member=member, status=DeliveryStatus.SENT
    ).exists()


def test_reminders_due_during_an_outage_are_sent_once_when_redis_returns(
    start_celery_worker: Callable[..., WorkerProcess],
    app_on_own_redis: RedisServer,
    transactional_db: None,
) -> None:
    require_postgres()
    worker = start_celery_worker(REDIS_URL=app_on_own_redis.url)
    tried = _member_due_now("tried")  # its dispatcher ran during the outage

    app_on_own_redis.kill()
    # The tick records the delivery, then cannot put its send on the broker.
    with pytest.raises((OperationalError, redis.RedisError)):
        dispatch_due_reminders(enqueue=queue_sends)
    assert ReminderDelivery.objects.get(member=tried).status == DeliveryStatus.PENDING
    # This one falls due while no dispatcher runs at all (beat cannot reach the broker either).
    waited = _member_due_now("waited")
    assert not Notification.objects.filter(user__member_profile__in=[tried, waited]).exists()

    app_on_own_redis.start()  # empty: whatever was queued before the outage is gone as well
    # The outage lasted past REQUEUE_AFTER (the delivery row says when it was queued), well
    # inside the 30-minute grace window. The next tick queues again the send nobody received
    # and dispatches the reminder that fell due meanwhile.
    ReminderDelivery.objects.filter(member=tried).update(
        created_at=timezone.now() - REQUEUE_AFTER - timedelta(minutes=1)
    )
    result = dispatch_due_reminders(enqueue=queue_sends)
    assert (result.requeued, result.queued, result.stale) == (1, 1, 0), result
    _wait_for("the reminder that was tried", _sent(tried))
    _wait_for("the reminder that waited", _sent(waited))

    # More ticks and a send run twice change nothing: each member has one notification, one
    # email, one delivery.
    dispatch_due_reminders(enqueue=queue_sends)
    for member in (tried, waited):
        delivery = ReminderDelivery.objects.get(member=member)
        queue_sends([delivery.pk])
    time.sleep(2)
    for member in (tried, waited):
        assert ReminderDelivery.objects.filter(member=member).count() == 1
        assert Notification.objects.filter(user=member.user).count() == 1
        assert worker.output().count(f"To: {member.user.email}") == 1


# --- progression ------------------------------------------------------------------------------


def test_a_session_logged_during_an_outage_is_evaluated_when_redis_returns(
    start_celery_worker: Callable[..., WorkerProcess],
    app_on_own_redis: RedisServer,
    transactional_db: None,
    world: World,
) -> None:
    """The progression outbox: the session's row waits in the database while the broker is
    away (the sweep cannot queue it and leaves it unqueued), and the first sweep after Redis
    returns has a real worker evaluate it."""
    require_postgres()
    worker = start_celery_worker(REDIS_URL=app_on_own_redis.url)
    _, bridge, walk, _, _ = bridge_plan(pt=world.pt, member=world.member)
    app_on_own_redis.kill()
    too_easy_run_ending_today(world.member, bridge, walk)
    assert queue_pending() == 0
    assert PendingEvaluation.objects.get(member=world.member).queued_at is None

    app_on_own_redis.start()
    assert queue_pending() == 1
    _wait_for("the evaluation", lambda: not PendingEvaluation.objects.exists())
    suggestion = ProgressionSuggestion.objects.get(member=world.member)
    assert (suggestion.rule, suggestion.status) == ("too_easy", "pending")
    assert "programs.evaluate_progression" in worker.output()
