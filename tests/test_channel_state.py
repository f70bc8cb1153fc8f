"""The web channel's in-memory state stays bounded (issue 12, Load): the rate-limit windows per
client address and per conversation forget a key once its window has passed and never hold
more than WEB_LIMIT_MAX_KEYS keys; with Redis configured, every count (also the per-conversation
one) lives in Redis, so two instances share it. The session key itself needs no server state
(README, "När en maskin inte räcker")."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from conftest import require_service

from channels import security


def remembered(limits: security.AddressLimits) -> int:
    """How many keys the in-memory counts hold."""
    if hasattr(limits, "remembered"):
        return limits.remembered()
    return len(limits.storage.events)  # the `limits` library's memory storage (before issue 12)


def hit_all(limits: security.AddressLimits, name: str, keys) -> list:
    async def run():
        return [(await limits.hit(name, key))[0] for key in keys]

    return asyncio.run(run())


def test_in_memory_counts_forget_an_address_once_its_window_has_passed():
    limits = security.AddressLimits({"message": "5/second"}, "memory://")
    assert all(hit_all(limits, "message", [f"198.18.{n // 250}.{n % 250}" for n in range(3000)]))
    time.sleep(1.2)
    hit_all(limits, "message", ["203.0.113.1"])
    # The `limits` library's memory storage kept an (empty) entry for each of the 3000 addresses
    # forever, and scanned them all every 10 ms in a thread.
    assert remembered(limits) <= 1


def test_in_memory_counts_hold_at_most_the_configured_number_of_keys(monkeypatch):
    monkeypatch.setenv("WEB_LIMIT_MAX_KEYS", "100")
    limits = security.AddressLimits({"message": "5/minute", "session": "5/minute"}, "memory://")
    hit_all(limits, "message", [f"addr-{n}" for n in range(1000)])
    hit_all(limits, "session", [f"addr-{n}" for n in range(1000)])
    assert remembered(limits) <= 200  # 100 per named limit
    # The most recent address still counts: its limit holds.
    assert hit_all(limits, "message", ["addr-999"] * 5) == [True] * 4 + [False]


def test_the_limit_still_holds_for_an_address_within_its_window():
    now = [1000.0]
    limits = security.AddressLimits({"message": "3/minute"}, "memory://", clock=lambda: now[0])
    assert hit_all(limits, "message", ["a"] * 4) == [True, True, True, False]
    allowed, retry_after = asyncio.run(limits.hit("message", "a"))
    assert not allowed and 1 <= retry_after <= 60


def test_max_keys_comes_from_the_environment_with_a_safe_default(monkeypatch):
    assert security.max_keys_from_env({}) == security.DEFAULT_MAX_KEYS
    assert security.max_keys_from_env({"WEB_LIMIT_MAX_KEYS": "500"}) == 500
    assert security.max_keys_from_env({"WEB_LIMIT_MAX_KEYS": "0"}) == security.DEFAULT_MAX_KEYS
    assert security.max_keys_from_env({"WEB_LIMIT_MAX_KEYS": "många"}) == security.DEFAULT_MAX_KEYS


def test_the_per_conversation_limit_is_shared_by_two_instances_in_redis(monkeypatch):
    require_service("Redis", "127.0.0.1", 6379)
    from channel_server import ChannelServer
    from test_web_session import new_session, say

    from channels.web import WebChatInput

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/13")
    monkeypatch.setenv("WEB_RATE_LIMIT", "3")
    monkeypatch.setenv("WEB_ADDRESS_RATE_LIMIT", "1000/minute")
    monkeypatch.setenv("WEB_SESSION_RATE_LIMIT", "1000/minute")
    monkeypatch.delenv("TRUSTED_PROXY", raising=False)
    first = ChannelServer([WebChatInput()]).start()
    second = ChannelServer([WebChatInput()]).start()
    try:
        session = new_session(first)
        statuses = [say(server, session, f"hej {uuid.uuid4().hex}")[0] for server in (first, second, first, second)]
    finally:
        first.stop()
        second.stop()
    # In memory each instance counted on its own: a conversation got WEB_RATE_LIMIT per instance.
    assert statuses == [200, 200, 200, 429]


def test_the_session_key_is_not_stored_in_redis_in_the_clear():
    require_service("Redis", "127.0.0.1", 6379)
    import redis

    limits = security.AddressLimits({"conversation": "3/minute"}, "redis://127.0.0.1:6379/13")
    session = uuid.uuid4().hex + "Xy"
    hit_all(limits, "conversation", [session])
    keys = [k.decode() for k in redis.Redis(host="127.0.0.1", port=6379, db=13).keys("*")]
    assert keys and not any(session in key for key in keys)


@pytest.mark.parametrize("limit", [1, 20])
def test_the_channel_counts_each_conversation_under_its_own_name(monkeypatch, limit):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("REDIS_HOST", raising=False)
    from channels.web import WebChatInput

    channel = WebChatInput(rate_limit=limit)
    assert channel.address_limits.items["conversation"].amount == limit
