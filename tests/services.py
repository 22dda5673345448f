"""Which real services this run has. Absent ones skip a test locally and fail it in CI."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from django.db import connection

CHROMIUM = "/usr/bin/chromium"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing(message: str) -> None:
    if in_ci():
        pytest.fail(f"CI needs {message}", pytrace=False)
    pytest.skip(f"needs {message}")


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        _missing("PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/exercise_tracker")


def require_redis() -> str:
    url = settings.REDIS_URL
    if not url:
        _missing("Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        _missing(f"Redis answering at REDIS_URL ({url.split('@')[-1]})")
    return url


def require_chromium() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _missing("Debian's chromium at /usr/bin/chromium: apt-get install chromium")
    return CHROMIUM


AXE_CORE = "var/npm/node_modules/axe-core/axe.min.js"


def require_axe_core() -> str:
    """axe-core's script (from npm: `npm install --prefix var/npm axe-core`, as .ci/run does)."""
    from pathlib import Path

    path = Path(settings.BASE_DIR) / AXE_CORE
    if not path.exists():
        _missing(f"axe-core from npm: npm install --no-save --prefix var/npm axe-core ({path})")
    return path.read_text()
