"""The bench's optional wger peer: chosen only when enabled, and its settings and environment
keep ours out (no database, no server: bench/run.py runs it against both)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench import run, wger_peer
from bench.scenarios import BARE, WGER_LIST


def args(**overrides: object) -> argparse.Namespace:
    return argparse.Namespace(**({"only": None, "wger_python": None} | overrides))


def names(**overrides: object) -> list[str]:
    return [s.name for s in run.selected(args(**overrides))]


def test_the_peer_runs_only_when_a_wger_python_is_given() -> None:
    assert WGER_LIST.name not in names()
    assert WGER_LIST.name in names(wger_python="/venv/bin/python")


def test_only_the_library_list_brings_its_baseline_and_the_peer_it_should_beat() -> None:
    only = ["GET /api/v1/exercises/"]
    assert names(only=only) == [BARE.name, "GET /api/v1/exercises/"]
    assert names(only=only, wger_python="/venv/bin/python") == [
        BARE.name,
        "GET /api/v1/exercises/",
        WGER_LIST.name,
    ]
    assert WGER_LIST.name not in names(only=["GET /api/v1/me/"], wger_python="/venv/bin/python")


def test_wgers_environment_names_its_own_database_and_none_of_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SECRET_KEY", "ours")
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ours")
    monkeypatch.delenv("WGER_DATABASE_URL", raising=False)
    url = wger_peer.database_url("postgres://postgres@127.0.0.1:5433/et_bench")
    assert url == "postgres://postgres@127.0.0.1:5433/wger_peer"
    env = wger_peer.environment("/venv/bin/python", url, tmp_path)
    assert "DJANGO_SECRET_KEY" not in env and "DATABASE_URL" not in env
    assert env["DJANGO_SETTINGS_MODULE"] == wger_peer.SETTINGS_MODULE
    assert (env["WGER_BENCH_DB_NAME"], env["WGER_BENCH_DB_PORT"]) == ("wger_peer", "5433")
    settings = (Path(env["PYTHONPATH"]) / f"{wger_peer.SETTINGS_MODULE}.py").read_text()
    assert "DEBUG = False" in settings and "CACHES" not in settings  # wger's own cache


def test_a_page_other_than_twenty_exercises_is_refused() -> None:
    wger_peer.check_list(b'{"results": [' + b",".join([b"{}"] * 20) + b"]}")
    with pytest.raises(wger_peer.PeerError):
        wger_peer.check_list(b'{"results": []}')
