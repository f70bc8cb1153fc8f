"""Fixtures for the kansli workspace: a store on SQLite or the local PostgreSQL, the real app in its
own process, an SMTP server (aiosmtpd) and Debian's Chromium.

Imported by the test modules, not a conftest.py: tests/conftest.py stays the one `conftest` module.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import AXE, chromium_browser  # noqa: F401 - AXE is the kansli tests' import too
from conftest import ROOT, require_service, service_available

PG_HOST, PG_PORT = "127.0.0.1", 5432


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresSchema:
    """A private schema in the local database `test`, dropped afterwards (same code as SQLite)."""

    def __init__(self):
        from sqlalchemy import create_engine

        self.name = "kansli_test_" + secrets.token_hex(4)
        user = os.environ.get("PGUSER", "postgres")
        self.admin_url = f"postgresql+psycopg2://{user}@{PG_HOST}:{PG_PORT}/test"
        self.url = f"{self.admin_url}?options=-csearch_path%3D{self.name}"
        self.engine = create_engine(self.admin_url, future=True)

    def __enter__(self):
        from sqlalchemy.schema import CreateSchema

        with self.engine.begin() as connection:
            connection.execute(CreateSchema(self.name))
        return self

    def __exit__(self, *exc):
        from sqlalchemy.schema import DropSchema

        from kansli import db

        engine = db._engines.pop(self.url, None)
        if engine is not None:
            engine.dispose()
        with self.engine.begin() as connection:
            connection.execute(DropSchema(self.name, cascade=True))
        self.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Every store test runs on SQLite and on the local PostgreSQL (skipped when it is absent)."""
    from kansli.db import migrate

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kansli.db'}"
        migrate(url)
        yield url
        return
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    with PostgresSchema() as schema:
        migrate(schema.url)
        yield schema.url


def browser_db_url(tmp_path: Path):
    """PostgreSQL when it runs here (as in production with several users), else SQLite."""
    if service_available(PG_HOST, PG_PORT):
        return PostgresSchema()
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail("PostgreSQL svarar inte, men REQUIRE_SERVICES=1 kräver den")
    return None


class KansliServer:
    """`python -m kansli` in its own process, as make kansli runs it."""

    def __init__(self, tmp: Path, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "kansli.log"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "KANSLI_PORT": str(self.port),
                    "KANSLI_DATA_DIR": str(tmp / "data"), "KANSLI_FAILED_LOGIN_DELAY": "0",
                    "KANSLI_IMPORT_SECONDS": "3600", **env}
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "kansli"], cwd=ROOT, env=self.env,
                                        stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kansli stopped: {self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(self.url + "/login", timeout=2).close()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"kansli did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def cli(env: dict, *args: str, stdin: str = "", returncode: int = 0) -> str:
    result = subprocess.run([sys.executable, "-m", "kansli.cli", *args], cwd=ROOT, env={**os.environ, **env,
                            "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, input=stdin, timeout=120)
    assert result.returncode == returncode, result.stderr
    return result.stdout + result.stderr


class Mailbox:
    """aiosmtpd on a free port; keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        self.refuse = False  # True: the server refuses every message (554)
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if mailbox.refuse:
                    return "554 Transaction failed"
                mailbox.messages.append(envelope)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium
