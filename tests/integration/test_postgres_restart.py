"""PostgreSQL restarted under traffic, for real: a private cluster (its own initdb, port and
folder, so the shared server is never touched) serves gunicorn as `manage.py serve` starts it
(gthread, persistent connections, as `make run` serves), while members' phones post
sessions, retrying each one with its client_id as the Idempotency-Key until it is stored, as
the today page does, and others read the API and the today page. The cluster is restarted
(`pg_ctl restart -m fast`), then stopped for two seconds and started again.

Every answer is a 2xx or a 503 with Retry-After (no 500, no traceback); the same gunicorn
workers answer 2xx again as soon as the database is back (nothing restarted them); every stored
session has all its entries, none is doubled, every session a phone was told was stored is
there, and a session retried after a 503 is stored exactly once."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.integration.private_postgres import PrivateCluster, find_bindir, free_port
from tests.services import _missing

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 4  # one phone each, posting sessions back to back
READERS = 2
WORKERS, THREADS = 2, 4
RETRY_PAUSE = 0.25  # a phone waits Retry-After (5 s); the test keeps to the header's presence
CLIENT_TIMEOUT = 30.0


@dataclass
class Answer:
    kind: str
    status: int | str  # an exception's name when no HTTP answer came
    sent_at: float
    retry_after: str | None = None
    body: str = ""


@dataclass
class Traffic:
    answers: list[Answer] = field(default_factory=list)
    stored: set[str] = field(default_factory=set)  # client_ids answered 2xx
    attempted: set[str] = field(default_factory=set)
    retried_after_503: set[str] = field(default_factory=set)
    given_up: set[str] = field(default_factory=set)  # still unanswered at the phones' deadline
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)


def _request(
    url: str,
    *,
    kind: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> Answer:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - ours
    if data is not None:
        request.add_header("Content-Type", "application/json")
    sent_at = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:  # noqa: S310
            text = response.read(300).decode(errors="replace")
            if urllib.parse.urlsplit(response.url).path != urllib.parse.urlsplit(url).path:
                # Sent to the sign-in page: the signed-in session was lost.
                return Answer(kind, f"redirected to {response.url}", sent_at, body=text)
            return Answer(kind, int(response.status), sent_at, body=text)
    except urllib.error.HTTPError as exc:
        text = exc.read().decode(errors="replace")
        return Answer(kind, exc.code, sent_at, exc.headers.get("Retry-After"), text)
    except OSError as exc:
        return Answer(kind, type(exc).__name__, sent_at, body=str(exc))


def _gist(body: str) -> str:
    """A page's title (Django's error page names the exception there), else the body's start."""
    title = re.search(r"<title>(.*?)</title>", body, re.S)
    return " ".join(title.group(1).split()) if title else body[:300]


def _session_body(member: dict[str, Any]) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "date": member["today"],
        "status": "completed",
        "pain_before": 3,
        "pain_after": 2,
        "rpe": 4,
        "notes": "",
        "entries": [
            {
                "plan_item": pk,
                "status": "done",
                "sets_done": 2,
                "reps_done": 10,
                "feedback": "just_right",
            }
            for pk in member["items"]
        ],
    }


def _server_env(cluster: PrivateCluster, var: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_")) and k not in {"REDIS_URL", "DATABASE_URL", "CI"}
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "exercise_tracker.settings",
        # As `make run` serves: the connections are production's (CONN_MAX_AGE 60 with health
        # checks); static files need no collectstatic (a minute of this small machine's time);
        # and a 500 would carry Django's traceback page, which the assertions look for.
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": cluster.url("et_restart"),
        "EXERCISE_TRACKER_VAR_DIR": str(var),  # its own filesystem broker
        "PYTHONUNBUFFERED": "1",
    }


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


def _gunicorn_workers(master: int) -> set[int]:
    """gunicorn's worker processes (its master's children)."""
    return _children(master)


@contextlib.contextmanager
def _cluster() -> Iterator[PrivateCluster]:
    bindir = find_bindir()
    if bindir is None:
        _missing(
            "PostgreSQL's server programs (initdb, pg_ctl, postgres): apt-get install postgresql"
        )
    assert bindir is not None
    cluster = PrivateCluster(bindir)
    try:
        yield cluster
    finally:
        cluster.destroy()


@contextlib.contextmanager
def _serving(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    # gunicorn as `manage.py serve` (and so `make run`) starts it: gthread, WORKERS x THREADS.
    command = [sys.executable, "-m", "gunicorn", "exercise_tracker.wsgi"]
    command += ["--bind", f"127.0.0.1:{port}", "--worker-class", "gthread"]
    command += ["--workers", str(WORKERS), "--threads", str(THREADS), "--timeout", "60"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def _running(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[str]]:
    """A setup step started in the background; `_finished` collects its output."""
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def _finished(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, out[-3000:] + err[-3000:]
    return out


def test_postgres_restarted_under_traffic(tmp_path: Path) -> None:
    started = time.monotonic()
    marks: list[tuple[str, float]] = []

    def mark(what: str) -> None:
        marks.append((what, round(time.monotonic() - started, 1)))

    # gunicorn starts while the cluster is migrated and the members seeded.
    with contextlib.ExitStack() as stack:
        cluster = stack.enter_context(_cluster())
        env = _server_env(cluster, tmp_path)
        cluster.init()
        cluster.start()
        cluster.create_database("et_restart")
        mark("cluster")
        seeding = stack.enter_context(
            _running(env, "-m", "tests.integration.restart_seed", str(MEMBERS))
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = tmp_path / "serve.log"
        serve = stack.enter_context(_serving(env, port, log))
        members = json.loads(_finished(seeding))["members"]
        mark("seeded")

        def server_output() -> str:
            return log.read_text(errors="replace")[-6000:] + "\n" + cluster.server_log()

        deadline = time.monotonic() + 90
        while _request(f"{base}/healthz", kind="health", headers={}).status != 200:
            assert serve.poll() is None, server_output()
            assert time.monotonic() < deadline, server_output()
            time.sleep(0.3)
        mark("serving")
        workers_before = _gunicorn_workers(serve.pid)
        assert len(workers_before) == WORKERS, (workers_before, server_output())

        traffic = Traffic()
        stop_new = threading.Event()
        give_up_at = [float("inf")]

        def phone(member: dict[str, Any]) -> None:
            headers = {"Authorization": f"Bearer {member['token']}"}
            n = 0
            while not stop_new.is_set():
                body = _session_body(member)
                key = body["client_id"]
                with traffic.lock:
                    traffic.attempted.add(key)
                n += 1
                # Every third session the answer is "lost" and the phone sends it again.
                sends = 2 if n % 3 == 0 else 1
                saw_503 = False
                while time.monotonic() < give_up_at[0]:
                    answer = _request(
                        f"{base}/api/v1/sessions/",
                        kind="post",
                        headers={**headers, "Idempotency-Key": key},
                        body=body,
                    )
                    traffic.add(answer)
                    if isinstance(answer.status, int) and 200 <= answer.status < 300:
                        sends -= 1
                        with traffic.lock:
                            traffic.stored.add(key)
                            if saw_503:
                                traffic.retried_after_503.add(key)
                        if sends == 0:
                            break
                        continue
                    if answer.status != 503:
                        break  # a wrong answer: recorded, the assertions name it
                    saw_503 = True
                    time.sleep(RETRY_PAUSE)
                else:
                    with traffic.lock:
                        traffic.given_up.add(key)

        def reader(member: dict[str, Any]) -> None:
            bearer = {"Authorization": f"Bearer {member['token']}"}
            cookie = {"Cookie": member["session_cookie"]}
            reads = [
                ("list", "/api/v1/sessions/", bearer),
                ("today-api", "/api/v1/today/", bearer),
                ("today-page", "/today/", cookie),
            ]
            k = 0
            while not stop_new.is_set():
                kind, path, headers = reads[k % len(reads)]
                k += 1
                traffic.add(_request(f"{base}{path}", kind=kind, headers=headers))
                time.sleep(0.02)

        threads = [threading.Thread(target=phone, args=(m,)) for m in members]
        threads += [
            threading.Thread(target=reader, args=(members[i % MEMBERS],)) for i in range(READERS)
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(2.0)
            cluster.restart("fast")  # in-flight requests lose their connections
            time.sleep(3.0)
            cluster.stop("fast")
            time.sleep(2.0)  # down: every request meets a refused connection
            cluster.start()
            back_at = time.monotonic()
            time.sleep(4.0)
        finally:
            stop_new.set()
            give_up_at[0] = time.monotonic() + 20  # phones finish their retries
            for thread in threads:
                thread.join(timeout=40)
        assert not any(t.is_alive() for t in threads)
        mark("traffic")

        assert serve.poll() is None, server_output()
        workers_after = _gunicorn_workers(serve.pid)

        # Each phone again, now that the database is back: answered by the same workers.
        after = [
            _request(
                f"{base}/api/v1/sessions/",
                kind="post-after",
                headers={"Authorization": f"Bearer {m['token']}"},
                body=_session_body(m),
            )
            for m in members
        ]

        answers = traffic.answers
        counts = Counter((a.kind, a.status) for a in answers)
        print("steps (s):", marks, "answers:", sorted(counts.items(), key=str))
        wrong = [
            a
            for a in answers
            if not (
                isinstance(a.status, int)
                and (200 <= a.status < 300 or (a.status == 503 and a.retry_after))
            )
        ]
        assert not wrong, (counts, [(a.kind, a.status, _gist(a.body)) for a in wrong[:5]])
        assert not [a for a in answers if "Traceback" in a.body], counts
        unavailable = [a for a in answers if a.status == 503]
        assert unavailable, f"the restart met no request: {counts}"
        assert all(a.retry_after == "5" for a in unavailable)
        # Back: every request sent once the database answered again was served.
        late = [
            a
            for a in answers
            if a.sent_at > back_at + 0.5 and not (isinstance(a.status, int) and a.status < 300)
        ]
        assert not late, [(a.kind, a.status, a.body[:300]) for a in late[:5]]
        assert [a.status for a in after] == [201] * MEMBERS, [a.body[:300] for a in after]
        assert workers_after == workers_before, "gunicorn's workers were restarted"
        assert sum(1 for a in answers if a.sent_at > back_at and a.kind == "post") > 0

        with cluster.connect("et_restart") as db:
            rows = db.execute(
                "SELECT s.client_id::text, s.member_id, count(e.id) FROM members_sessionlog s "
                "LEFT JOIN members_sessionentry e ON e.session_id = s.id GROUP BY s.id"
            ).fetchall()
        per_client = Counter(str(r[0]) for r in rows)
        assert all(r[2] == 3 for r in rows), [r for r in rows if r[2] != 3]  # none half-written
        assert max(per_client.values()) == 1  # none doubled
        assert traffic.stored <= set(per_client), traffic.stored - set(per_client)
        # A session retried after a 503 is stored exactly once; nothing stored was not sent.
        assert traffic.retried_after_503 <= set(per_client)
        assert not traffic.given_up, traffic.given_up
        stored_from_traffic = set(per_client) & traffic.attempted
        assert stored_from_traffic == traffic.stored, stored_from_traffic ^ traffic.stored
        assert len(per_client) == len(traffic.stored) + MEMBERS  # and the four sent after
