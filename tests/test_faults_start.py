"""Faults at start: the database (or the lock store) cannot be reached, the action server's
settings cannot work – a clear Swedish/English message and a non-zero exit, nothing left running."""
import os
import subprocess
import sys

import pytest
from conftest import ROOT, require_service
from live import free_port

SCALED = {"DB_HOST": "127.0.0.1", "DB_NAME": "test", "DB_USER": "root", "DB_PASSWORD": "",
          "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "0", "REDIS_PASSWORD": ""}


def bot_sh(tmp_path, command="start", **env):
    full = dict(os.environ, RUN_DIR=str(tmp_path / "run"), TRACKER_DB=str(tmp_path / "tracker.db"),
                DRAFTS_DIR=str(tmp_path / "drafts"), RASA_PORT=str(free_port()),
                ACTION_SERVER_PORT=str(free_port()), PYTHONPATH=str(ROOT), **env)
    return subprocess.run(["scripts/bot.sh", command], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=300)


def check(endpoints, **env):
    return subprocess.run([sys.executable, "scripts/check_services.py", endpoints], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, **env), timeout=120)


def test_bot_sh_refuses_to_start_when_postgresql_is_unreachable(tmp_path):
    closed = free_port()
    result = bot_sh(tmp_path, RASA_ENDPOINTS="bot/endpoints.scaled.yml", **dict(SCALED, DB_PORT=str(closed)))
    assert result.returncode == 3, result.stderr
    assert "Boten startar inte: databasen kan inte nås" in result.stderr
    assert "The bot does not start: the database cannot be reached" in result.stderr
    assert f"127.0.0.1:{closed}" in result.stderr
    # Stopped before anything was started.
    assert not list((tmp_path / "run").glob("*.pid"))
    assert not (tmp_path / "run" / "actions.log").exists()


def test_bot_sh_stops_at_once_when_the_action_server_refuses_its_settings(tmp_path):
    result = bot_sh(tmp_path, SMTP_HOST="smtp.example.se", KANSLI_EMAIL="k@example.se", SMTP_PORT="tjugofem")
    assert result.returncode != 0
    assert "SMTP_PORT" in result.stderr and "Action-servern" in result.stderr
    assert not (tmp_path / "run" / "rasa.pid").exists()


def test_an_unreachable_redis_lock_store_is_reported(tmp_path):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    result = check("bot/endpoints.scaled.yml", **dict(SCALED, DB_PORT="5432", REDIS_PORT=str(free_port())))
    assert result.returncode == 3
    assert "Redis på 127.0.0.1" in result.stderr and "PostgreSQL" not in result.stderr


def test_reachable_stores_pass(tmp_path):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    assert check("bot/endpoints.scaled.yml", **dict(SCALED, DB_PORT="5432")).returncode == 0
    assert check("bot/endpoints.yml", TRACKER_DB=str(tmp_path / "db" / "tracker.db")).returncode == 0


def test_an_sqlite_store_that_cannot_be_written_is_reported(tmp_path):
    (tmp_path / "a-file").write_text("x")
    result = check("bot/endpoints.yml", TRACKER_DB=str(tmp_path / "a-file" / "tracker.db"))
    assert result.returncode == 3
    assert "SQLite-filen" in result.stderr


@pytest.mark.parametrize("env, expected", [({}, "DB_PORT"), ({"DB_PORT": "femtio"}, "femtio")])
def test_a_missing_or_bad_setting_names_it(env, expected):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DB_")}
    result = subprocess.run([sys.executable, "scripts/check_services.py", "bot/endpoints.scaled.yml"], cwd=ROOT,
                            capture_output=True, text=True, env=dict(clean, **dict(SCALED, **env)), timeout=120)
    assert result.returncode == 2
    assert expected in result.stderr and "The bot does not start" in result.stderr
