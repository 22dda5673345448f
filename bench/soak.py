"""`make soak`: ten minutes (`--seconds`) of mixed traffic on `manage.py serve` (gunicorn,
the Celery worker and beat, so the reminder dispatcher ticks every minute) on PostgreSQL and
Redis, then the verdict:

- members log sessions and retry each POST once, as a phone on a bad network does (the retry
  must answer with the same session: 200, or the first 201 replayed for an Idempotency-Key);
- PTs read their caseload, plans, sessions and alerts; a coordinator exports the adherence CSV;
- zero 5xx, zero failed connections, no other unexpected status; no duplicate session (one row
  per member and client id, as many rows as 201s); the adherence figures agree with the logs
  (check_adherence);
- the resident memory of each server process flat after warm-up (the last sample at most 20%
  plus 16 MB over the first after warm-up).

The figures are printed; the exit status is 1 when any check fails. Database:
SOAK_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/et_soak, created when missing,
seeded with the demo); Redis: REDIS_URL (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import HOST, ensure_database, fail, free_port, manage  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/et_soak"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
MEMBERS = ["demo_member", "demo_member2", *[f"member{n:02d}" for n in range(1, 11)]]
PTS = ["demo_pt", "demo_pt2"]
COORDINATOR = "demo_coordinator"
NOTE = f"soak {uuid.uuid4().hex[:8]}"  # this run's sessions, told from earlier runs'
TOKENS = """
import json
from rest_framework_simplejwt.tokens import RefreshToken
from members.models import User
names = {names!r}
print(json.dumps({{u.username: [str(RefreshToken.for_user(u).access_token), getattr(getattr(u,
    "member_profile", None), "pk", None)] for u in User.objects.filter(username__in=names)}}))
"""
VERDICT = """
import json
from django.db.models import Count
from members.models import SessionLog
soak = SessionLog.objects.filter(notes={note!r})
dupes = (SessionLog.objects.values("member_id", "client_id").annotate(n=Count("id"))
    .filter(n__gt=1).count())
print(json.dumps({{"sessions": soak.count(), "duplicates": dupes}}))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--members", type=int, default=4, help="threads logging sessions")
    parser.add_argument("--pts", type=int, default=2, help="threads reading as PTs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-seed", action="store_true", help="skip migrate and seed_demo")
    return parser.parse_args()


class Traffic:
    """Status counts and latencies per kind of request, shared by the client threads."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.lock = threading.Lock()
        self.statuses: dict[str, Counter[int | str]] = defaultdict(Counter)
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.problems: list[str] = []
        self.created = 0

    def call(
        self,
        kind: str,
        path: str,
        *,
        token: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int | str, Any]:
        import urllib.error
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - our own server
            self.base + path,
            data=data,
            method="POST" if body is not None else "GET",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        started = time.perf_counter()
        status: int | str
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except OSError as exc:
            status, raw = type(exc).__name__, b""
        elapsed = time.perf_counter() - started
        with self.lock:
            self.statuses[kind][status] += 1
            self.latencies[kind].append(elapsed)
        try:
            payload = json.loads(raw) if raw and raw[:1] in b"[{" else raw
        except ValueError:
            payload = raw
        return status, payload

    def problem(self, text: str) -> None:
        with self.lock:
            if len(self.problems) < 50:
                self.problems.append(text)


def member_loop(traffic: Traffic, tokens: dict[str, Any], stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        username = rng.choice(MEMBERS)
        token = tokens[username][0]
        status, today = traffic.call("member today", "/api/v1/today/", token=token)
        if status != 200 or not isinstance(today, dict) or not today.get("items"):
            stop.wait(0.5)
            continue
        entries = [
            {
                "plan_item": item["plan_item"],
                "status": "done",  # every entry states done, partial or skipped
                "sets_done": item["dose"]["sets"],
                "reps_done": item["dose"]["reps"],
                "feedback": "just_right",
            }
            for item in today["items"]
        ]
        body = {
            "client_id": str(uuid.uuid4()),
            "date": today["date"],
            "status": "completed",
            "pain_before": rng.randint(2, 5),
            "pain_after": rng.randint(1, 5),
            "rpe": 4,
            "notes": NOTE,
            "entries": entries,
        }
        headers = {"Idempotency-Key": str(uuid.uuid4())} if rng.random() < 0.3 else {}
        first, stored = traffic.call(
            "member log", "/api/v1/sessions/", token=token, body=body, headers=headers
        )
        # The phone did not hear the answer and sends the same session again.
        again, replayed = traffic.call(
            "member retry", "/api/v1/sessions/", token=token, body=body, headers=headers
        )
        if first == 201:
            with traffic.lock:
                traffic.created += 1
            same = isinstance(replayed, dict) and replayed.get("id") == stored.get("id")
            if again not in (200, 201) or not same:
                traffic.problem(f"retry answered {again} with another session")
        elif first != 201:
            traffic.problem(f"log answered {first}: {str(stored)[:300]}")
        stop.wait(rng.uniform(0.05, 0.3))


def pt_loop(traffic: Traffic, tokens: dict[str, Any], stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        token = tokens[rng.choice(PTS)][0]
        _, caseload = traffic.call("pt caseload", "/api/v1/members/", token=token)
        ids = [m["id"] for m in caseload.get("results", [])] if isinstance(caseload, dict) else []
        if not ids:
            traffic.problem("a PT's caseload came back empty")
            stop.wait(1.0)
            continue
        member = rng.choice(ids)  # one of their own members
        traffic.call("pt plans", f"/api/v1/plans/?member={member}", token=token)
        traffic.call("pt sessions", f"/api/v1/sessions/?member={member}", token=token)
        traffic.call("pt alerts", "/api/v1/alerts/", token=token)
        stop.wait(rng.uniform(0.05, 0.3))


def coordinator_loop(traffic: Traffic, tokens: dict[str, Any], stop: threading.Event) -> None:
    token = tokens[COORDINATOR][0]
    while not stop.is_set():
        traffic.call("coordinator csv", "/api/v1/dashboard/adherence/?format=csv", token=token)
        stop.wait(2.0)


def process_group_rss(pgid: int) -> dict[int, tuple[str, int]]:
    """pid -> (short command, resident KiB) of every process in the server's group."""
    found: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid:  # field 5 of /proc/pid/stat: the process group
                continue
            status = (entry / "status").read_text()
            rss = next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
            )
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            words = [a.decode(errors="replace") for a in argv if a]
            role = next(
                (w for w in words if w in {"gunicorn", "worker", "beat", "serve"}),
                Path(words[0]).name if words else "?",
            )
            found[int(entry.name)] = (role, rss)
        except (OSError, ValueError, StopIteration, IndexError):
            continue
    return found


def main() -> None:
    args = parse_args()
    database_url = os.environ.get("SOAK_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "exercise_tracker.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        "API_THROTTLE_USER": "100000000/min",
        "JWT_ACCESS_MINUTES": str(max(30, args.seconds // 60 + 30)),
        "DJANGO_LOG_LEVEL": "WARNING",
        "EXERCISE_TRACKER_VAR_DIR": tempfile.mkdtemp(prefix="et-soak-"),
    }
    print(f"[1/4] database {database_url.rsplit('/', 1)[-1]}: create, migrate, seed", flush=True)
    ensure_database(database_url)
    if not args.no_seed:
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", "--force")
    names = [*MEMBERS, *PTS, COORDINATOR]
    out = manage(env, "shell", "-c", TOKENS.format(names=names))
    tokens: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if set(names) - set(tokens):
        fail(f"demo accounts missing: {sorted(set(names) - set(tokens))}")

    port = free_port()
    log = Path(env["EXERCISE_TRACKER_VAR_DIR"]) / "serve.log"
    print(f"[2/4] manage.py serve on port {port} (log: {log})", flush=True)
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [
                *(sys.executable, "manage.py", "serve", "--port", str(port)),
                *("--workers", str(args.workers), "--threads", str(args.threads)),
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    traffic = Traffic(f"http://{HOST}:{port}")
    failed: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while traffic.call("healthz", "/healthz", token="")[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                fail("the server did not come up:\n" + log.read_text(errors="replace")[-3000:])
            time.sleep(1)
        traffic.statuses.clear()

        print(f"[3/4] {args.seconds} s of traffic", flush=True)
        stop = threading.Event()
        threads = [
            threading.Thread(target=member_loop, args=(traffic, tokens, stop, n))
            for n in range(args.members)
        ]
        threads += [
            threading.Thread(target=pt_loop, args=(traffic, tokens, stop, 100 + n))
            for n in range(args.pts)
        ]
        threads.append(threading.Thread(target=coordinator_loop, args=(traffic, tokens, stop)))
        at_start = process_group_rss(server.pid)  # before any traffic
        load_start = os.getloadavg()
        started = time.monotonic()
        for thread in threads:
            thread.start()
        warm_up = min(60.0, args.seconds / 5)
        samples: list[tuple[float, dict[int, tuple[str, int]]]] = []
        while time.monotonic() - started < args.seconds:
            time.sleep(min(5.0, max(0.0, args.seconds - (time.monotonic() - started))))
            elapsed = time.monotonic() - started
            if elapsed >= warm_up:
                samples.append((elapsed, process_group_rss(server.pid)))
            if server.poll() is not None:
                failed.append("the server stopped during the soak")
                break
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        duration = time.monotonic() - started
        load_end = os.getloadavg()
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)

    print("[4/4] verdict", flush=True)
    total = sum(sum(c.values()) for c in traffic.statuses.values())
    print(f"  {total} requests in {duration:.0f} s ({total / max(duration, 1):.1f}/s)")
    print(
        f"  load average (1, 5, 15 min) at start {', '.join(f'{x:.2f}' for x in load_start)}, "
        f"at end {', '.join(f'{x:.2f}' for x in load_end)} on {os.cpu_count()} CPUs"
    )
    print(f"  {'request':<18} {'count':>7} {'p50 ms':>8} {'p95 ms':>8}  statuses")
    for kind in sorted(traffic.statuses):
        times = sorted(traffic.latencies[kind])
        p50 = statistics.median(times) * 1000
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))] * 1000
        counts = ", ".join(f"{s}: {n}" for s, n in sorted(traffic.statuses[kind].items(), key=str))
        print(f"  {kind:<18} {len(times):>7} {p50:>8.1f} {p95:>8.1f}  {counts}")
        # Retries with an Idempotency-Key get the first answer (201) replayed.
        expected = {"member log": {201}, "member retry": {200, 201}}.get(kind, {200})
        bad = {s: n for s, n in traffic.statuses[kind].items() if s not in expected}
        if bad:
            failed.append(f"{kind}: {bad}")
    failed += traffic.problems

    verdict = json.loads(
        manage(env, "shell", "-c", VERDICT.format(note=NOTE)).strip().splitlines()[-1]
    )
    print(
        f"  sessions stored {verdict['sessions']} for {traffic.created} answered 201; "
        f"duplicate (member, client id) rows {verdict['duplicates']}"
    )
    if verdict["duplicates"] or verdict["sessions"] != traffic.created:
        failed.append(f"sessions: {verdict} against {traffic.created} created")
    check = subprocess.run(
        [sys.executable, "manage.py", "check_adherence"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    print("  check_adherence: " + (check.stdout + check.stderr).strip().splitlines()[-1])
    if check.returncode != 0:
        failed.append("adherence figures differ from the logs")

    if len(samples) >= 2:
        first, last = samples[0][1], samples[-1][1]
        print(
            f"  resident memory (MB) at start, after warm-up ({samples[0][0]:.0f} s), "
            f"at the end ({samples[-1][0]:.0f} s):"
        )
        for pid in sorted(first):
            if pid not in last:
                continue
            role, before = first[pid]
            after = last[pid][1]
            flat = after <= before * 1.2 + 16 * 1024
            initial = f"{at_start[pid][1] / 1024:7.1f}" if pid in at_start else "      -"
            print(
                f"    {role:<10} pid {pid:<8} {initial} -> {before / 1024:7.1f} -> "
                f"{after / 1024:7.1f}"
            )
            if not flat:
                failed.append(f"{role} (pid {pid}) grew from {before} to {after} KiB")
    else:
        print("  resident memory: too short a run to compare (give --seconds 120 or more)")

    if failed:
        print("soak FAILED:\n  " + "\n  ".join(failed), file=sys.stderr)
        raise SystemExit(1)
    print("soak passed: zero 5xx, no duplicate rows, figures agree, memory flat")


if __name__ == "__main__":
    main()
