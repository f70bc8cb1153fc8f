"""Talking to Microsoft: the signing keys, the bot's own token and the Bot Connector's addresses."""
from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from channels.teams.activities import _get
from channels.teams.settings import BOT_FRAMEWORK_SCOPE, TeamsSettings

TOKEN_RENEW_MARGIN_SECONDS = 300
MAX_RETRY_DELAY_SECONDS = 2.0


class AccessTokens:
    """The bot's own bearer token for the Bot Connector, reused until shortly before it expires."""

    def __init__(self, fetch: Callable[[], Awaitable[tuple[str, float]]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._token: str | None = None
        self._valid_until = -math.inf
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:
            if self._token and self._clock() < self._valid_until:
                return self._token
            token, lifetime = await self._fetch()
            self._token = token
            self._valid_until = self._clock() + lifetime - min(TOKEN_RENEW_MARGIN_SECONDS, lifetime / 2)
            return token

    def invalidate(self) -> None:
        self._token = None


class ConnectorError(Exception):
    """The token endpoint or the Bot Connector refused or answered nonsense."""


async def _get_json(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(url) as reply:
        if reply.status != 200:
            raise ConnectorError(f"GET {url} answered {reply.status}")
        body = await reply.json(content_type=None)
    if not isinstance(body, dict):
        raise ConnectorError(f"GET {url} did not return a JSON object")
    return body


async def fetch_signing_keys(session: aiohttp.ClientSession, settings: TeamsSettings) -> list[dict]:
    jwks_url = settings.jwks_url
    if not jwks_url:
        jwks_url = (await _get_json(session, settings.openid_metadata_url)).get("jwks_uri")
        if not isinstance(jwks_url, str) or not jwks_url:
            raise ConnectorError("the OpenID metadata has no jwks_uri")
    keys = (await _get_json(session, jwks_url)).get("keys")
    if not isinstance(keys, list):
        raise ConnectorError("the JWKS document has no keys")
    return keys


async def fetch_access_token(session: aiohttp.ClientSession, settings: TeamsSettings) -> tuple[str, float]:
    form = {"grant_type": "client_credentials", "client_id": settings.app_id,
            "client_secret": settings.app_password, "scope": BOT_FRAMEWORK_SCOPE}
    async with session.post(settings.token_endpoint, data=form) as reply:
        body = await reply.json(content_type=None) if reply.status == 200 else None
        status = reply.status
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ConnectorError(f"the token endpoint answered {status} without an access token")
    try:
        lifetime = float(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600.0
    return token, max(lifetime, 1.0)


def reply_url(service_url: str, conversation_id: str, activity_id: str | None = None) -> str:
    base = f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}/activities"
    return f"{base}/{quote(activity_id, safe='')}" if activity_id else base


def reply_envelope(activity: Mapping[str, Any]) -> dict:
    """The addressing of a reply to `activity` (no user names copied back)."""
    envelope = {"type": "message", "from": activity.get("recipient"),
                "recipient": {"id": _get(activity, "from", "id")},
                "conversation": {"id": _get(activity, "conversation", "id")}, "textFormat": "markdown"}
    if isinstance(activity.get("id"), str):
        envelope["replyToId"] = activity["id"]
    return envelope


def _retry_delay(retry_after: str | None) -> float:
    try:
        return min(max(float(retry_after or 1), 0.0), MAX_RETRY_DELAY_SECONDS)
    except ValueError:
        return 1.0
