"""Start the real action server and Rasa on free local ports, for end-to-end tests."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {seconds} s:\n{log.read_text()[-3000:]}")


class LiveBot:
    """Action server + Rasa with a private SQLite tracker store and drafts folder."""

    def __init__(self, workdir: Path, model: Path, extra_env: Optional[Dict[str, str]] = None,
                 credentials: str = "bot/credentials.yml", endpoints: str = "bot/endpoints.yml"):
        self.workdir = workdir
        self.model = model
        self.rasa_port = free_port()
        self.action_port = free_port()
        self.env = dict(os.environ)
        self.env.update({
            "PYTHONPATH": str(ROOT),
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "RASA_TELEMETRY_ENABLED": "false",
            "ACTION_SERVER_PORT": str(self.action_port),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "TRACKER_DB": str(workdir / "tracker.db"),
            "DRAFTS_DIR": str(workdir / "drafts"),
        })
        self.env.update(extra_env or {})
        self.credentials = credentials
        self.endpoints = endpoints
        self.processes: List[subprocess.Popen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self) -> LiveBot:
        actions_log = self.workdir / "actions.log"
        rasa_log = self.workdir / "rasa.log"
        actions = subprocess.Popen([sys.executable, "scripts/action_server.py"], cwd=ROOT, env=self.env,
                                   stdout=open(actions_log, "ab"), stderr=subprocess.STDOUT)
        self.processes.append(actions)
        wait_until_up(f"http://127.0.0.1:{self.action_port}/health", actions, 90, actions_log)
        rasa = subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "--model", str(self.model), "--endpoints", self.endpoints,
             "--credentials", self.credentials, "--port", str(self.rasa_port), "--interface", "127.0.0.1"],
            cwd=ROOT, env=self.env, stdout=open(rasa_log, "ab"), stderr=subprocess.STDOUT)
        self.processes.append(rasa)
        wait_until_up(f"{self.url}/webhooks/rest/", rasa, 300, rasa_log)
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = []

    def restart(self) -> None:
        self.stop()
        self.start()

    def post(self, path: str, payload, headers: Optional[dict] = None):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=120) as reply:
                return reply.status, json.loads(reply.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read().decode("utf-8") or "null")

    def say(self, sender: str, text: str) -> List[dict]:
        status, body = self.post("/webhooks/rest/webhook", {"sender": sender, "message": text})
        assert status == 200, body
        return body


def texts(messages: List[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def buttons(messages: List[dict]) -> List[dict]:
    return [b for m in messages for b in m.get("buttons") or []]
