"""Found by the load test (`make load`, issue 12): under load a busy event loop can take longer
than Sanic's KEEP_ALIVE_TIMEOUT (5 s) between opening a connection and sending the request on
it. Sanic counts a new connection as idle until bytes arrive and closed it, with the request
already in flight: Rasa got "Cannot write to closing transport" from the action server and the
idea maker got the apology (194 errors in the first 290 turns at 200 conversations). The action
server now waits SANIC_KEEP_ALIVE_TIMEOUT, default 120 s, as Rasa's own server does."""
from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT
from live import free_port, wait_until_up

SLOW_CLIENT_SECONDS = 6.5  # Sanic's default KEEP_ALIVE_TIMEOUT is 5 s


def slow_get(port: int, path: str) -> bytes:
    """Opens a connection, waits, then sends one GET and returns the first bytes of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        time.sleep(SLOW_CLIENT_SECONDS)
        try:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            return sock.recv(64)
        except OSError:  # reset by the server
            return b""


def test_the_action_server_waits_for_a_slow_first_request(tmp_path):
    port = free_port()
    log = tmp_path / "actions.log"
    env = {"PYTHONPATH": str(ROOT), "ACTION_SERVER_PORT": str(port), "DRAFTS_DIR": str(tmp_path / "drafts"),
           "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen([sys.executable, "scripts/action_server.py"], cwd=ROOT, env=env,
                               stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, 120, log)
        assert slow_get(port, "/health").startswith(b"HTTP/1.1 200")
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("env, expected", [({}, 120.0), ({"SANIC_KEEP_ALIVE_TIMEOUT": "10"}, 10.0),
                                           ({"SANIC_KEEP_ALIVE_TIMEOUT": "snart"}, 120.0),
                                           ({"SANIC_KEEP_ALIVE_TIMEOUT": "0"}, 120.0)])
def test_keep_alive_comes_from_the_environment(env, expected):
    sys.path.insert(0, str(ROOT / "scripts"))
    import action_server

    assert action_server.keep_alive_seconds(env) == expected
