"""The website chat channel: a small JSON API plus the widget (web/) that talks to it.

Routes under /webhooks/web/:
- POST session                   -> {"session": "<43 url-safe characters>"}: the server issues the
                                    conversation id; only ids of that unguessable form are accepted.
- POST message {session, message} -> {"user_text", "messages": [{"text", "buttons", "draft_url"}]}
- GET  history?session=…         -> the conversation so far, read from the tracker store.
- GET  drafts/<reference>/draft.docx|draft.md?session=… -> the draft, only for the conversation
                                    that wrote it.
- GET  widget.js, widget.css, demo.css, demo -> the widget and a demo page that embeds it.

The same checks as channels/rest.py run before Rasa stores anything (personnummer removed,
size, no client metadata), plus a per-conversation rate limit. CORS is only granted to the
origins in WEB_ALLOWED_ORIGINS (never "*"); WEB_RATE_LIMIT is messages per minute per
conversation (default 20). The limit is kept in memory, so with several Rasa instances each
instance counts on its own.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import time
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any, Awaitable, Callable, Deque, Dict, List, Optional, Set, Text, Tuple
from urllib.parse import quote, urlsplit

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.rest import collect_replies, failure_text, prepare_text
from finsam.draft import DraftStore, is_reference

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DEFAULT_RATE_LIMIT = 20
RATE_WINDOW_SECONDS = 60.0
MAX_BODY_BYTES = 128 * 1024
# secrets.token_urlsafe(32): 32 random bytes, 43 characters of base64url.
SESSION_BYTES = 32
_SESSION = re.compile(r"^[A-Za-z0-9_-]{43}$")

BAD_SESSION = "Ogiltig session. Ladda om sidan för att starta ett nytt samtal."
BAD_JSON = "Skicka JSON: {\"session\": \"…\", \"message\": \"…\"}."
NOT_TEXT = "Fältet message ska vara text."
TOO_BIG = "Meddelandet är för stort. Skriv högst 10 000 tecken åt gången."
TOO_FAST = "Du skickar meddelanden för tätt. Vänta en minut och försök sedan igen."
NO_DRAFT = "Utkastet finns inte, eller hör till ett annat samtal."

DRAFT_FILES = {
    "draft.docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "draft.md": ("text/markdown; charset=utf-8", "md"),
}
STATIC_FILES = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}
# The demo page: its own scripts and styles only, nothing inline, no framing.
DEMO_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers",
                "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age")
try:  # Rasa's app-wide sanic-cors must leave our CORS headers alone.
    from sanic_cors.core import SANIC_CORS_EVALUATED
except ImportError:  # pragma: no cover
    SANIC_CORS_EVALUATED = "_sanic_cors_e"


def new_session() -> str:
    return secrets.token_urlsafe(SESSION_BYTES)


def is_session(value: Any) -> bool:
    return isinstance(value, str) and bool(_SESSION.match(value))


def allowed_origins_from_env(value: Optional[str] = None) -> Set[str]:
    """WEB_ALLOWED_ORIGINS as a set of "scheme://host[:port]"; "*" and junk are ignored."""
    raw = os.environ.get("WEB_ALLOWED_ORIGINS", "") if value is None else value
    origins = set()
    for item in raw.split(","):
        item = item.strip().rstrip("/").lower()
        if not item:
            continue
        parts = urlsplit(item)
        if item == "*" or parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            logger.warning("WEB_ALLOWED_ORIGINS: ignoring %r (give full origins like https://www.example.se)", item)
            continue
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def rate_limit_from_env(value: Optional[str] = None) -> int:
    raw = os.environ.get("WEB_RATE_LIMIT", "") if value is None else value
    if not raw.strip():
        return DEFAULT_RATE_LIMIT
    try:
        limit = int(raw)
        if limit > 0:
            return limit
    except ValueError:
        pass
    logger.warning("WEB_RATE_LIMIT=%r is not a positive whole number; using %d", raw, DEFAULT_RATE_LIMIT)
    return DEFAULT_RATE_LIMIT


class RateLimiter:
    """At most `limit` events per `window` seconds per key (sliding window, in memory)."""

    def __init__(self, limit: int, window: float = RATE_WINDOW_SECONDS, max_keys: int = 50_000):
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._hits: OrderedDict[str, Deque[float]] = OrderedDict()

    def hit(self, key: str, now: Optional[float] = None) -> Tuple[bool, int]:
        """Counts one event; returns (allowed, seconds until the next one is allowed)."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            self._forget_old(now)
            hits = self._hits[key] = deque()
        self._hits.move_to_end(key)
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False, max(1, int(self.window - (now - hits[0])) + 1)
        hits.append(now)
        return True, 0

    def _forget_old(self, now: float) -> None:
        if len(self._hits) < self.max_keys:
            return
        for key in [k for k, hits in self._hits.items() if not hits or now - hits[-1] >= self.window]:
            del self._hits[key]
        while len(self._hits) >= self.max_keys:  # still full: drop the least recently used
            self._hits.popitem(last=False)


def _error(text: str, status: int, headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    return response.json({"error": text}, status=status, headers=headers)


def draft_path(reference: str, filename: str = "draft.docx") -> str:
    """Path of a draft below the channel's URL prefix (the widget adds ?session=…)."""
    return f"drafts/{quote(reference)}/{filename}"


class WebOutputChannel(CollectingOutputChannel):
    """Collects the bot's messages one per response, as the tracker stores them.

    Rasa's collector splits a text at blank lines; the widget shows line breaks itself, so a
    reply looks the same when it arrives and when the history is shown after a reload.
    """

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text.strip()))


def web_messages(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The bot's messages as the widget needs them: text, buttons and a draft link.

    A draft reference sent on its own (Rasa sends `custom` after the text of the same
    response) is attached to the message before it.
    """
    result: List[Dict[str, Any]] = []
    for message in messages:
        item: Dict[str, Any] = {}
        if isinstance(message.get("text"), str) and message["text"].strip():
            item["text"] = message["text"].strip()
        buttons = [{"title": b["title"], "payload": b["payload"]} for b in message.get("buttons") or []
                   if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)]
        if buttons:
            item["buttons"] = buttons
        custom = message.get("custom")
        reference = custom.get("draft_reference") if isinstance(custom, dict) else None
        if isinstance(reference, str) and is_reference(reference):
            item["draft_url"] = draft_path(reference)
            item["draft_md_url"] = draft_path(reference, "draft.md")
        if set(item) == {"draft_url", "draft_md_url"} and result:
            result[-1].update(item)
        elif item:
            result.append(item)
    return result


def history_from_events(events: Any, draft_reference: Optional[str]) -> List[Dict[str, Any]]:
    """User and bot texts in order; buttons only on the last bot message.

    A button click is stored as its payload ("/start_sketch"); it is shown as the
    button's title, as the widget showed it when it was clicked.
    """
    history: List[Dict[str, Any]] = []
    last_buttons: List[Dict[str, str]] = []
    for event in events:
        if isinstance(event, UserUttered):
            text = event.text or ""
            title = next((b["title"] for b in last_buttons if b["payload"] == text), None)
            history.append({"sender": "user", "text": title or text})
            last_buttons = []
        elif isinstance(event, BotUttered):
            data = event.data or {}
            items = web_messages([{"text": event.text, "buttons": data.get("buttons"), "custom": data.get("custom")}])
            if not items:
                continue
            item = items[0]
            # Only the current draft can be downloaded (editing an answer makes a new one).
            if item.get("draft_url") and data["custom"]["draft_reference"] != draft_reference:
                item.pop("draft_url")
                item.pop("draft_md_url")
            last_buttons = item.get("buttons", [])
            history.append({"sender": "bot", **item})
    for item in history[:-1]:
        item.pop("buttons", None)
    if history and history[-1]["sender"] != "bot":
        history[-1].pop("buttons", None)
    return history


class WebChatInput(InputChannel):
    """Channel for the website chat widget (web/widget.js)."""

    def __init__(self, allowed_origins: Optional[Set[str]] = None, rate_limit: Optional[int] = None,
                 web_dir: Path = WEB_DIR):
        self.allowed_origins = allowed_origins_from_env() if allowed_origins is None else set(allowed_origins)
        self.limiter = RateLimiter(rate_limit or rate_limit_from_env())
        self.web_dir = web_dir

    @classmethod
    def name(cls) -> Text:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()  # settings come from the environment, never from credentials.yml

    # ------------------------------------------------------------------ helpers
    def _cors_headers(self, request: Request, preflight: bool = False) -> Dict[str, str]:
        headers = {"Vary": "Origin"}
        origin = (request.headers.get("origin") or "").lower()
        if origin and origin in self.allowed_origins:
            headers["Access-Control-Allow-Origin"] = origin
            if preflight:
                headers.update({"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                                "Access-Control-Allow-Headers": "Content-Type",
                                "Access-Control-Max-Age": "600"})
        return headers

    async def _tracker(self, request: Request, session: str):
        """The conversation of this web session, or None (also for other channels' ids)."""
        tracker = await request.app.ctx.agent.tracker_store.retrieve(session)
        if tracker is None:
            return None
        channel = tracker.get_latest_input_channel()
        return tracker if channel in (None, self.name()) else None

    def _static(self, filename: str, content_type: str, extra: Optional[Dict[str, str]] = None) -> HTTPResponse:
        body = (self.web_dir / filename).read_bytes()
        headers = {"Cache-Control": "no-cache"}
        headers.update(extra or {})
        return response.raw(body, content_type=content_type, headers=headers)

    # ---------------------------------------------------------------- blueprint
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        web = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        blueprint_prefix = f"{web.name}."

        def ours(request: Request) -> bool:
            route = getattr(request, "route", None)
            return bool(route) and f".{blueprint_prefix}" in f".{route.name}"

        async def preflight(request: Request) -> Optional[HTTPResponse]:
            # Runs before sanic-cors (which Rasa sets up for the whole app) so that only our
            # origins get CORS, whatever `rasa run --cors` says.
            if request.method == "OPTIONS" and ours(request):
                setattr(request.ctx, SANIC_CORS_EVALUATED, "1")
                return response.empty(status=204, headers=self._cors_headers(request, preflight=True))
            return None

        @web.listener("before_server_start")
        async def install_preflight(app, _loop) -> None:
            if preflight not in app.request_middleware:
                app.request_middleware.appendleft(preflight)

        @web.middleware("request")
        async def skip_app_cors(request: Request) -> None:
            setattr(request.ctx, SANIC_CORS_EVALUATED, "1")

        @web.middleware("response")
        async def security_headers(request: Request, reply: HTTPResponse) -> None:
            if request.method != "OPTIONS":
                for key in CORS_HEADERS:  # whatever the app-wide CORS set, only ours count
                    reply.headers.pop(key, None)
                for key, value in self._cors_headers(request).items():
                    reply.headers[key] = value
            reply.headers.setdefault("X-Content-Type-Options", "nosniff")
            reply.headers.setdefault("Referrer-Policy", "no-referrer")
            reply.headers.setdefault("Cache-Control", "no-store")

        @web.route("/session", methods=["POST", "OPTIONS"])
        async def session(request: Request) -> HTTPResponse:
            return response.json({"session": new_session()})

        @web.route("/message", methods=["POST", "OPTIONS"])
        async def message(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return _error(TOO_BIG, 413)
            try:
                body = request.json
            except Exception:
                body = None
            if not isinstance(body, dict):
                return _error(BAD_JSON, 400)
            sender = body.get("session")
            if not is_session(sender):
                return _error(BAD_SESSION, 400)
            allowed, retry_after = self.limiter.hit(sender)
            if not allowed:
                return _error(TOO_FAST, 429, {"Retry-After": str(retry_after)})
            try:
                text, reply = prepare_text(body.get("message"))
            except TypeError:
                return _error(NOT_TEXT, 400)
            if reply:
                return response.json({"user_text": None, "messages": [{"text": reply}]})
            messages = await collect_replies(on_new_message, sender, text, self.name(), WebOutputChannel())
            if messages is None:
                return response.json({"user_text": text, "messages": [{"text": failure_text()}]})
            return response.json({"user_text": text, "messages": web_messages(messages)})

        @web.route("/history", methods=["GET", "OPTIONS"])
        async def history(request: Request) -> HTTPResponse:
            sender = request.args.get("session")
            if not is_session(sender):
                return _error(BAD_SESSION, 400)
            tracker = await self._tracker(request, sender)
            if tracker is None:
                return response.json({"messages": []})
            return response.json({"messages": history_from_events(tracker.events,
                                                                  tracker.get_slot("draft_reference"))})

        @web.route("/drafts/<reference>/<filename>", methods=["GET"])
        async def draft(request: Request, reference: str, filename: str) -> HTTPResponse:
            sender = request.args.get("session")
            if not is_session(sender):
                return _error(BAD_SESSION, 400)
            if filename not in DRAFT_FILES or not is_reference(reference):
                return _error(NO_DRAFT, 404)
            tracker = await self._tracker(request, sender)
            if tracker is None or tracker.get_slot("draft_reference") != reference:
                return _error(NO_DRAFT, 404)
            stored = DraftStore().find(reference)
            path = stored.folder / filename if stored else None
            if path is None or not path.is_file():
                return _error(NO_DRAFT, 404)
            content_type, suffix = DRAFT_FILES[filename]
            body = await asyncio.to_thread(path.read_bytes)
            return response.raw(body, content_type=content_type, headers={
                "Content-Disposition": f'attachment; filename="ideskiss-{reference}.{suffix}"'})

        for filename, content_type in STATIC_FILES.items():
            async def static(request: Request, filename: str = filename, content_type: str = content_type):
                return self._static(filename, content_type)

            web.add_route(static, f"/{filename}", methods=["GET"], name=f"static_{filename.replace('.', '_')}")

        @web.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            return self._static("demo.html", "text/html; charset=utf-8", {"Content-Security-Policy": DEMO_CSP})

        return web
