"""Access controls the channels share (see docs/security.md for the threat model).

- REST token: the REST channel needs `Authorization: Bearer $REST_CHANNEL_TOKEN` whenever Rasa
  listens on anything but loopback (RASA_INTERFACE or the address Sanic binds), and whenever
  the token is set at all. On loopback without a token it stays open for the demo and tests.
- Client address: the socket's peer; the forwarded header only counts when that peer is one of
  TRUSTED_PROXY (comma-separated addresses or networks), so nobody else can choose their address.
- Rate limits per client address and per conversation: in memory by default (bounded,
  WEB_LIMIT_MAX_KEYS keys per limit, forgotten after their window), in Redis with the `limits`
  library (REDIS_URL, or REDIS_HOST/PORT/DB/PASSWORD of bot/endpoints.scaled.yml) so that several
  Rasa instances share the counts. Keys are hashed.
- Request size: Sanic's REQUEST_MAX_SIZE (default 100 MB) is lowered to 1 MB unless
  SANIC_REQUEST_MAX_SIZE is set, so a huge body is refused from its Content-Length, unread.
- Signed draft links: HMAC-SHA256 with DRAFT_LINK_SECRET (or a random secret made at start),
  valid DRAFT_LINK_SECONDS (default 300).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import math
import os
import secrets
import time
from collections import OrderedDict, deque
from typing import Any, Callable, Deque, Iterable, List, Mapping, Optional, Tuple, Union
from urllib.parse import quote

from limits import parse as parse_rate
from limits import storage as limits_storage
from limits import strategies
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

DEFAULT_REQUEST_MAX_SIZE = 1024 * 1024
DEFAULT_DRAFT_LINK_SECONDS = 300
DEFAULT_MAX_KEYS = 50_000
LOOPBACK_NAMES = {"localhost", "ip6-localhost"}
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def secret_from_env(name: str, env: Mapping[str, str] = os.environ) -> str:
    """NAME from the environment, or the first line of the file named by NAME_FILE."""
    value = (env.get(name) or "").strip()
    path = (env.get(f"{name}_FILE") or "").strip()
    if not value and path:
        with open(path, encoding="utf-8") as handle:
            value = handle.readline().strip()
    return value


# --------------------------------------------------------------------------- REST token


def is_loopback(host: Optional[str]) -> bool:
    host = (host or "").strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listens_beyond_loopback(app: Any = None, env: Mapping[str, str] = os.environ) -> bool:
    """True when RASA_INTERFACE or the address the server binds is not loopback.

    `rasa run` without --interface binds 0.0.0.0, so an unset value is not taken as loopback
    when the server knows its real address.
    """
    hosts = [(env.get("RASA_INTERFACE") or "").strip()]
    hosts.append(str(getattr(getattr(app, "state", None), "host", "") or ""))
    return any(host and not is_loopback(host) for host in hosts)


REST_TOKEN_MISSING = ("REST-kanalen är avstängd: Rasa lyssnar på fler adresser än 127.0.0.1 och "
                      "REST_CHANNEL_TOKEN saknas i miljön.")
REST_TOKEN_WRONG = "Obehörig: REST-kanalen kräver en giltig token (Authorization: Bearer …)."


def rest_token_refusal(request: Request, env: Mapping[str, str] = os.environ) -> Optional[HTTPResponse]:
    """None when the request may use the REST channel, else the 401/503 answer."""
    token = secret_from_env("REST_CHANNEL_TOKEN", env)
    if not token and not listens_beyond_loopback(request.app, env):
        return None  # loopback only: the demo and the tests
    if not token:
        return response.json({"error": REST_TOKEN_MISSING}, status=503)
    header = (request.headers.get("authorization") or "").strip()
    presented = header[7:].strip() if header[:7].lower() == "bearer " else ""
    # Constant time, so the token cannot be found a character at a time.
    if not presented or not hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8")):
        return response.json({"error": REST_TOKEN_WRONG}, status=401, headers={"WWW-Authenticate": "Bearer"})
    return None


# --------------------------------------------------------------------------- client address


def trusted_proxies(value: Optional[str] = None) -> List[Network]:
    raw = os.environ.get("TRUSTED_PROXY", "") if value is None else value
    networks = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            logger.warning("TRUSTED_PROXY: ignoring %r (give addresses or networks like 10.0.0.5)", item)
    return networks


def _in(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: Optional[str], proxies: List[Network]) -> str:
    """The client's address: the peer, or, when the peer is a trusted proxy, the right-most
    address in X-Forwarded-For that is not itself a trusted proxy (the ones to its left are
    whatever the client chose to send)."""
    if not proxies or not _in(peer, proxies) or not forwarded_for:
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _in(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return peer  # a proxy that writes junk: count it as the proxy itself
    return peer


def request_address(request: Request, proxies: Optional[List[Network]] = None) -> str:
    peer = request.conn_info.client_ip if request.conn_info else request.ip
    header = os.environ.get("TRUSTED_PROXY_HEADER", "X-Forwarded-For")
    return client_address(peer or "", request.headers.get(header),
                          trusted_proxies() if proxies is None else proxies)


# --------------------------------------------------------------------------- rate limits


def rate_storage_uri(env: Mapping[str, str] = os.environ) -> str:
    """Where the per-address counts live: Redis when configured (shared), else memory."""
    url = (env.get("REDIS_URL") or "").strip()
    if url:
        return url
    host = (env.get("REDIS_HOST") or "").strip()
    if host:
        password = (env.get("REDIS_PASSWORD") or "").strip()
        auth = f":{quote(password, safe='')}@" if password else ""
        return f"redis://{auth}{host}:{env.get('REDIS_PORT') or 6379}/{env.get('REDIS_DB') or 0}"
    return "memory://"


def rate_from_env(name: str, default: str, env: Mapping[str, str] = os.environ) -> str:
    value = (env.get(name) or "").strip()
    if value:
        try:
            parse_rate(value)
            return value
        except ValueError:
            logger.warning("%s=%r is not a rate like '30/minute'; using %s", name, value, default)
    return default


def max_keys_from_env(env: Mapping[str, str] = os.environ) -> int:
    """WEB_LIMIT_MAX_KEYS: how many keys each in-memory limit may hold (default 50 000)."""
    return _positive_int(env.get("WEB_LIMIT_MAX_KEYS"), DEFAULT_MAX_KEYS)


class SlidingWindows:
    """At most `limit` events per `window` seconds per key, in memory, and bounded: a key whose
    last event is older than the window is forgotten at the next new key (the least recently
    used keys come first, so that is O(1) per key), and never more than `max_keys` are kept
    (then the least recently used goes; it only loses its count)."""

    def __init__(self, limit: int, window: float, max_keys: int = DEFAULT_MAX_KEYS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max(1, max_keys)
        self.clock = clock
        self._hits: OrderedDict[str, Deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._hits)

    def hit(self, key: str, now: Optional[float] = None) -> Tuple[bool, int]:
        """Counts one event; (allowed, seconds until the next one is allowed)."""
        now = self.clock() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            self._forget_old(now)
            hits = self._hits[key] = deque()
        self._hits.move_to_end(key)
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False, max(1, math.ceil(self.window - (now - hits[0])))
        hits.append(now)
        return True, 0

    def _forget_old(self, now: float) -> None:
        while self._hits:
            oldest = next(iter(self._hits.values()))
            if oldest and now - oldest[-1] < self.window and len(self._hits) < self.max_keys:
                return
            self._hits.popitem(last=False)


class AddressLimits:
    """Named limits ("session", "message" per client address, "conversation" per session key).

    In memory: SlidingWindows per name (bounded; the `limits` library's memory storage kept a
    key for every address ever seen). Shared: the `limits` moving window in Redis, whose keys
    expire with their window. Keys are hashed, so neither Redis nor memory holds an address or
    a session key in the clear.
    """

    def __init__(self, rates: Mapping[str, str], storage_uri: str = "memory://",
                 clock: Callable[[], float] = time.time, max_keys: Optional[int] = None) -> None:
        self.items = {name: parse_rate(rate) for name, rate in rates.items()}
        self.storage_uri = storage_uri
        self.clock = clock
        self.shared = not storage_uri.startswith("memory")
        if self.shared:
            self.storage = limits_storage.storage_from_string(storage_uri)
            self.limiter = strategies.MovingWindowRateLimiter(self.storage)
        else:
            size = max_keys_from_env() if max_keys is None else max_keys
            self.windows = {name: SlidingWindows(item.amount, item.get_expiry(), size, clock)
                            for name, item in self.items.items()}

    def remembered(self) -> int:
        """How many keys the in-memory limits hold (0 when they live in Redis)."""
        return 0 if self.shared else sum(len(w) for w in self.windows.values())

    @staticmethod
    def _key(value: str) -> str:
        return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def _hit(self, name: str, address: str) -> Tuple[bool, int]:
        item, key = self.items[name], self._key(address)
        if self.limiter.hit(item, "finsam", name, key):
            return True, 0
        reset_at, _ = self.limiter.get_window_stats(item, "finsam", name, key)
        return False, max(1, math.ceil(reset_at - time.time()))

    async def hit(self, name: str, address: str) -> Tuple[bool, int]:
        """Counts one event; (allowed, seconds until the next one is allowed)."""
        if not self.shared:
            return self.windows[name].hit(self._key(address))
        try:  # the Redis client blocks: keep it off the event loop
            return await asyncio.to_thread(self._hit, name, address)
        except Exception as error:  # a broken Redis must not take the chat down; say so loudly
            logger.error("Rate limit storage %s failed (%s); request let through",
                         self.storage_uri.split("@")[-1], type(error).__name__)
            return True, 0


# --------------------------------------------------------------------------- request size


def request_max_size(env: Mapping[str, str] = os.environ) -> int:
    raw = (env.get("SANIC_REQUEST_MAX_SIZE") or "").strip()
    try:
        return int(raw) if raw else DEFAULT_REQUEST_MAX_SIZE
    except ValueError:
        return DEFAULT_REQUEST_MAX_SIZE


def response_timeout(env: Mapping[str, str] = os.environ) -> Optional[float]:
    """Rasa's own response time-out (an hour) unless SANIC_RESPONSE_TIMEOUT is set (Sanic reads it)."""
    if (env.get("SANIC_RESPONSE_TIMEOUT") or "").strip():
        return None
    from rasa.core.constants import DEFAULT_RESPONSE_TIMEOUT

    return float(DEFAULT_RESPONSE_TIMEOUT)


def limit_request_size(blueprint: Blueprint) -> None:
    """Lower Sanic's REQUEST_MAX_SIZE and set the response time-out before the server accepts
    connections.

    Rasa creates the Sanic app; its connections read the limit when they open, and Sanic
    answers 413 from the Content-Length header before reading the body. Without Rasa's HTTP
    API (`make serve` without RASA_AUTH_TOKEN) Rasa leaves Sanic's RESPONSE_TIMEOUT of 60 s:
    under load (`make load`) Sanic cancelled turns in the middle, after the first replies and
    before the tracker was saved. A turn now runs to its end, as with the API switched on.
    """
    @blueprint.listener("before_server_start")
    async def set_request_max_size(app: Any, _loop: Any) -> None:
        app.config.REQUEST_MAX_SIZE = request_max_size()
        timeout = response_timeout()
        if timeout is not None:
            app.config.RESPONSE_TIMEOUT = timeout


# --------------------------------------------------------------------------- signed draft links


class DraftLinks:
    """Short-lived signed download links: no session key in any URL."""

    def __init__(self, secret: Optional[bytes] = None, ttl: Optional[int] = None,
                 clock: Callable[[], float] = time.time) -> None:
        if secret is None:
            configured = secret_from_env("DRAFT_LINK_SECRET")
            if configured:
                secret = configured.encode("utf-8")
            else:
                # Links then die with a restart and differ between instances: set
                # DRAFT_LINK_SECRET (the same on every instance) when scaling out.
                secret = secrets.token_bytes(32)
        self.secret = secret
        self.ttl = ttl if ttl is not None else _positive_int(os.environ.get("DRAFT_LINK_SECONDS"),
                                                            DEFAULT_DRAFT_LINK_SECONDS)
        self.clock = clock

    def _signature(self, reference: str, filename: str, expires: int) -> str:
        message = f"{reference}\x1f{filename}\x1f{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def query(self, reference: str, filename: str) -> str:
        expires = int(self.clock()) + self.ttl
        return f"expires={expires}&sig={self._signature(reference, filename, expires)}"

    def valid(self, reference: str, filename: str, expires: Any, signature: Any) -> bool:
        try:
            expires = int(expires)
        except (TypeError, ValueError):
            return False
        if not isinstance(signature, str) or expires < self.clock():
            return False
        return hmac.compare_digest(signature, self._signature(reference, filename, expires))


def _positive_int(value: Optional[str], default: int) -> int:
    try:
        number = int(value) if value else default
    except ValueError:
        return default
    return number if number > 0 else default
