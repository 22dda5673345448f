"""Brute force against one account (ASVS V2.2.1): many concurrent guesses, few ever judged.

150 wrong-password POSTs to the token endpoint, LOCKOUT_CONCURRENCY (default 40) in flight at
once, against the live server on PostgreSQL (django-axes keeps its counts there). Each answer
is either judged (401: the password was checked and was wrong) or refused (429: locked, the
password was never looked at). At most the failure limit plus a little slack for requests
already past the lock check may be judged; then the right password is refused too.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

from exercise_tracker import login_guard
from exercise_tracker.models import AuditAction, AuditEvent
from members.models import User
from tests import factories
from tests.integration.conftest import worker_database_url
from tests.services import require_postgres

pytestmark = pytest.mark.integration

ATTEMPTS = 150
CONCURRENCY = int(os.environ.get("LOCKOUT_CONCURRENCY", "40"))
# Without exercise_tracker.login_guard, guesses that passed axes' check before the limit-th
# failure was written were still compared: 55 of 150 at 40 in flight. With it, exactly the limit.
SLACK = 3
ASVS_MAX_PER_HOUR = 100


class _WideBacklogServer(ThreadedWSGIServer):
    # The stock live server listens with a backlog of 10: a burst of connections beyond it is
    # reset by the kernel before Django sees it, which would measure the socket, not the lock.
    request_queue_size = 256


class _LiveServerThread(LiveServerThread):
    server_class = _WideBacklogServer


@pytest.fixture
def burst_server(transactional_db: None) -> Iterator[str]:
    """A threaded live server (one thread per connection) for a burst of clients; its URL."""
    require_postgres()
    thread = _LiveServerThread("127.0.0.1", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


def _post_token(base_url: str, username: str, password: str) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(  # noqa: S310 (http to our own test server)
        f"{base_url}/api/v1/auth/token/",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our server)
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the passwords the server really compared (a spy: the real check still runs)."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    original = User.check_password

    def counting(self: User, raw_password: str | None) -> bool:
        with lock:
            counts[self.username] += 1
        return original(self, raw_password)

    monkeypatch.setattr(User, "check_password", counting)
    return counts


def test_concurrent_guesses_are_cut_off_at_the_failure_limit(
    burst_server: str, password_checks: Counter[str]
) -> None:
    user = factories.MemberFactory.create(user__username="target").user
    limit = settings.AXES_FAILURE_LIMIT
    start = threading.Barrier(min(CONCURRENCY, ATTEMPTS))

    def guess(number: int) -> int:
        if number < CONCURRENCY:
            start.wait(timeout=30)  # the first wave leaves together
        status, body = _post_token(burst_server, user.username, f"wrong-{number}")
        assert set(body) == {"detail", "errors"}, body
        return status

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        statuses = Counter(pool.map(guess, range(ATTEMPTS)))

    judged, refused = statuses[401], statuses[429]
    compared = password_checks["target"]
    print(
        f"\n{ATTEMPTS} wrong passwords, {CONCURRENCY} at once, failure limit {limit}: "
        f"{judged} judged (401), {refused} refused (429), {compared} passwords compared"
    )
    assert judged + refused == ATTEMPTS, statuses
    # The request that reaches the limit is itself answered 429, so up to `limit` answers are
    # 401; under concurrency a few more guesses may be compared before the lock is seen.
    assert 0 < judged <= limit + SLACK, statuses
    assert limit <= compared <= limit + SLACK
    assert compared < ASVS_MAX_PER_HOUR
    locked = AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED, username="target")
    assert locked.count() >= refused

    status, body = _post_token(burst_server, user.username, factories.PASSWORD)
    assert status == 429, body
    assert "Too many failed login attempts" in body["detail"]
    assert "access" not in body


def test_a_guess_waiting_too_long_behind_another_is_refused_not_queued(
    burst_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    factories.MemberFactory.create(user__username="target")
    monkeypatch.setattr(login_guard, "LOCK_WAIT", "200ms")
    lock = [login_guard.LOCK_NAMESPACE, login_guard._lock_id("target")]
    # Another server process is in the middle of a sign-in to the same account.
    with psycopg.connect(worker_database_url(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", lock)
        status, body = _post_token(burst_server, "target", factories.PASSWORD)
        assert status == 429, body
        assert body["detail"] == login_guard.BUSY_MESSAGE
        # Another account is not held up.
        factories.MemberFactory.create(user__username="bystander")
        assert _post_token(burst_server, "bystander", factories.PASSWORD)[0] == 200
    # Once the other sign-in is done, the right password works.
    status, body = _post_token(burst_server, "target", factories.PASSWORD)
    assert status == 200, body
    assert set(body) == {"access", "refresh"}
