"""`make bench`: gunicorn on PostgreSQL and Redis, each scenario against its baseline, interleaved.

Each round runs every scenario beside its baseline (bare, me, ...; in even rounds me, bare), so
the two runs of a ratio are seconds apart and the machine's swings hit both alike; a scenario's
ratio is the median over the rounds of those side-by-side ratios, its req/s the median of its
runs. With
WGER_PYTHON (or --wger-python), wger's gunicorn runs beside ours and its cached exercise list
takes part in the same rounds (bench/wger_peer.py). All traffic
goes to 127.0.0.1 only, for a bounded number of rounds of a bounded duration.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wger_peer  # noqa: E402
from bench.scenarios import MESSAGE_POLL, SCENARIOS, WGER_LIST, Scenario  # noqa: E402

HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/et_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
READY_TIMEOUT = 30.0


def step(number: int, total: int, text: str) -> None:
    print(f"[{number}/{total}] {text}", flush=True)


def fail(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr)
    raise SystemExit(2)


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        fail(
            "needs the wrk load generator. Install it with `apt-get install -y wrk` (Debian, "
            "Ubuntu) or `brew install wrk` (macOS), then run `make bench` again."
        )
    assert wrk is not None
    return wrk


def ensure_database(url: str) -> None:
    """Creates the benchmark database when it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"      created database {name}")
    except psycopg.OperationalError as exc:
        fail(f"PostgreSQL does not answer at {parts.hostname}:{parts.port or 5432}: {exc}")


def manage(env: dict[str, str], *args: str, progress: bool = False, timeout: int = 600) -> str:
    """Runs manage.py; with `progress` its stderr (progress bars) goes to the terminal."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=None if progress else subprocess.PIPE,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        fail(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr or ''}")
    return done.stdout


def access_token(env: dict[str, str], username: str) -> str:
    """A real access token for `username`, signed with the server's key."""
    code = (
        "from rest_framework_simplejwt.tokens import RefreshToken\n"
        "from members.models import User\n"
        f"print(RefreshToken.for_user(User.objects.get(username={username!r})).access_token)"
    )
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def inside(
    env: dict[str, str], function: str, *, long: bool = False, arguments: str = ""
) -> dict[str, Any]:
    """Runs a function of bench/inside.py in Django against the benchmark database (`long`: one
    that may seed for minutes, showing its progress; `arguments`: Python source of its
    arguments)."""
    out = manage(
        env,
        "shell",
        "-c",
        f"from bench.inside import {function}; {function}({arguments})",
        progress=long,
        timeout=3600 if long else 600,
    )
    return dict(json.loads(out.strip().splitlines()[-1]))


def with_facts(scenario: Scenario, facts: dict[str, Any]) -> Scenario:
    """The scenario with `{plan_id}` and the like filled in (`{etag}` is left for with_etag,
    which asks the server once it runs)."""
    facts = {"etag": "{etag}", **facts}
    return replace(
        scenario,
        path=scenario.path.format(**facts),
        headers={key: value.format(**facts) for key, value in scenario.headers.items()},
        body=scenario.body.format(**facts) if scenario.body is not None else None,
        lua=scenario.lua.format(**facts) if scenario.lua is not None else None,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def request(
    url: str, *, method: str = "GET", headers: dict[str, str], body: str | None
) -> tuple[int, bytes]:
    data = body.encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=5) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Server:
    """gunicorn in its own process group, its output in a log file shown when it fails."""

    def __init__(
        self, *, env: dict[str, str], workers: int, threads: int, python: str = sys.executable,
        app: str = "exercise_tracker.wsgi", cwd: Path = ROOT, name: str = "gunicorn",
    ) -> None:  # fmt: skip
        self.name = name
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="et-bench-gunicorn-", suffix=".log")[1])
        command = [
            python,
            "-m",
            "gunicorn",
            app,
            f"--bind={HOST}:{self.port}",
            f"--workers={workers}",
            "--worker-class=gthread",
            f"--threads={threads}",
            "--keep-alive=5",
            "--backlog=256",
            # gunicorn 27's control socket has one default path per user: two servers (ours and
            # the peer's, or another run's) would take it from each other.
            "--no-control-socket",
        ]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail(f"{self.name} exited:\n{self.output()}")
            try:
                status, _ = request(self.base + path, headers={}, body=None)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        fail(f"{self.name} not answering {path} within {READY_TIMEOUT}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def cpu_seconds(self) -> float:
        """User and system CPU of gunicorn's workers so far (Linux /proc; 0 elsewhere)."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.proc.pid:  # ppid: a worker of this master
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.unlink(missing_ok=True)


def wrk_script(scenario: Scenario) -> str | None:
    if scenario.lua is not None:
        return scenario.lua
    if scenario.method == "GET" and scenario.body is None:
        return None
    lines = [f'wrk.method = "{scenario.method}"']
    if scenario.body is not None:
        lines.append(f"wrk.body = [==[{scenario.body}]==]")
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    return "\n".join(lines) + "\n"


RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
COUNT = re.compile(r"(\d+) requests in")
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
ERRORS = re.compile(r"Socket errors:.*")


@dataclass
class Measure:
    rate: float  # requests per second
    cpu_ms: float  # gunicorn CPU milliseconds per request


def run_wrk(
    server: Server, wrk: str, scenario: Scenario, headers: dict[str, str],
    args: argparse.Namespace, duration: float,
) -> Measure:  # fmt: skip
    command = [
        wrk, "-t1", f"-c{args.connections}", f"-d{duration:g}s", "--timeout=5s",
    ]  # fmt: skip
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    script = wrk_script(scenario)
    script_path = None
    if script is not None:
        handle, name = tempfile.mkstemp(prefix="et-bench-", suffix=".lua")
        os.write(handle, script.encode())
        os.close(handle)
        script_path = Path(name)
        command += ["-s", str(script_path)]
    command.append(server.base + scenario.path)
    cpu_before = server.cpu_seconds()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    finally:
        if script_path is not None:
            script_path.unlink(missing_ok=True)
    cpu = server.cpu_seconds() - cpu_before
    rate, count = RATE.search(done.stdout), COUNT.search(done.stdout)
    if done.returncode != 0 or rate is None or count is None:
        fail(f"wrk failed on {scenario.name}:\n{done.stdout}\n{done.stderr}")
    assert rate is not None and count is not None
    bad = NON_2XX.search(done.stdout)
    if bad and scenario.expect_status < 300:
        fail(f"{scenario.name}: {bad.group(1)} answers were not 2xx (throttled? token expired?)")
    socket_errors = ERRORS.search(done.stdout)
    if socket_errors:
        print(f"      note: {scenario.name}: {socket_errors.group(0)}")
    return Measure(rate=float(rate.group(1)), cpu_ms=1000 * cpu / max(1, int(count.group(1))))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds per scenario")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per round")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured warm-up")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per process")
    parser.add_argument("--only", nargs="*", help="scenario names to run (and their baselines)")
    parser.add_argument("--no-seed", action="store_true", help="skip migrate and seed_demo")
    parser.add_argument(
        "--no-thumbnails", action="store_true", help="skip the thumbnail generation rate"
    )
    parser.add_argument(
        "--no-dispatcher", action="store_true", help="skip the reminder dispatcher ticks"
    )
    parser.add_argument("--no-dashboard", action="store_true", help="skip the dashboard at scale")
    parser.add_argument(
        "--wger-python",
        default=os.environ.get("WGER_PYTHON") or None,
        metavar="PYTHON",
        help="a Python that imports wger and gunicorn (default: $WGER_PYTHON): runs wger's "
        "cached exercise list beside ours as a peer (bench/wger_peer.md); without it the peer "
        "is skipped",
    )
    parser.add_argument(
        "--dashboard-members",
        type=int,
        nargs="+",
        default=[10_000, 100_000],
        help="organization sizes for the dashboard (default 10000 100000; each seeded once, "
        "the 100,000 in about half an hour)",
    )
    args = parser.parse_args()
    if not (1 <= args.rounds <= 50 and 0.5 <= args.duration <= 60):
        parser.error("--rounds must be 1-50 and --duration 0.5-60 seconds")
    return args


def selected(args: argparse.Namespace) -> list[Scenario]:
    """The scenarios to run: all, or those --only names with their baselines and the scenarios
    they should be faster than (the peer's only when it is enabled)."""
    candidates = SCENARIOS + ([WGER_LIST] if args.wger_python else [])
    if not args.only:
        return candidates
    wanted = set(args.only)
    wanted |= {s.above for s in candidates if s.name in wanted and s.above}
    wanted |= {s.baseline for s in candidates if s.name in wanted and s.baseline}
    return [s for s in candidates if s.name in wanted]


def main() -> None:
    args = parse_args()
    wrk = require_wrk()
    scenarios = selected(args)
    total = 9
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "exercise_tracker.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BENCH_ENDPOINTS": "1",
        # The throttle still runs (its cache round-trip is part of the cost), it just never trips.
        "API_THROTTLE_USER": "100000000/min",
        "API_THROTTLE_ANON": "100000000/min",
        "JWT_ACCESS_MINUTES": "120",
        "DJANGO_LOG_LEVEL": "WARNING",
        "EXERCISE_TRACKER_VAR_DIR": env.get(
            "EXERCISE_TRACKER_VAR_DIR", str(ROOT / "var" / "bench")
        ),
    }

    step(1, total, f"database {urlsplit(database_url).path.lstrip('/')}: create, migrate, seed")
    ensure_database(database_url)
    if not args.no_seed:
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", "--force")

    step(2, total, "access tokens and the ids scenarios name")
    tokens = {user: access_token(env, user) for user in {s.as_user for s in scenarios if s.as_user}}
    facts = inside(env, "facts")
    scenarios = [with_facts(s, facts) for s in scenarios]

    peer_env = prepare_peer(args, env, database_url, scenarios, total)

    step(4, total, f"gunicorn: {args.workers} gthread workers x {args.threads} threads")
    server = Server(env=env, workers=args.workers, threads=args.threads)
    peer = None
    try:
        server.wait_ready("/bench/bare/")
        if peer_env is not None:
            peer = Server(
                env=peer_env, workers=args.workers, threads=args.threads, python=args.wger_python,
                app="wger.wsgi", cwd=Path(peer_env["PYTHONPATH"]), name="wger's gunicorn",
            )  # fmt: skip
            peer.wait_ready(WGER_LIST.path)
            print(f"      and wger's, the same, on port {peer.port}")
        measure(server, peer, wrk, scenarios, tokens, args, total)
        poll = next((s for s in scenarios if s.name == MESSAGE_POLL.name), None)
        if poll is not None:
            report_idle_conversation(server, poll)
    finally:
        server.stop()
        if peer is not None:
            peer.stop()
        inside(env, "cleanup")
    if not args.no_thumbnails:
        step(total - 2, total, "thumbnail generation (the Celery task's code, in one process)")
        rate = inside(env, "thumbnails")
        print(
            f"      {rate['images']} thumbnail pairs (160 + 480 px WebP): "
            f"{rate['per_second']:.1f} images/s, median {rate['median_ms']:.0f} ms "
            f"(still {rate.get('still_median_ms', 0):.0f} ms, "
            f"animated {rate.get('animated_median_ms', 0):.0f} ms)"
        )
    if not args.no_dispatcher:
        step(total - 1, total, "reminder dispatcher: a tick with none due, and with 1,000 due")
        report_dispatcher(inside(env, "dispatcher"))
    if not args.no_dashboard:
        sizes = sorted(set(args.dashboard_members))
        names = " and ".join(f"{n:,}" for n in sizes)
        step(total, total, f"adherence dashboard at {names} members (seed_scale, once)")
        report_dashboard(inside(env, "dashboard", long=True, arguments=f"sizes={tuple(sizes)!r}"))


def prepare_peer(
    args: argparse.Namespace, env: dict[str, str], database_url: str, scenarios: list[Scenario],
    total: int,
) -> dict[str, str] | None:  # fmt: skip
    """wger's environment with its database migrated and seeded, when the peer runs."""
    if not args.wger_python:
        step(
            3,
            total,
            "peer wger: skipped (set WGER_PYTHON=/path/to/wger-venv/bin/python or pass "
            "--wger-python to run wger's cached exercise list beside ours; bench/wger_peer.md)",
        )
        return None
    if not any(s.peer for s in scenarios):
        step(3, total, "peer wger: skipped (no scenario selected compares with it)")
        return None
    url = wger_peer.database_url(database_url)
    step(3, total, f"peer wger: database {urlsplit(url).path.lstrip('/')}: create, migrate, seed")
    ensure_database(url)
    var_dir = Path(env["EXERCISE_TRACKER_VAR_DIR"])
    peer_env = wger_peer.environment(args.wger_python, url, var_dir)
    try:
        wger_peer.prepare(args.wger_python, peer_env)
    except (wger_peer.PeerError, subprocess.TimeoutExpired) as exc:
        fail(str(exc))
    return peer_env


# A tick with nothing due must cost under 1/50 of one with 1,000 due (of 10,000 scheduled):
# the dispatcher's cost follows what is due, not the number of members.
DISPATCHER_TARGET = 1 / 50


def report_dispatcher(tick: dict[str, Any]) -> None:
    ratio = tick["none_due_ms"] / tick["due_ms"]
    met = "met" if ratio < DISPATCHER_TARGET else "NOT met"
    print(
        f"      {tick['members']:,} members with a reminder. None due: "
        f"{tick['none_due_ms']:.2f} ms, {tick['none_due_queries']} statements. "
        f"{tick['due']:,} due: {tick['due_ms']:.0f} ms, {tick['due_queries']} statements "
        f"(batches of {tick['batch_size']}, {tick['deliveries_recorded']:,} deliveries)."
        f"\n      ratio {ratio:.4f} (1/{1 / ratio:.0f}); target under 1/50: {met}"
    )


# The dashboard's first page with its roll-ups at most 1.5 times a hand-written SQL aggregate
# over the same sessions (issue 7), at 100,000 members; and at most twice its own time at 10,000
# (the first page does not read every member).
DASHBOARD_TARGET = 1.5
DASHBOARD_GROWTH_TARGET = 2.0


def report_dashboard(answer: dict[str, Any]) -> None:
    runs = answer["sizes"]
    for run in runs:
        met = "met" if run["ratio"] <= DASHBOARD_TARGET else "NOT met"
        print(
            f"      {run['members']:,} members, 90 days (set up in {run['setup_s']:.0f} s). "
            f"Dashboard API, first page with roll-ups: {run['api_ms']:.0f} ms "
            f"({run['api_range_ms'][0]:.0f}-{run['api_range_ms'][1]:.0f}, {run['api_queries']} "
            f"queries); hand-written SQL aggregate: {run['sql_ms']:.0f} ms "
            f"({run['sql_range_ms'][0]:.0f}-{run['sql_range_ms'][1]:.0f})."
            f"\n      ratio {run['ratio']:.2f}; target at most {DASHBOARD_TARGET}: {met}. "
            f"CSV of every row: {run['csv_rows']:,} rows in {run['csv_s']:.2f} s "
            f"({run['csv_rows_per_s']:,.0f} rows/s)"
        )
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        growth = large["api_ms"] / small["api_ms"]
        met = "met" if growth <= DASHBOARD_GROWTH_TARGET else "NOT met"
        print(
            f"      first page at {large['members']:,} members over {small['members']:,}: "
            f"{growth:.2f}x; target at most {DASHBOARD_GROWTH_TARGET}x: {met}"
        )


def report_idle_conversation(server: Server, poll: Scenario) -> None:
    """The idle cost of one open conversation page: polls a minute at the page's interval and
    the bytes on the wire of each 304 exchange (request and answer, as sent)."""
    from messaging.polling import POLL_SECONDS

    host, port = urlsplit(server.base).hostname, urlsplit(server.base).port
    lines = [f"GET {poll.path} HTTP/1.1", f"Host: {host}:{port}", "Accept: */*",
             "Connection: close"]  # fmt: skip
    lines += [f"{key}: {value}" for key, value in poll.headers.items()]
    sent = ("\r\n".join(lines) + "\r\n\r\n").encode()
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(sent)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    status = received.split(b" ", 2)[1].decode() if received else "none"
    if status != "304":
        fail(f"the conversation poll answered {status}, expected 304")
    per_minute = 60 / POLL_SECONDS
    per_poll = len(sent) + len(received)
    print(
        f"\n      open conversation, idle: {per_minute:.0f} polls a minute (every {POLL_SECONDS} s "
        f"while the tab is visible; hidden, backing off to one a minute), each a 304 of "
        f"{len(received)} bytes answering {len(sent)} bytes: "
        f"{per_minute * per_poll / 1024:.1f} KiB a minute on the wire (HTTP/1.1 without TLS)."
    )


def with_etag(server: Server, scenario: Scenario, tokens: dict[str, str]) -> Scenario:
    """A scenario sending `If-None-Match: {etag}` gets the ETag the server gives its path now."""
    if "{etag}" not in scenario.headers.values():
        return scenario
    headers = {k: v for k, v in headers_for(scenario, tokens).items() if v != "{etag}"}
    req = urllib.request.Request(server.base + scenario.path, headers=headers)  # noqa: S310
    with urllib.request.urlopen(req, timeout=5) as response:  # noqa: S310
        etag = response.headers.get("ETag")
    if not etag:
        fail(f"{scenario.name}: {scenario.path} answered without an ETag")
    filled = {k: (etag if v == "{etag}" else v) for k, v in scenario.headers.items()}
    return replace(scenario, headers=filled)


def headers_for(scenario: Scenario, tokens: dict[str, str]) -> dict[str, str]:
    headers = dict(scenario.headers)
    if scenario.as_user:
        headers["Authorization"] = f"Bearer {tokens[scenario.as_user]}"
    return headers


def measure(
    server: Server, peer: Server | None, wrk: str, scenarios: list[Scenario],
    tokens: dict[str, str], args: argparse.Namespace, total: int,
) -> None:  # fmt: skip
    """Runs each scenario on its server (ours, or the peer's for a peer scenario)."""

    def on(scenario: Scenario) -> Server:
        if scenario.peer:
            assert peer is not None
            return peer
        return server

    step(5, total, "each scenario answers as expected, then warm-up")
    scenarios = [with_etag(on(s), s, tokens) for s in scenarios]
    for scenario in scenarios:
        headers = headers_for(scenario, tokens)
        if scenario.body is not None:
            headers.setdefault("Content-Type", "application/json")
        status, body = request(
            on(scenario).base + scenario.path, method=scenario.method, headers=headers,
            body=scenario.body,
        )  # fmt: skip
        if status != scenario.expect_status:
            fail(f"{scenario.name} answered {status}, expected {scenario.expect_status}: "
                 f"{body[:300]!r}")  # fmt: skip
        if scenario.peer:
            try:
                wger_peer.check_list(body)
            except wger_peer.PeerError as exc:
                fail(str(exc))
        run_wrk(on(scenario), wrk, scenario, headers_for(scenario, tokens), args, args.warmup)

    by_name = {s.name: s for s in scenarios}
    order = paired_order(scenarios)
    results: dict[str, list[Measure]] = {s.name: [] for s in scenarios}
    paired: dict[str, list[Pair]] = {s.name: [] for s in scenarios}
    runs = sum(2 if s.baseline in by_name else 1 for s in order)
    minutes = args.rounds * runs * args.duration / 60
    step(
        6, total,
        f"{args.rounds} rounds of {args.duration:g}s runs, each scenario beside its baseline "
        f"(~{minutes:.1f} min)",
    )  # fmt: skip
    load_before = os.getloadavg()[0]
    for number in range(1, args.rounds + 1):
        parts = []
        for scenario in order:
            base = by_name.get(scenario.baseline or "")
            # The baseline just before the scenario in odd rounds, just after it in even ones:
            # a machine speeding up or slowing down favours neither side.
            sides = [scenario] if base is None else [base, scenario][:: 1 if number % 2 else -1]
            got = {}
            for side in sides:
                got[side.name] = run_wrk(
                    on(side), wrk, side, headers_for(side, tokens), args, args.duration
                )
                results[side.name].append(got[side.name])
            mine = got[scenario.name]
            part = f"{scenario.name} {mine.rate:,.0f}/s {mine.cpu_ms:.2f} ms"
            if base is not None:
                pair = Pair(mine, got[base.name])
                paired[scenario.name].append(pair)
                part += f" ({pair.ratio:.2f} of {pair.baseline.rate:,.0f}/s)"
            parts.append(part)
        print(f"      round {number}/{args.rounds}: " + " | ".join(parts), flush=True)
    report(scenarios, results, paired, args, loads=(load_before, os.getloadavg()[0]))


@dataclass
class Pair:
    """One run of a scenario and the run of its baseline beside it (the next 5 seconds)."""

    measured: Measure
    baseline: Measure

    @property
    def ratio(self) -> float:
        return self.measured.rate / self.baseline.rate

    @property
    def cpu_ratio(self) -> float:
        return self.baseline.cpu_ms / self.measured.cpu_ms if self.measured.cpu_ms else 0.0


def paired_order(scenarios: list[Scenario]) -> list[Scenario]:
    """A round's order: every scenario that has a baseline (run beside it); a baseline runs on
    its own only when nothing selected compares with it; a scenario another should be faster
    than comes right after that one, so the two are measured within seconds of each other."""
    names = {s.name for s in scenarios}
    compared = {s.baseline for s in scenarios if s.baseline in names}
    order: list[Scenario] = []
    for scenario in scenarios:
        if scenario in order or (scenario.name in compared and scenario.baseline not in names):
            continue
        order.append(scenario)
        follower = next((s for s in scenarios if s.name == scenario.above), None)
        if follower is not None and follower not in order:
            order.append(follower)
    return order


def report(
    scenarios: list[Scenario], results: dict[str, list[Measure]],
    paired: dict[str, list[Pair]], args: argparse.Namespace, loads: tuple[float, float],
) -> None:  # fmt: skip
    """Medians per scenario, and its ratios to its baseline: the median over the rounds of the
    ratio of each run to the baseline's run beside it, of throughput and of server CPU per
    request.

    The CPU ratio (baseline's CPU per request / this one's) counts only gunicorn's own work, so
    it holds steady when other programs share the machine; the throughput ratio is the target.
    """
    rate = {n: statistics.median(m.rate for m in ms) for n, ms in results.items() if ms}
    cpu = {n: statistics.median(m.cpu_ms for m in ms) for n, ms in results.items() if ms}
    width = max(len(s.name) for s in scenarios)
    print()
    print(
        f"{'scenario':<{width}}  {'req/s':>7}  {'range':>13}  {'CPU ms/req':>10}  "
        f"{'ratio':>5}  {'ratio range':>11}  {'CPU ratio':>9}  target"
    )
    for scenario in scenarios:
        values = [m.rate for m in results[scenario.name]]
        spread = f"{min(values):,.0f}-{max(values):,.0f}"
        ratio = ratios = cpu_ratio = verdict = ""
        pairs = paired[scenario.name]
        if pairs:
            value = statistics.median(p.ratio for p in pairs)
            ratio = f"{value:.2f}"
            ratios = f"{min(p.ratio for p in pairs):.2f}-{max(p.ratio for p in pairs):.2f}"
            cpu_ratio = f"{statistics.median(p.cpu_ratio for p in pairs):.2f}"
            if scenario.target is not None:
                met = "met" if value >= scenario.target else "NOT met"
                verdict = f">= {scenario.target:.2f} of {scenario.baseline}: {met}"
        print(
            f"{scenario.name:<{width}}  {rate[scenario.name]:>7,.0f}  {spread:>13}  "
            f"{cpu[scenario.name]:>10.2f}  {ratio:>5}  {ratios:>11}  {cpu_ratio:>9}  {verdict}"
        )
    for scenario in scenarios:
        if scenario.above and scenario.above in rate:
            # Round by round: the two run within seconds of each other (paired_order).
            rounds = [
                ours.rate / theirs.rate
                for ours, theirs in zip(
                    results[scenario.name], results[scenario.above], strict=False
                )
            ]
            value = statistics.median(rounds)
            met = "met" if value > 1 else "NOT met"
            print(
                f"{scenario.name}: {value:.2f} of {scenario.above} (rounds {min(rounds):.2f}-"
                f"{max(rounds):.2f}; medians {rate[scenario.name]:,.0f} vs "
                f"{rate[scenario.above]:,.0f} req/s; CPU ms per request "
                f"{cpu[scenario.name]:.2f} vs {cpu[scenario.above]:.2f}); above it: {met}"
            )
    print(
        f"\nMedians of {args.rounds} rounds of {args.duration:g}s. {os.cpu_count()} CPUs; gunicorn "
        f"{args.workers} gthread workers x {args.threads} threads; wrk 1 thread, "
        f"{args.connections} connections; all on {HOST}. Load average {loads[0]:.1f} before, "
        f"{loads[1]:.1f} after (above {os.cpu_count()} means other programs shared the CPUs)."
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
