"""Test settings: fast hashing, temporary media, locmem email, eager tasks (except integration)."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# Development values (DEBUG on, the development key), also for the subprocesses tests start
# (manage.py, celery, gunicorn), which read exercise_tracker.settings from this environment.
os.environ.setdefault("DJANGO_DEBUG", "1")

from .settings import *  # noqa: F403
from .settings import DATABASES, REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="et-media-"))
SERVE_MEDIA = True  # the browser tests see the pictures as `make run` shows them
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min", "handout": "100000/min"},
}

# The read cache runs in the tests on either cache (one process: locmem is coherent here), each
# test under its own key namespace (tests/conftest.py).
READ_CACHE = True

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A test database in a file, not Django's shared in-memory one: threads then meet SQLite's
    # real locking (WAL, busy timeout, BEGIN IMMEDIATE) as `make run` does, and the racing tests
    # prove the embedded default too. A fresh file per run, removed at exit, so --reuse-db never
    # meets an old schema.
    _TEST_DB_DIR = Path(tempfile.mkdtemp(prefix="et-testdb-"))
    atexit.register(shutil.rmtree, _TEST_DB_DIR, ignore_errors=True)
    DATABASES["default"]["TEST"] = {"NAME": str(_TEST_DB_DIR / "test.sqlite3")}
