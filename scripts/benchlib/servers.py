"""Start and stop the bots being measured: Rasa (and for this bot its action server) on 127.0.0.1.

Built on tests/live.py (LiveBot: free ports, private SQLite store and drafts folder, environment).
Each start is timed from the process launch until its HTTP endpoint answers.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from live import LiveBot, wait_until_up  # noqa: E402

PROBE = ROOT / "scripts" / "benchlib" / "probe.py"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS = {"host": "127.0.0.1", "port": 6379}


def scaled_env(database: str, redis_db: int) -> Dict[str, str]:
    """What bot/endpoints.scaled.yml reads (trust authentication on the local PostgreSQL)."""
    return {"DB_HOST": PG["host"], "DB_PORT": str(PG["port"]), "DB_NAME": database, "DB_USER": PG["user"],
            "DB_PASSWORD": "", "REDIS_HOST": REDIS["host"], "REDIS_PORT": str(REDIS["port"]),
            "REDIS_DB": str(redis_db), "REDIS_PASSWORD": ""}


def stock_scaled_endpoints(path: Path, database: str, redis_db: int) -> Path:
    """Endpoints for the stock bot with Rasa's own SQL tracker store and Redis lock store."""
    path.write_text(
        "tracker_store:\n  type: SQL\n  dialect: postgresql\n"
        f"  url: {PG['host']}\n  port: {PG['port']}\n  db: {database}\n  username: {PG['user']}\n"
        f"lock_store:\n  type: redis\n  url: {REDIS['host']}\n  port: {REDIS['port']}\n  db: {redis_db}\n"
        "  key_prefix: stockbench\n", encoding="utf-8")
    return path


def recreate_database(name: str, drop_only: bool = False) -> None:
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", **PG)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def wait_until_answering(url: str, process: subprocess.Popen, seconds: float, log: Path) -> None:
    """Until a turn through the REST channel gets an answer (Rasa loads the model after it listens)."""
    deadline = time.monotonic() + seconds
    body = json.dumps({"sender": "bench-ready", "message": "hej"}).encode()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Rasa exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                if reply.status == 200 and json.loads(reply.read() or b"[]"):
                    return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} answered no turn in {seconds} s:\n{log.read_text()[-3000:]}")


def rss_mb(pid: int) -> Optional[float]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Instance:
    """One running bot: Rasa plus (for this bot) its action server."""

    label: str
    bot: LiveBot
    cwd: Path
    with_actions: bool
    probe_dir: Optional[Path] = None
    start_seconds: Dict[str, float] = field(default_factory=dict)
    pids: Dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.bot.url

    def _launcher(self, role: str) -> List[str]:
        if self.probe_dir is not None:
            return [sys.executable, str(PROBE), role]
        return [sys.executable, "scripts/action_server.py"] if role == "actions" else [sys.executable, "-m", "rasa"]

    def start(self) -> Instance:
        env = dict(self.bot.env)
        if self.probe_dir is not None:
            self.probe_dir.mkdir(parents=True, exist_ok=True)
        workdir = self.bot.workdir
        if self.with_actions:
            if self.probe_dir is not None:
                env["BENCH_PROBE_OUT"] = str(self.probe_dir / f"{self.label}-actions.json")
            log = workdir / "actions.log"
            started = time.monotonic()
            actions = subprocess.Popen(self._launcher("actions"), cwd=ROOT, env=env, stdout=open(log, "ab"),
                                       stderr=subprocess.STDOUT)
            self.bot.processes.append(actions)
            wait_until_up(f"http://127.0.0.1:{self.bot.action_port}/health", actions, 180, log)
            self.start_seconds["actions"] = time.monotonic() - started
            self.pids["actions"] = actions.pid
        if self.probe_dir is not None:
            env["BENCH_PROBE_OUT"] = str(self.probe_dir / f"{self.label}-rasa.json")
        log = workdir / "rasa.log"
        started = time.monotonic()
        rasa = subprocess.Popen(
            self._launcher("rasa") + ["run", "--model", str(self.bot.model), "--endpoints", self.bot.endpoints,
                                      "--credentials", self.bot.credentials, "--port", str(self.bot.rasa_port),
                                      "--interface", "127.0.0.1"],
            cwd=self.cwd, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
        self.bot.processes.append(rasa)
        wait_until_up(f"{self.url}/webhooks/rest/", rasa, 600, log)
        self.start_seconds["rasa_http"] = time.monotonic() - started
        wait_until_answering(self.url, rasa, 600, log)  # the model loads after the HTTP server is up
        self.start_seconds["rasa"] = time.monotonic() - started
        self.pids["rasa"] = rasa.pid
        return self

    def rss(self) -> Dict[str, Optional[float]]:
        return {role: rss_mb(pid) for role, pid in self.pids.items()}

    def stop(self) -> None:
        self.bot.stop()


def this_bot(workdir: Path, model: Path, label: str = "finsam", scaled: Optional[Dict[str, str]] = None,
             probe_dir: Optional[Path] = None) -> Instance:
    workdir.mkdir(parents=True, exist_ok=True)
    bot = LiveBot(workdir, model, extra_env=scaled,
                  endpoints="bot/endpoints.scaled.yml" if scaled else "bot/endpoints.yml")
    bot.env["RASA_INTERFACE"] = "127.0.0.1"  # loopback: the REST channel needs no token
    return Instance(label, bot, ROOT, with_actions=True, probe_dir=probe_dir)


def stock_bot(workdir: Path, model: Path, stock_dir: Path, label: str = "stock", endpoints: Optional[Path] = None,
              probe_dir: Optional[Path] = None) -> Instance:
    workdir.mkdir(parents=True, exist_ok=True)
    bot = LiveBot(workdir, model, credentials=str(stock_dir / "credentials.yml"),
                  endpoints=str(endpoints or stock_dir / "endpoints.yml"))
    return Instance(label, bot, stock_dir, with_actions=False, probe_dir=probe_dir)
