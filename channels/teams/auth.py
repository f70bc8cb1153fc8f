"""Who may call the Teams webhook: the Bot Framework's JWT, bound to the activity it carries."""
from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlparse

import jwt
from jwt.algorithms import RSAAlgorithm

from channels.teams.activities import tenant_of
from channels.teams.settings import TeamsSettings

logger = logging.getLogger(__name__)

CLOCK_SKEW_SECONDS = 300  # the Bot Framework's documented allowance for clock skew
KEY_CACHE_SECONDS = 24 * 3600
KEY_REFETCH_COOLDOWN_SECONDS = 300  # forged kids must not make us hammer Microsoft
KEY_FAILURE_BACKOFF_SECONDS = 10
TEAMS_CHANNEL = "msteams"


class AuthError(Exception):
    """The request is not provably from the Bot Framework: always answered with 401."""


class KeysUnavailable(Exception):
    """Microsoft's signing keys could not be fetched, so no token can be checked (503)."""


def bearer_token(header: str | None) -> str:
    match = re.fullmatch(r"Bearer\s+(\S+)", (header or "").strip(), flags=re.IGNORECASE)
    if not match:
        raise AuthError("Authorization-huvudet med en Bearer-token saknas.")
    return match.group(1)


def signing_key_id(token: str) -> str:
    """The token's `kid`, after checking that its header names RS256."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise AuthError("Token kunde inte läsas.") from error
    # The token must never choose the algorithm: alg=none and HS256 signed with a guessed or
    # leaked secret are the classic forgeries. Microsoft signs with RS256 only.
    if header.get("alg") != "RS256":
        raise AuthError("Token är inte signerad med RS256.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AuthError("Token saknar nyckel-id (kid).")
    return kid


def verify_token(token: str, jwk: Mapping[str, Any], settings: TeamsSettings) -> dict[str, Any]:
    """Signature, issuer, audience and validity period; returns the claims."""
    if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
        raise AuthError("Nyckeln är ingen RSA-signeringsnyckel.")
    try:
        public_key = RSAAlgorithm.from_jwk(json.dumps(dict(jwk)))
        return jwt.decode(token, key=public_key, algorithms=["RS256"], audience=settings.app_id,
                          issuer=settings.issuer, leeway=CLOCK_SKEW_SECONDS,
                          options={"require": ["exp", "iss", "aud"]})
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise AuthError(f"Token godtogs inte ({type(error).__name__}).") from error


def check_activity(claims: Mapping[str, Any], activity: Mapping[str, Any], jwk: Mapping[str, Any],
                   settings: TeamsSettings) -> None:
    """Ties the verified token to this activity, so a token cannot be replayed for another service.

    The token does not sign the activity's channelId or tenant. A Web Chat or Direct Line client
    of the same Azure Bot gets tokens from the same keys, so only Teams activities are taken,
    and only when the signing key endorses Teams (a key without endorsements is refused).
    """
    channel = activity.get("channelId")
    if channel != TEAMS_CHANNEL:
        raise AuthError("Aktiviteten kommer inte från Microsoft Teams (channelId).")
    service_url = activity.get("serviceUrl")
    claimed = claims.get("serviceurl") or claims.get("serviceUrl")
    if not isinstance(service_url, str) or not isinstance(claimed, str) \
            or claimed.rstrip("/") != service_url.rstrip("/"):
        raise AuthError("Tokens serviceurl stämmer inte med aktivitetens serviceUrl.")
    # Our own bot token is sent to serviceUrl: never in clear text to anything but loopback.
    if not safe_service_url(service_url):
        raise AuthError("serviceUrl måste vara https.")
    endorsements = jwk.get("endorsements")
    if not isinstance(endorsements, list) or channel not in endorsements:
        raise AuthError("Nyckeln gäller inte för den här kanalen.")
    if settings.allowed_tenants and (tenant_of(activity) or "").lower() not in settings.allowed_tenants:
        raise AuthError("Organisationen (tenant) är inte tillåten.")


def safe_service_url(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme == "https":
        return bool(parsed.hostname)
    return parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost", "::1")


class SigningKeys:
    """Microsoft's token-signing keys by kid: fetched on first use, cached, refetched for a new kid."""

    def __init__(self, fetch: Callable[[], Awaitable[list[dict]]], ttl: float = KEY_CACHE_SECONDS,
                 cooldown: float = KEY_REFETCH_COOLDOWN_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._cooldown = cooldown
        self._clock = clock
        self._keys: dict[str, dict] = {}
        self._fetched_at: float | None = None
        self._last_forced = -math.inf
        self._failed_until = -math.inf
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> dict | None:
        async with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self._ttl:
                await self._refresh(now)
            elif kid not in self._keys and now - self._last_forced >= self._cooldown:
                # Microsoft rotates its keys: an unknown kid may be brand new, so look once more.
                self._last_forced = now
                await self._refresh(now)
            return self._keys.get(kid)

    async def _refresh(self, now: float) -> None:
        if not self._keys and now < self._failed_until:
            raise KeysUnavailable("Microsofts signeringsnycklar kunde inte hämtas nyss.")
        try:
            keys = await self._fetch()
        except Exception as error:
            if not self._keys:
                self._failed_until = now + KEY_FAILURE_BACKOFF_SECONDS
                raise KeysUnavailable("Microsofts signeringsnycklar kunde inte hämtas.") from error
            # Keep the cached keys and try again in a minute rather than on every request.
            logger.warning("Could not refresh the Bot Framework signing keys: %s", error)
            self._fetched_at = now - self._ttl + 60
            return
        self._keys = {k["kid"]: k for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)}
        self._fetched_at = now
