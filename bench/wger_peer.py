"""wger, the open peer, beside our server in `make bench` (issue 18): optional, off by default.

Given a Python that imports wger (`WGER_PYTHON` or `--wger-python`; its venv is set up outside
this repository, see bench/wger_peer.md), the bench writes a settings module for it under the
bench's var directory (wger's own global settings with DEBUG off and its shipped cache: local
memory per process, which its `cache_page` on the exercise views uses), migrates its database
(`WGER_DATABASE_URL`, default: database `wger_peer` on the bench's PostgreSQL), loads the
exercise fixtures wger ships when the database has no exercises yet, and starts its gunicorn
with the same workers and threads as ours. Nothing of wger's code lives here.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.scenarios import WGER_LIST

SETTINGS_MODULE = "wger_bench_settings"

# wger's own defaults (wger.settings_global: CACHES is a LocMemCache, the exercise viewsets are
# wrapped in cache_page), with what a production deployment on this machine needs on top.
SETTINGS = """\
# Written by bench/wger_peer.py for `make bench`; rewritten on every run.
import os

from wger.settings_global import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["WGER_BENCH_SECRET_KEY"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["WGER_BENCH_DB_NAME"],
        "USER": os.environ["WGER_BENCH_DB_USER"],
        "PASSWORD": os.environ["WGER_BENCH_DB_PASSWORD"],
        "HOST": os.environ["WGER_BENCH_DB_HOST"],
        "PORT": os.environ["WGER_BENCH_DB_PORT"],
    }
}
TIME_ZONE = "UTC"
RECAPTCHA_PUBLIC_KEY = ""
RECAPTCHA_PRIVATE_KEY = ""
NOCAPTCHA = True
SITE_URL = "http://127.0.0.1"
MEDIA_ROOT = os.environ["WGER_BENCH_MEDIA_ROOT"]
MEDIA_URL = "/media/"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}
"""

# The fixtures behind wger's exercise list, from those `wger load-fixtures` loads (wger/tasks.py),
# in its order: languages and licences, then categories, muscles, equipment, the exercise bases
# and their translations (no users, gyms or settings: the list is read anonymously).
FIXTURES = [
    "languages.json",
    "licenses.json",
    "equipment.json",
    "muscles.json",
    "categories.json",
    "exercise-base-data.json",
    "exercises.json",
]


# Loads one fixture wger ships, leaving out the fields its models no longer have (wger 2.1's
# exercise fixtures still carry `status` and `name_original`, which its migrations removed) and
# dating the rows that lack a required creation or update date (2022-01-01).
LOAD_FIXTURE = """\
import json, pathlib, tempfile, wger
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.management import call_command
from django.db import models
(path,) = pathlib.Path(wger.__file__).parent.glob("*/fixtures/{name}")
objects = json.loads(path.read_text())
for obj in objects:
    meta = apps.get_model(obj["model"])._meta
    for field in list(obj["fields"]):
        try:
            meta.get_field(field)
        except FieldDoesNotExist:
            del obj["fields"][field]
    for field in meta.concrete_fields:
        if field.name not in obj["fields"] and not field.null and not field.has_default():
            if isinstance(field, models.DateTimeField):
                obj["fields"][field.name] = "2022-01-01T00:00:00Z"
            elif isinstance(field, models.DateField):
                obj["fields"][field.name] = "2022-01-01"
with tempfile.NamedTemporaryFile("w", suffix=".json") as kept:
    json.dump(objects, kept)
    kept.flush()
    call_command("loaddata", kept.name, verbosity=0)
print(len(objects))
"""


class PeerError(Exception):
    pass


def database_url(bench_database_url: str) -> str:
    """`WGER_DATABASE_URL`, or database wger_peer on the bench database's server."""
    if url := os.environ.get("WGER_DATABASE_URL"):
        return url
    return urlunsplit(urlsplit(bench_database_url)._replace(path="/wger_peer"))


def environment(python: str, url: str, var_dir: Path) -> dict[str, str]:
    """wger's own environment: none of ours (DJANGO_*, our keys), its settings module on the
    path, its database from `url`."""
    parts = urlsplit(url)
    home = var_dir / "wger"
    (home / "media").mkdir(parents=True, exist_ok=True)
    (home / f"{SETTINGS_MODULE}.py").write_text(SETTINGS)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "DATABASE_", "REDIS_", "PYTHON"))
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": str(home),
        "WGER_BENCH_SECRET_KEY": secrets.token_urlsafe(50),
        "WGER_BENCH_DB_NAME": parts.path.lstrip("/"),
        "WGER_BENCH_DB_USER": parts.username or "postgres",
        "WGER_BENCH_DB_PASSWORD": parts.password or "",
        "WGER_BENCH_DB_HOST": parts.hostname or "127.0.0.1",
        "WGER_BENCH_DB_PORT": str(parts.port or 5432),
        "WGER_BENCH_MEDIA_ROOT": str(home / "media"),
    }


def django(python: str, env: dict[str, str], *args: str, timeout: int = 900) -> str:
    done = subprocess.run(
        [python, "-m", "django", *args],
        cwd=env["PYTHONPATH"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        command = " ".join(args)
        raise PeerError(f"wger: django-admin {command} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def exercise_count(python: str, env: dict[str, str]) -> int:
    code = "from wger.exercises.models import Exercise; print(Exercise.objects.count())"
    return int(django(python, env, "shell", "-c", code).strip().splitlines()[-1])


def prepare(python: str, env: dict[str, str]) -> None:
    """Migrates wger's database and loads its shipped exercises once (idempotent)."""
    check = subprocess.run(
        [python, "-c", "import wger, gunicorn; print(wger.get_version())"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if check.returncode != 0:
        raise PeerError(f"{python} cannot import wger and gunicorn:\n{check.stderr[-2000:]}")
    print(f"      wger {check.stdout.strip()} ({python}); database {env['WGER_BENCH_DB_NAME']}")
    started = time.monotonic()
    print("      migrate ...", flush=True)
    django(python, env, "migrate", "--noinput")
    count = exercise_count(python, env)
    if count:
        print(f"      {count} exercises already loaded", flush=True)
    else:
        for number, fixture in enumerate(FIXTURES, 1):
            loaded = django(python, env, "shell", "-c", LOAD_FIXTURE.format(name=fixture))
            print(f"      fixture {number}/{len(FIXTURES)}: {fixture}, {loaded.split()[-1]} rows",
                  flush=True)  # fmt: skip
        count = exercise_count(python, env)
        print(f"      {count} exercises loaded", flush=True)
    if count < WGER_LIST_SIZE:
        raise PeerError(f"wger: only {count} exercises, the list needs {WGER_LIST_SIZE}")
    print(f"      ready in {time.monotonic() - started:.0f} s", flush=True)


WGER_LIST_SIZE = 20


def check_list(body: bytes) -> None:
    """wger's answer is a page of 20 exercises with their nested data."""
    results = json.loads(body).get("results", [])
    if len(results) != WGER_LIST_SIZE:
        raise PeerError(
            f"wger: {WGER_LIST.path} answered {len(results)} results, expected {WGER_LIST_SIZE}"
        )
