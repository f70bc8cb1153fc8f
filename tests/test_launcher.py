"""scripts/bot.sh and scripts/rasa_run.py: secrets reach Rasa through the environment, never
through a command line that `ps` shows (issue 10, item 9). Starts the real bot once."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, trained_model
from live import free_port

AUTH_TOKEN = "auth-token-that-must-not-show-in-ps-7f3a"
JWT_SECRET = "jwt-secret-that-must-not-show-in-ps-91c2"
REST_TOKEN = "rest-token-that-must-not-show-in-ps-5d0e"


def get(url: str, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=60) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def post_rest(port: int, headers=None) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                                     data=b'{"sender": "demo-1", "message": "hej"}',
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    work = tmp_path_factory.mktemp("launcher")
    port = free_port()
    env = {**os.environ, "RUN_DIR": str(work / "run"), "RASA_MODEL": str(trained_model()),
           "RASA_PORT": str(port), "ACTION_SERVER_PORT": str(free_port()),
           "TRACKER_DB": str(work / "tracker.db"), "DRAFTS_DIR": str(work / "drafts"),
           "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
           "RASA_AUTH_TOKEN": AUTH_TOKEN, "REST_CHANNEL_TOKEN": REST_TOKEN, "RASA_START_SECONDS": "900"}
    env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{env['ACTION_SERVER_PORT']}/webhook"
    env.pop("RASA_JWT_SECRET", None)
    result = subprocess.run(["scripts/bot.sh", "start"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=1000, check=False)
    try:
        assert result.returncode == 0, result.stderr + (work / "run" / "rasa.log").read_text()[-3000:]
        yield port, work / "run"
    finally:
        subprocess.run(["scripts/bot.sh", "stop"], cwd=ROOT, env=env, timeout=60, check=False)


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_no_secret_is_on_any_command_line(started):
    _, run_dir = started
    rasa_pid = int((run_dir / "rasa.pid").read_text())
    actions_pid = int((run_dir / "actions.pid").read_text())
    rasa_args = cmdline(rasa_pid)
    assert "scripts/rasa_run.py run" in rasa_args and "--auth-token" not in rasa_args
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    for secret in (AUTH_TOKEN, REST_TOKEN):
        assert secret not in rasa_args and secret not in cmdline(actions_pid)
        assert secret not in listing


def test_the_token_from_the_environment_protects_rasas_api(started):
    port, _ = started
    assert get(f"http://127.0.0.1:{port}/status") == 401
    assert get(f"http://127.0.0.1:{port}/status?token=wrong") == 401
    assert get(f"http://127.0.0.1:{port}/status?token={AUTH_TOKEN}") == 200


def test_the_rest_channel_wants_its_token(started):
    port, _ = started
    assert post_rest(port) == 401
    assert post_rest(port, {"Authorization": f"Bearer {REST_TOKEN}"}) == 200


def test_secrets_come_from_the_environment_or_a_file(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    import rasa_run

    secret_file = tmp_path / "jwt"
    secret_file.write_text(JWT_SECRET + "\n")
    monkeypatch.delenv("RASA_JWT_SECRET", raising=False)
    monkeypatch.setenv("RASA_JWT_SECRET_FILE", str(secret_file))
    monkeypatch.setenv("RASA_AUTH_TOKEN", AUTH_TOKEN)
    assert rasa_run.take_secret("RASA_JWT_SECRET") == JWT_SECRET
    assert rasa_run.take_secret("RASA_AUTH_TOKEN") == AUTH_TOKEN and "RASA_AUTH_TOKEN" not in os.environ
    run_args = argparse.Namespace(auth_token=None, jwt_secret=None, jwt_method=None, enable_api=False)
    rasa_run.add_secrets(run_args, "", JWT_SECRET)
    assert (run_args.jwt_secret, run_args.jwt_method, run_args.enable_api) == (JWT_SECRET, "HS256", True)


def test_secrets_on_the_command_line_are_refused():
    result = subprocess.run([sys.executable, "scripts/rasa_run.py", "run", "--auth-token", "x"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0 and "kommandoraden" in result.stderr


def test_bot_sh_passes_no_secret_as_an_argument():
    script = (ROOT / "scripts" / "bot.sh").read_text(encoding="utf-8")
    assert "--auth-token" not in script and "--jwt-secret" not in script
