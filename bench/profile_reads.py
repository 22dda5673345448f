"""Where a read's time goes, in process: queries and milliseconds per request, and cProfile's
top functions, for the API reads `make bench` measures. Run against the bench database:

    BENCH_ENDPOINTS=1 DATABASE_URL=... REDIS_URL=... DJANGO_DEBUG=0 DJANGO_SECRET_KEY=... \\
        DJANGO_ALLOWED_HOSTS=testserver DJANGO_SECURE_SSL_REDIRECT=0 \\
        .venv/bin/python manage.py shell -c "from bench.profile_reads import main; main()"

READ_CACHE=0 profiles the reads without the read cache.
"""

from __future__ import annotations

# mypy: disable-error-code="arg-type"
import cProfile
import io
import os
import pstats
import time

from django.db import connection
from django.test import Client


def main(repeat: int = 200) -> None:
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
    paths = [
        ("/bench/bare/", None),
        ("/api/v1/me/", "demo_member"),
        ("/api/v1/exercises/", "demo_pt"),
        ("/api/v1/exercises/?q=bridge&region=hips", "demo_pt"),
        (f"/api/v1/plans/{plan.pk}/", "demo_pt"),
        ("/api/v1/today/", "demo_member"),
    ]
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
