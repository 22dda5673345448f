"""/healthz: 200 when the database answers; names the broker or cache when it does not."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return "unavailable"
    return "ok"


def _broker() -> str:
    if not settings.REDIS_URL:
        return "ok" if settings.CELERY_BROKER_DIR.is_dir() else "unavailable"
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except redis.RedisError:
        return "unavailable"
    return "ok"


def _cache() -> str:
    try:
        cache.set("healthz", "1", timeout=5)
        return "ok" if cache.get("healthz") == "1" else "unavailable"
    except Exception:
        return "unavailable"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _database(),
        "broker": _broker(),
        "cache": _cache(),
    }
    kinds = {
        "database": connection.vendor,
        "broker": "redis" if settings.REDIS_URL else "filesystem",
        "cache": "redis" if settings.REDIS_URL else "local memory",
    }
    failing = [f"{name} ({kinds[name]})" for name, state in checks.items() if state != "ok"]
    status_code = 200 if checks["database"] == "ok" else 503
    body = {
        "status": "ok" if not failing else "degraded",
        "checks": checks,
        "backends": kinds,
        "unavailable": failing,
    }
    return JsonResponse(body, status=status_code)
