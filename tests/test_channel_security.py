"""Access controls of the channels (channels/security.py), on a real Sanic server in this process
built the way Rasa builds it (tests/channel_server.py): REST token, request size, per-address
rate limits behind a trusted proxy. The launcher's command line is checked with real Rasa in
tests/test_launcher.py."""
from __future__ import annotations

import http.client

import pytest
from channel_server import ChannelServer
from conftest import require_service

from channels import security
from channels.rest import RedactingRestInput
from channels.web import WebChatInput

TOKEN = "rest-token-for-the-tests-" + "x" * 20


@pytest.fixture
def server(monkeypatch, request):
    """The REST and web channels; env values set by the test before the server starts."""
    servers = []

    def start(**env):
        for name in ("REST_CHANNEL_TOKEN", "RASA_INTERFACE", "TRUSTED_PROXY", "REDIS_URL", "REDIS_HOST",
                     "SANIC_REQUEST_MAX_SIZE", "WEB_SESSION_RATE_LIMIT", "WEB_ADDRESS_RATE_LIMIT"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        running = ChannelServer([RedactingRestInput(), WebChatInput()]).start()
        servers.append(running)
        return running

    yield start
    for running in servers:
        running.stop()


def rest(server, headers=None, sender="demo-1"):
    return server.call("POST", "/webhooks/rest/webhook", {"sender": sender, "message": "Vem kan söka medel?"},
                       headers)


# --------------------------------------------------------------------------- item 5: REST token
def test_rest_is_open_on_loopback_without_a_token(server):
    running = server(RASA_INTERFACE="127.0.0.1")
    status, _, body = rest(running)
    assert status == 200 and body[0]["text"] == "Svar från den falska boten."
    assert [m.text for m in running.received] == ["Vem kan söka medel?"]


def test_rest_beyond_loopback_without_a_configured_token_is_closed(server):
    running = server(RASA_INTERFACE="0.0.0.0")
    status, _, body = rest(running)
    assert status == 503 and "REST_CHANNEL_TOKEN" in body["error"]
    assert running.received == []  # a guessed sender id drives nothing


def test_rest_beyond_loopback_needs_the_token(server):
    running = server(RASA_INTERFACE="0.0.0.0", REST_CHANNEL_TOKEN=TOKEN)
    for headers in (None, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Bearer {TOKEN[:-1]}"}):
        status, reply_headers, body = rest(running, headers)
        assert status == 401 and "token" in body["error"], headers
        assert reply_headers["WWW-Authenticate"] == "Bearer"
    assert running.received == []
    status, _, _ = rest(running, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and len(running.received) == 1


def test_a_configured_token_is_required_on_loopback_too(server):
    running = server(REST_CHANNEL_TOKEN=TOKEN)
    assert rest(running)[0] == 401
    assert rest(running, {"Authorization": f"bearer {TOKEN}"})[0] == 200


def test_the_bound_address_counts_even_without_rasa_interface():
    class App:
        class state:  # noqa: N801 - mimics Sanic's app.state
            host = "0.0.0.0"

    assert security.listens_beyond_loopback(App, env={})
    assert security.listens_beyond_loopback(None, env={"RASA_INTERFACE": "10.1.2.3"})
    for host in ("127.0.0.1", "::1", "[::1]", "localhost", "127.0.1.1"):
        assert not security.listens_beyond_loopback(None, env={"RASA_INTERFACE": host}), host


def test_token_can_come_from_a_file(tmp_path):
    secret = tmp_path / "token"
    secret.write_text(TOKEN + "\n")
    assert security.secret_from_env("REST_CHANNEL_TOKEN", {"REST_CHANNEL_TOKEN_FILE": str(secret)}) == TOKEN


# --------------------------------------------------------------------------- item 7: request size
def _raw_post(server, path: str, declared: int, send: bytes = b"") -> int:
    """POST declaring `declared` bytes but sending only `send`: the status line tells whether
    the server refused from the header alone (otherwise it would wait for the body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(declared))
    connection.endheaders()
    if send:
        connection.send(send)
    try:
        return connection.getresponse().status
    except TimeoutError:
        return 0  # the server is still waiting to read the body
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/webhooks/rest/webhook", "/webhooks/web/message", "/webhooks/web/session"])
def test_a_100_mb_body_is_refused_before_it_is_read(server, path):
    running = server()
    # 100 MB exactly: Sanic's own default (100 000 000 bytes) would wait for all of it.
    assert _raw_post(running, path, 100_000_000, b"{") == 413
    # A normal request still works afterwards.
    assert rest(running)[0] == 200


def test_request_max_size_can_be_set_in_the_environment(server):
    running = server(SANIC_REQUEST_MAX_SIZE="2048")
    assert _raw_post(running, "/webhooks/rest/webhook", 4096, b"{") == 413
    assert security.request_max_size({}) == security.DEFAULT_REQUEST_MAX_SIZE


# --------------------------------------------------------------------------- item 7: per-address limits
def session_from(running, address=None):
    headers = {"X-Forwarded-For": address} if address else None
    return running.call("POST", "/webhooks/web/session", {}, headers)


def test_a_session_flood_from_one_address_gets_429_and_others_are_not_affected(server):
    running = server(TRUSTED_PROXY="127.0.0.1", WEB_SESSION_RATE_LIMIT="5/minute")
    for _ in range(5):
        assert session_from(running, "203.0.113.7")[0] == 200
    status, headers, body = session_from(running, "203.0.113.7")
    assert status == 429 and "för tätt" in body["error"]
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert session_from(running, "198.51.100.9")[0] == 200  # another address is not affected


def test_a_message_flood_from_one_address_gets_429_across_sessions(server):
    running = server(TRUSTED_PROXY="127.0.0.1", WEB_ADDRESS_RATE_LIMIT="6/minute", WEB_RATE_LIMIT="100")

    def say(address):
        _, _, body = session_from(running, address)
        return running.call("POST", "/webhooks/web/message", {"message": ""},
                            {"X-Forwarded-For": address, "X-Finsam-Session": body["session"]})[0]

    # Each message in a fresh session: a per-session limit alone would never stop this.
    assert [say("203.0.113.8") for _ in range(6)] == [200] * 6
    assert say("203.0.113.8") == 429
    assert say("198.51.100.10") == 200


def test_the_forwarded_address_only_counts_from_the_trusted_proxy(server):
    running = server(WEB_SESSION_RATE_LIMIT="3/minute")  # no TRUSTED_PROXY: the header is ignored
    for n in range(3):
        assert session_from(running, f"203.0.113.{n}")[0] == 200
    assert session_from(running, "203.0.113.99")[0] == 429  # all counted as 127.0.0.1


def test_client_address_rules():
    proxies = security.trusted_proxies("10.0.0.5, 10.1.0.0/16, junk")
    assert security.client_address("10.0.0.5", "203.0.113.1", proxies) == "203.0.113.1"
    # The client's own (spoofed) entries are to the left of what the proxy appended.
    assert security.client_address("10.0.0.5", "1.2.3.4, 203.0.113.1", proxies) == "203.0.113.1"
    assert security.client_address("10.0.0.5", "203.0.113.1, 10.1.2.3", proxies) == "203.0.113.1"
    assert security.client_address("198.51.100.1", "203.0.113.1", proxies) == "198.51.100.1"  # not our proxy
    assert security.client_address("10.0.0.5", None, proxies) == "10.0.0.5"
    assert security.client_address("10.0.0.5", "not-an-ip", proxies) == "10.0.0.5"
    assert security.client_address("10.0.0.5", "203.0.113.1", []) == "10.0.0.5"


def test_rate_storage_is_redis_when_configured():
    assert security.rate_storage_uri({}) == "memory://"
    assert security.rate_storage_uri({"REDIS_URL": "redis://r:6379/2"}) == "redis://r:6379/2"
    assert security.rate_storage_uri({"REDIS_HOST": "r", "REDIS_PORT": "6380", "REDIS_DB": "1",
                                      "REDIS_PASSWORD": "p@ss"}) == "redis://:p%40ss@r:6380/1"


def test_two_instances_share_the_counts_in_redis():
    require_service("Redis", "127.0.0.1", 6379)
    import uuid

    address = f"203.0.113.{uuid.uuid4().int % 200}-{uuid.uuid4().hex[:6]}"
    first = security.AddressLimits({"session": "3/minute"}, "redis://127.0.0.1:6379/0")
    second = security.AddressLimits({"session": "3/minute"}, "redis://127.0.0.1:6379/0")

    import asyncio

    async def hits():
        return [(await limiter.hit("session", address))[0] for limiter in (first, second, first, second)]

    assert asyncio.run(hits()) == [True, True, True, False]


def test_signed_draft_links_expire_and_cannot_be_altered():
    now = [1_000_000.0]
    links = security.DraftLinks(secret=b"k" * 32, ttl=300, clock=lambda: now[0])
    query = dict(part.split("=") for part in links.query("IDS-1", "draft.docx").split("&"))
    assert links.valid("IDS-1", "draft.docx", query["expires"], query["sig"])
    assert not links.valid("IDS-2", "draft.docx", query["expires"], query["sig"])
    assert not links.valid("IDS-1", "draft.md", query["expires"], query["sig"])
    assert not links.valid("IDS-1", "draft.docx", int(query["expires"]) + 600, query["sig"])
    assert not links.valid("IDS-1", "draft.docx", "soon", query["sig"])
    now[0] += 301
    assert not links.valid("IDS-1", "draft.docx", query["expires"], query["sig"])
    other = security.DraftLinks(secret=b"o" * 32, ttl=300, clock=lambda: now[0])
    assert not other.valid("IDS-1", "draft.docx", *links.query("IDS-1", "draft.docx").replace(
        "expires=", "").replace("sig=", "").split("&"))


def test_the_per_session_limiter_keeps_a_bounded_number_of_sessions():
    from channels.web import RateLimiter

    limiter = RateLimiter(2, window=60, max_keys=100)
    for n in range(1_000):
        limiter.hit(f"session-{n}", now=float(n) / 1000)
    assert len(limiter._hits) <= 100


def test_every_test_named_in_the_threat_model_exists():
    """docs/security.md names the test behind each control; a renamed test must not leave a stale row."""
    import re

    from conftest import ROOT

    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    missing, current = [], None
    for match in re.finditer(r"`(tests/[\w/]+\.py)?::(\w+)`", text):
        current = match.group(1) or current
        source = (ROOT / current).read_text(encoding="utf-8")
        if not re.search(rf"^def {match.group(2)}\(", source, flags=re.MULTILINE):
            missing.append(f"{current}::{match.group(2)}")
    assert current is not None and missing == []
