"""/healthz, the production deploy check, and the schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_ok() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["status"] in {"ok", "degraded"}


@pytest.mark.django_db
@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_names_a_broker_that_does_not_answer() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200  # the database answers
    body = response.json()
    assert body["status"] == "degraded"
    assert "broker (redis)" in body["unavailable"]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_is_clean_with_production_settings() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k7#Qz!v9Lp2@Wm4$Xr8^Tn6&Yb3*Hd5(Jf1)Gs0-Ua+Ce=Io_Kl~Mq;Nw:Ey,Rt.",
        DJANGO_ALLOWED_HOSTS="hep.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_warns_of_a_proxy_without_a_trusted_count() -> None:
    production = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": GOOD_KEY}
    production["DJANGO_ALLOWED_HOSTS"] = "hep.example.org"
    args = ("check", "--deploy", "--fail-level", "WARNING")
    result = _manage(*args, **production, DJANGO_BEHIND_PROXY="1")
    assert result.returncode != 0 and "exercise_tracker.W001" in result.stderr + result.stdout
    counted = _manage(*args, **production, DJANGO_BEHIND_PROXY="1", DJANGO_TRUSTED_PROXY_COUNT="1")
    assert counted.returncode == 0, counted.stdout + counted.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _manage("check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="hep.example.org")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


GOOD_KEY = "k7#Qz!v9Lp2@Wm4$Xr8^Tn6&Yb3*Hd5(Jf1)Gs0-Ua+Ce=Io_Kl~Mq;Nw:Ey,Rt."


def test_debug_is_off_unless_asked_for() -> None:
    show = "from django.conf import settings; print(settings.DEBUG)"
    result = _manage(
        "shell", "-c", show, DJANGO_SECRET_KEY=GOOD_KEY, DJANGO_ALLOWED_HOSTS="hep.example.org"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
    result = _manage("shell", "-c", show, DJANGO_DEBUG="1")
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr


@pytest.mark.parametrize(
    "key", ["", "dev-only-not-secret-" + "x" * 40, "short-but-random-3f9a", "a" * 60]
)
def test_production_refuses_a_key_that_is_not_secret(key: str) -> None:
    result = _manage("check", DJANGO_SECRET_KEY=key, DJANGO_ALLOWED_HOSTS="hep.example.org")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr


def test_schema_validates() -> None:
    result = _manage(
        "spectacular", "--validate", "--fail-on-warn", "--file", os.devnull, DJANGO_DEBUG="1"
    )
    assert result.returncode == 0, result.stderr
