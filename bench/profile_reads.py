"""Where a read's time goes, in process: queries and milliseconds per request, and cProfile's
top functions, for the API reads `make bench` measures. Run against the bench database:

    BENCH_ENDPOINTS=1 DATABASE_URL=... REDIS_URL=... DJANGO_DEBUG=0 DJANGO_SECRET_KEY=... \\
        DJANGO_ALLOWED_HOSTS=testserver DJANGO_SECURE_SSL_REDIRECT=0 \\
        .venv/bin/python manage.py shell -c "from bench.profile_reads import main; main()"

READ_CACHE=0 profiles the reads without the read cache. `cpu()` instead of `main()` prints only
the CPU milliseconds per request (this process's: `time.process_time`) of each read, its 304
and the bare view, through Django's WSGI handler as gunicorn calls it, median of 5 batches:

    ... manage.py shell -c "from bench.profile_reads import cpu; cpu()"
"""

from __future__ import annotations

# mypy: disable-error-code="arg-type"
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client


def _paths_and_tokens() -> tuple[list[tuple[str, str | None]], dict[str, str]]:
    from exercise_tracker.tokens import VersionedRefreshToken
    from members.models import Member, User
    from programs.models import Plan, PlanStatus

    member = Member.objects.get(user__username="demo_member")
    plan = Plan.objects.filter(member=member, status=PlanStatus.ACTIVE).order_by("-pk").first()
    assert plan is not None
    token = {
        name: str(VersionedRefreshToken.for_user(User.objects.get(username=name)).access_token)
        for name in ("demo_member", "demo_pt")
    }
    paths: list[tuple[str, str | None]] = [
        ("/bench/bare/", None),
        ("/api/v1/me/", "demo_member"),
        ("/api/v1/exercises/", "demo_pt"),
        ("/api/v1/exercises/?q=bridge&region=hips", "demo_pt"),
        (f"/api/v1/plans/{plan.pk}/", "demo_pt"),
        ("/api/v1/today/", "demo_member"),
    ]
    return paths, token


def _wsgi_get(path: str, headers: dict[str, str]) -> Callable[[], tuple[str, dict[str, str]]]:
    """A GET of `path` through the WSGI handler, as gunicorn sends it; returns the status and
    headers (the body is read, as a server would)."""
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    route, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    environ |= {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}

    def get() -> tuple[str, dict[str, str]]:
        seen: dict[str, Any] = {}

        def start_response(status: str, response_headers: Any, exc_info: Any = None) -> None:
            seen["status"], seen["headers"] = status, dict(response_headers)

        result = handler(dict(environ), start_response)
        try:
            for _ in result:
                pass
        finally:
            result.close()
        return seen["status"], seen["headers"]

    return get


def cpu(repeat: int = 200, batches: int = 7) -> None:
    """CPU ms per request of each read (and its 304, when it has an ETag), through the WSGI
    handler: batches of `repeat` requests, interleaved across the paths (so a busy moment of
    the machine hits them alike), median per path."""
    paths, token = _paths_and_tokens()
    runs: list[tuple[str, Callable[[], tuple[str, dict[str, str]]]]] = []
    for path, user in paths:
        headers = {"Authorization": f"Bearer {token[user]}"} if user else {}
        runs.append((path, _wsgi_get(path, headers)))
        _, found = runs[-1][1]()
        if "ETag" in found:
            runs.append(
                (path + " (304)", _wsgi_get(path, headers | {"If-None-Match": found["ETag"]}))
            )
    status = {}
    for name, get in runs:
        for _ in range(20):  # warm
            status[name] = get()[0]
    times: dict[str, list[float]] = {name: [] for name, _ in runs}
    for _ in range(batches):
        for name, get in runs:
            began = time.process_time()
            for _ in range(repeat):
                get()
            times[name].append(1000 * (time.process_time() - began) / repeat)
    print(f"{'path':<48} {'status':>6} {'CPU ms':>7}  ratio to bare (CPU)")
    bare_ms = statistics.median(times[runs[0][0]])
    for name, _ in runs:
        ms = statistics.median(times[name])
        print(f"{name:<48} {status[name][:3]:>6} {ms:>7.3f}  {bare_ms / ms:.2f}")


def main(repeat: int = 200) -> None:
    paths, token = _paths_and_tokens()
    client = Client()
    top = int(os.environ.get("PROFILE_TOP", "12"))
    for path, user in paths:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token[user]}"} if user else {}
        client.get(path, **headers)  # warm
        queries: list[tuple[float, str]] = []

        def timed(execute, sql, params, many, context, queries=queries):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                queries.append((1000 * (time.perf_counter() - began), sql))

        with connection.execute_wrapper(timed):
            response = client.get(path, **headers)
        start = time.perf_counter()
        for _ in range(repeat):
            client.get(path, **headers)
        ms = 1000 * (time.perf_counter() - start) / repeat
        print(f"\n== {path} ({response.status_code}): {ms:.2f} ms, {len(queries)} queries")
        for took, sql in queries:
            print(f"    {took:.2f} ms  {sql[:140]}")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(repeat):
            client.get(path, **headers)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(
            os.environ.get("PROFILE_SORT", "tottime")
        ).print_stats(top)
        lines = out.getvalue().splitlines()
        start_at = next(i for i, line in enumerate(lines) if "ncalls" in line)
        print("\n".join(lines[start_at : start_at + top + 1]))
