"""Microsoft Teams channel for Rasa 3.6, closing the gaps of Rasa's own `botframework` channel.

Referenced from bot/credentials.yml as `channels.teams.TeamsInput:` (no keys: secrets stay in
the environment). URL: POST /webhooks/teams/webhook. What it adds over Rasa's channel:

- Every request must carry a Bot Framework JWT: RS256 only, key by `kid` from Microsoft's JWKS,
  issuer, audience = our app id, exp/nbf, the `serviceurl` claim equal to the activity's
  serviceUrl, and (optionally) an allowed tenant. Anything else gets 401 and reaches nothing.
- Keys and the bot's own token are fetched lazily with aiohttp and time-outs (Rasa's channel
  blocks the event loop with `requests` and needs the network at start-up), and cached.
- Replies use the single-tenant token endpoint (multi-tenant bot creation ended in 2025).
- Teams specifics: @mentions stripped, personnummer redacted before Rasa sees the text (as in
  channels/rest.py), retried activities handled once, a welcome when the bot is added, buttons
  as card actions that send the Rasa payload, long answers split at paragraph boundaries.

Welcome: the bot posts the domain's `utter_greet` (text and buttons) taken from the loaded
model, without sending anything to Rasa, so a re-install never disturbs an unfinished idea
sketch; a fixed Swedish welcome is used if the domain has no such response.

Messages are processed inline: Teams waits up to 15 s for the 200 and Rasa answers in a few;
a retry after a slow answer is recognised by its activity id and not processed twice.
Without MICROSOFT_APP_ID (or MICROSOFT_APP_PASSWORD) the webhook answers 503 and does nothing.
"""
from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import math
import os
import re
import time
from asyncio import CancelledError
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlparse

import aiohttp
import jwt
from jwt.algorithms import RSAAlgorithm
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.rest import MAX_MESSAGE_CHARS
from finsam.knowledge import get_knowledge
from finsam.redaction import redact_personnummer
from finsam.sketch import clean_text

logger = logging.getLogger(__name__)

DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_ISSUER = "https://api.botframework.com"
TOKEN_ENDPOINT_TEMPLATE = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
DEFAULT_HTTP_TIMEOUT = 10.0

CLOCK_SKEW_SECONDS = 300  # the Bot Framework's documented allowance for clock skew
KEY_CACHE_SECONDS = 24 * 3600
KEY_REFETCH_COOLDOWN_SECONDS = 300  # forged kids must not make us hammer Microsoft
KEY_FAILURE_BACKOFF_SECONDS = 10
TOKEN_RENEW_MARGIN_SECONDS = 300
MAX_REPLY_CHARS = 3500  # well below Teams' 40 KB message limit, and readable on a phone
MAX_CARD_BUTTONS = 6  # hero cards in Teams show at most six buttons
MAX_BODY_BYTES = 256 * 1024
RECENT_ACTIVITIES = 2048
WELCOME_WINDOW_SECONDS = 600
MAX_RETRY_DELAY_SECONDS = 2.0

HERO_CARD = "application/vnd.microsoft.card.hero"
FALLBACK_WELCOME = (
    "Hej! Jag är Samordningsförbundet i Blekinges digitala assistent (en bot, ingen människa). "
    "Jag svarar på frågor om att söka samverkansmedel och hjälper dig att skriva en idéskiss "
    "till förbundets kansli. Skriv din fråga, eller \"jag har en idé\" för att börja."
)
ERROR_REPLY = "Något gick fel hos mig. Försök igen om en stund. "


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class TeamsSettings:
    """Everything the channel needs, read from the environment only (never from credentials.yml)."""

    app_id: str = ""
    app_password: str = field(default="", repr=False)
    tenant_id: str = ""
    openid_metadata_url: str = DEFAULT_OPENID_METADATA_URL
    jwks_url: str = ""
    token_endpoint: str = ""
    issuer: str = DEFAULT_ISSUER
    allowed_tenants: frozenset[str] = frozenset()
    http_timeout: float = DEFAULT_HTTP_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TeamsSettings:
        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        tenant = get("MICROSOFT_APP_TENANT_ID")
        # Without a tenant only the legacy multi-tenant endpoint is left; new bots are single-tenant.
        default_endpoint = TOKEN_ENDPOINT_TEMPLATE.format(tenant=tenant or "botframework.com")
        return cls(
            app_id=get("MICROSOFT_APP_ID"),
            app_password=get("MICROSOFT_APP_PASSWORD"),
            tenant_id=tenant,
            openid_metadata_url=get("TEAMS_OPENID_METADATA_URL") or DEFAULT_OPENID_METADATA_URL,
            jwks_url=get("TEAMS_JWKS_URL"),
            token_endpoint=get("TEAMS_TOKEN_ENDPOINT") or default_endpoint,
            issuer=get("TEAMS_ISSUER") or DEFAULT_ISSUER,
            allowed_tenants=frozenset(t.strip().lower() for t in get("TEAMS_ALLOWED_TENANTS").split(",")
                                      if t.strip()),
            http_timeout=_seconds(get("TEAMS_HTTP_TIMEOUT"), DEFAULT_HTTP_TIMEOUT),
        )

    def problem(self) -> str | None:
        """Why the channel cannot work, in Swedish for whoever operates the bot; None when it can."""
        if not self.app_id:
            return "Teams-kanalen är inte konfigurerad: MICROSOFT_APP_ID saknas i miljön."
        if not self.app_password:
            return "Teams-kanalen är inte konfigurerad: MICROSOFT_APP_PASSWORD saknas i miljön."
        return None


def _seconds(value: str, default: float) -> float:
    try:
        seconds = float(value) if value else default
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        logger.warning("TEAMS_HTTP_TIMEOUT=%r is not a positive number of seconds; using %s", value, default)
        return default
    return seconds


# --------------------------------------------------------------------------- authentication


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
    """Ties the verified token to this activity, so a token cannot be replayed for another service."""
    service_url = activity.get("serviceUrl")
    claimed = claims.get("serviceurl") or claims.get("serviceUrl")
    if not isinstance(service_url, str) or not isinstance(claimed, str) \
            or claimed.rstrip("/") != service_url.rstrip("/"):
        raise AuthError("Tokens serviceurl stämmer inte med aktivitetens serviceUrl.")
    # Our own bot token is sent to serviceUrl: never in clear text to anything but loopback.
    if not safe_service_url(service_url):
        raise AuthError("serviceUrl måste vara https.")
    endorsements = jwk.get("endorsements")
    if isinstance(endorsements, list) and activity.get("channelId") not in endorsements:
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


# --------------------------------------------------------------------------- activities in


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def tenant_of(activity: Mapping[str, Any]) -> str | None:
    tenant = _get(activity, "channelData", "tenant", "id") or _get(activity, "conversation", "tenantId")
    return tenant if isinstance(tenant, str) and tenant else None


def sender_id_for(activity: Mapping[str, Any]) -> str:
    """Rasa's conversation id: one per person and Teams conversation (a team channel has many people).

    Hashed so the tracker store holds no Teams identifiers and stays within its 255 characters.
    """
    parts = [tenant_of(activity) or "", str(_get(activity, "conversation", "id") or ""),
             str(_get(activity, "from", "id") or "")]
    return "teams-" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


_AT_TAG = re.compile(r"<at(?:\s[^>]*)?>.*?</at>", flags=re.IGNORECASE | re.DOTALL)


def strip_mentions(text: str, entities: Iterable[Any] | None = None) -> str:
    """The message without @mentions (of the bot or anyone else), whitespace tidied."""
    for entity in entities or ():
        mention = entity.get("text") if isinstance(entity, Mapping) and entity.get("type") == "mention" else None
        if isinstance(mention, str) and mention:
            text = text.replace(mention, " ")
    text = html.unescape(_AT_TAG.sub(" ", text or ""))
    # Keep line breaks (idea-sketch answers may have paragraphs), fold other whitespace.
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def incoming_text(activity: Mapping[str, Any]) -> str:
    text = activity.get("text")
    return clean_text(strip_mentions(text if isinstance(text, str) else "", activity.get("entities")))


def is_welcome_event(activity: Mapping[str, Any], app_id: str) -> bool:
    """The bot itself was added to a chat or team (not some other member)."""
    kind = activity.get("type")
    if kind == "installationUpdate":
        return activity.get("action") == "add"
    if kind != "conversationUpdate":
        return False
    bot_ids = {_get(activity, "recipient", "id"), f"28:{app_id}"} - {None}
    return any(_get(member, "id") in bot_ids for member in activity.get("membersAdded") or [])


class RecentKeys:
    """A bounded set of recently seen keys (oldest forgotten first), optionally expiring."""

    def __init__(self, size: int, ttl: float | None = None, clock: Callable[[], float] = time.monotonic):
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def add(self, key: Hashable) -> bool:
        """Remember the key; False when it was already remembered (and has not expired)."""
        now = self._clock()
        seen_at = self._seen.get(key)
        if seen_at is not None and (self._ttl is None or now - seen_at < self._ttl):
            return False
        self._seen[key] = now
        self._seen.move_to_end(key)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


def parse_activity(body: bytes) -> dict | None:
    """The activity if it is one we can answer: JSON object with type, conversation and serviceUrl."""
    if not body or len(body) > MAX_BODY_BYTES:
        return None
    try:
        activity = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
        return None
    if not isinstance(_get(activity, "conversation", "id"), str) or not isinstance(activity.get("serviceUrl"), str):
        return None
    return activity


# --------------------------------------------------------------------------- replies out


_SPLIT_LEVELS = (
    (re.compile(r"\n\s*\n"), "\n\n"),  # paragraphs
    (re.compile(r"\n"), "\n"),  # lines
    (re.compile(r"(?<=[.!?…])\s+"), " "),  # sentences
    (re.compile(r"\s+"), " "),  # words
)


def split_text(text: str, limit: int = MAX_REPLY_CHARS, level: int = 0) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraphs, else lines, sentences, words."""
    text = (text or "").strip()
    if len(text) <= limit:
        return [text] if text else []
    if level == len(_SPLIT_LEVELS):
        return [text[i:i + limit] for i in range(0, len(text), limit)]
    pattern, joiner = _SPLIT_LEVELS[level]
    chunks: list[str] = []
    current = ""
    for part in (p.strip() for p in pattern.split(text)):
        if not part:
            continue
        if current and len(current) + len(joiner) + len(part) <= limit:
            current += joiner + part
            continue
        if current:
            chunks.append(current)
        pieces = split_text(part, limit, level + 1)
        chunks.extend(pieces[:-1])
        current = pieces[-1]
    if current:
        chunks.append(current)
    return chunks


def teams_markup(text: str) -> str:
    """Rasa's plain text as Teams shows it: user text cannot inject HTML or mentions, and a lone
    line break (which Teams would swallow) becomes <br>."""
    paragraphs = re.split(r"\n\s*\n", (text or "").strip())
    return "\n\n".join(html.escape(p, quote=False).replace("\n", "<br>") for p in paragraphs)


def card_action(button: Mapping[str, Any]) -> dict | None:
    """A Rasa button as a Teams card action."""
    title = str(button.get("title") or "").strip()
    url = button.get("url")
    if isinstance(url, str) and url:
        return {"type": "openUrl", "title": title or url, "value": url}
    payload = str(button.get("payload") or title).strip()
    if not payload:
        return None
    # messageBack: the chat shows the title as the user's message while the bot receives the
    # payload, so "/intent" payloads reach Rasa as they are (imBack would show "/start_sketch").
    return {"type": "messageBack", "title": title or payload, "text": payload, "displayText": title or payload}


def hero_cards(text: str, buttons: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Text and buttons as hero cards; more than six buttons continue on further cards."""
    actions = [a for a in (card_action(b) for b in buttons) if a]
    cards = []
    for start in range(0, max(len(actions), 1), MAX_CARD_BUTTONS):
        content: dict[str, Any] = {"buttons": actions[start:start + MAX_CARD_BUTTONS]}
        if start == 0 and text:
            content["text"] = text
        cards.append({"contentType": HERO_CARD, "content": content})
    return cards


def message_parts(message: Mapping[str, Any], limit: int = MAX_REPLY_CHARS) -> list[dict]:
    """One message collected from Rasa as the fields of one or more Teams activities."""
    chunks = split_text(str(message.get("text") or ""), limit)
    buttons = message.get("buttons") or []
    parts: list[dict] = []
    if buttons:
        # The buttons go with the last piece of text, right where the user reads on.
        last = chunks.pop() if chunks else ""
        parts = [{"text": teams_markup(chunk)} for chunk in chunks]
        parts.append({"attachmentLayout": "list", "attachments": hero_cards(teams_markup(last), buttons)})
    else:
        parts = [{"text": teams_markup(chunk)} for chunk in chunks]
    if message.get("image"):
        parts.append({"attachments": [{"contentType": HERO_CARD,
                                       "content": {"images": [{"url": str(message["image"])}]}}]})
    if message.get("attachment"):
        parts.extend({"text": teams_markup(chunk)} for chunk in split_text(str(message["attachment"]), limit))
    # `custom` payloads (e.g. the draft reference for REST clients) have no Teams form: dropped.
    return parts


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


def welcome_message(agent: Any) -> dict:
    """utter_greet from the loaded model's domain, or the fixed Swedish welcome."""
    try:
        variants = agent.domain.responses.get("utter_greet") or []
    except AttributeError:
        variants = []
    for variant in variants:
        if variant.get("text") and variant.get("channel") in (None, "teams"):
            return {"text": variant["text"], "buttons": variant.get("buttons") or []}
    return {"text": FALLBACK_WELCOME}


class _WholeTextCollector(CollectingOutputChannel):
    """Collects Rasa's replies without the base class's split at every blank line: an answer and
    its source line stay one Teams message, split only when too long."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))


# --------------------------------------------------------------------------- the channel


class TeamsInput(InputChannel):
    """Microsoft Teams webhook: authenticated, deduplicated, answering through the Bot Connector."""

    @classmethod
    def name(cls) -> str:
        return "teams"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if credentials:
            logger.warning("channels.teams.TeamsInput ignores keys in credentials.yml; "
                           "set MICROSOFT_APP_ID etc. in the environment")
        return cls()

    def __init__(self, settings: TeamsSettings | None = None) -> None:
        self.settings = settings or TeamsSettings.from_env()
        self._session: aiohttp.ClientSession | None = None
        # Nothing is fetched here, so the bot starts without network access.
        self.keys = SigningKeys(lambda: fetch_signing_keys(self._http(), self.settings))
        self.tokens = AccessTokens(lambda: fetch_access_token(self._http(), self.settings))
        self.recent_activities = RecentKeys(RECENT_ACTIVITIES)
        self.welcomed = RecentKeys(RECENT_ACTIVITIES, ttl=WELCOME_WINDOW_SECONDS)
        if self.settings.problem():
            logger.info("%s The webhook answers 503.", self.settings.problem())

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.settings.http_timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("teams_webhook", __name__)

        @webhook.listener("after_server_stop")
        async def close_http(app: Any, loop: Any) -> None:
            await self.close()

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if not self.settings.problem() else "not configured"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            status, body = await self.process(request.headers.get("Authorization"), request.body,
                                              on_new_message, agent)
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return response.json(body, status=status, headers=headers)

        return webhook

    async def process(self, authorization: str | None, body: bytes,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      agent: Any = None) -> tuple[int, dict]:
        """One webhook call, independent of Sanic: returns (HTTP status, JSON body)."""
        problem = self.settings.problem()
        if problem:
            return 503, {"error": problem}
        try:
            claims, jwk = await self._verify(authorization)
        except KeysUnavailable as error:
            logger.error("Teams request not checked: %s", error)
            return 503, {"error": "Kan inte kontrollera begäran just nu; försök igen."}
        except AuthError as error:
            logger.warning("Teams request refused: %s", error)
            return 401, {"error": f"Obehörig: {error}"}
        activity = parse_activity(body)
        if activity is None:
            return 400, {"error": "Begäran är ingen giltig Bot Framework-aktivitet."}
        try:
            check_activity(claims, activity, jwk, self.settings)
        except AuthError as error:
            logger.warning("Teams activity refused: %s", error)
            return 401, {"error": f"Obehörig: {error}"}
        await self._dispatch(activity, on_new_message, agent)
        return 200, {}

    async def _verify(self, authorization: str | None) -> tuple[dict[str, Any], dict]:
        token = bearer_token(authorization)
        kid = signing_key_id(token)
        jwk = await self.keys.get(kid)
        if jwk is None:
            raise AuthError("Okänd signeringsnyckel.")
        return verify_token(token, jwk, self.settings), jwk

    async def _dispatch(self, activity: dict, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                        agent: Any) -> None:
        # Everything but messages and the bot's own arrival (typing, reactions, edits, invokes,
        # other members joining) is acknowledged and ignored.
        if activity.get("type") == "message":
            if self._first_time(activity):
                await self._answer(activity, on_new_message)
        elif is_welcome_event(activity, self.settings.app_id) and self._first_time(activity) \
                and self.welcomed.add(activity["conversation"]["id"]):
            # Installing in a personal chat sends both conversationUpdate and installationUpdate.
            await self._reply(activity, [welcome_message(agent)])

    def _first_time(self, activity: Mapping[str, Any]) -> bool:
        """False for a retry of an activity already handled (Teams retries when we are slow)."""
        activity_id = activity.get("id")
        if not isinstance(activity_id, str) or not activity_id:
            return True
        return self.recent_activities.add((activity["conversation"]["id"], activity_id))

    async def _answer(self, activity: dict, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        text = incoming_text(activity)
        if not text:
            messages = [{"text": get_knowledge().message("empty_message")}]
        elif len(text) > MAX_MESSAGE_CHARS:
            messages = [{"text": f"Meddelandet är för långt ({len(text)} tecken). Skriv högst "
                                 f"{MAX_MESSAGE_CHARS} tecken åt gången."}]
        else:
            messages = await self._ask_rasa(redact_personnummer(text)[0], sender_id_for(activity), on_new_message)
        await self._reply(activity, messages)

    async def _ask_rasa(self, text: str, sender_id: str,
                        on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> list[dict]:
        collector = _WholeTextCollector()
        try:
            await on_new_message(UserMessage(text, collector, sender_id, input_channel=self.name(), metadata=None))
        except CancelledError:
            logger.error("Message handling timed out for a Teams conversation")
            if not collector.messages:
                return [{"text": ERROR_REPLY + get_knowledge().message("kansli")}]
        except Exception:
            logger.exception("Message handling failed for a Teams conversation")
            return [{"text": ERROR_REPLY + get_knowledge().message("kansli")}]
        return collector.messages

    async def _reply(self, activity: Mapping[str, Any], messages: Iterable[Mapping[str, Any]]) -> None:
        url = reply_url(activity["serviceUrl"], activity["conversation"]["id"], activity.get("id"))
        envelope = reply_envelope(activity)
        try:
            for message in messages:
                for part in message_parts(message):
                    if not await self._post(url, {**envelope, **part}):
                        return
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectorError) as error:
            # No message text in the log: it may hold what the user wrote.
            reason = error if isinstance(error, ConnectorError) else type(error).__name__
            logger.error("Could not post a Teams reply: %s", reason)

    async def _post(self, url: str, activity: dict) -> bool:
        """POST one activity; renew the token once on 401/403, wait and retry once on 429/5xx."""
        for attempt in (1, 2):
            token = await self.tokens.get()
            async with self._http().post(url, json=activity, headers={"Authorization": f"Bearer {token}"}) as reply:
                status, retry_after = reply.status, reply.headers.get("Retry-After")
                await reply.read()
            if status < 300:
                return True
            if attempt == 1 and status in (401, 403):
                self.tokens.invalidate()
                continue
            if attempt == 1 and (status == 429 or status >= 500):
                await asyncio.sleep(_retry_delay(retry_after))
                continue
            logger.error("The Bot Connector refused a reply: HTTP %s", status)
            return False
        return False


def _retry_delay(retry_after: str | None) -> float:
    try:
        return min(max(float(retry_after or 1), 0.0), MAX_RETRY_DELAY_SECONDS)
    except ValueError:
        return 1.0
