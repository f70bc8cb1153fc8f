"""The website chat channel: a small JSON API plus the widget (web/) that talks to it.

Routes under /webhooks/web/ (the session key travels in the X-Finsam-Session header only,
never in a URL, so it stays out of proxy logs and browser history):
- POST session                   -> {"session": "<43 url-safe characters>"}: the server issues the
                                    conversation id; only ids of that unguessable form are accepted.
- POST message {message}         -> {"user_text", "messages": [{"text", "buttons", "draft_url"}]}
- GET  history                   -> the conversation so far, read from the tracker store.
- POST draft-link {reference, file} -> {"url"}: a fresh signed link for the conversation's draft.
- GET  drafts/<reference>/draft.docx|draft.md?expires=…&sig=… -> the draft, through a link signed
                                    with DRAFT_LINK_SECRET that expires (DRAFT_LINK_SECONDS, 300).
- POST end                       -> "Avsluta och glöm": the conversation is erased from the tracker
                                    store (finsam.erasure) and the key is refused from then on.
- POST resume-code, POST resume {code} -> a one-time fortsättningskod to continue another day
                                    (channels/web_resume.py, finsam/resume_codes.py).
- GET  widget.js, widget.css, demo.css, demo -> the widget and a demo page that embeds it.

The same checks as channels/rest.py run before Rasa stores anything (personnummer removed,
size, no client metadata). Limits: WEB_RATE_LIMIT messages per minute per conversation
(default 20), and per client address (channels/security.py, `limits`, shared in
Redis when configured) WEB_SESSION_RATE_LIMIT new sessions (default 30/minute) and
WEB_ADDRESS_RATE_LIMIT messages (default 120/minute); all in Redis when configured, else in
bounded memory (WEB_LIMIT_MAX_KEYS). A key unused for WEB_SESSION_IDLE_MINUTES
(default 120) is refused. CORS is only granted to the origins in WEB_ALLOWED_ORIGINS (never "*").
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Text, Tuple
from urllib.parse import urlsplit

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.events import Restarted
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import web_feedback, web_resume
from channels.rest import collect_replies, failure_text, prepare_text
from channels.security import (
    AddressLimits,
    DraftLinks,
    SlidingWindows,
    limit_request_size,
    rate_from_env,
    rate_storage_uri,
    request_address,
)
from channels.web_history import (  # noqa: F401 - history_from_events and web_messages are the module's API too
    ENDED_MARK,
    WebOutputChannel,
    draft_path,
    erase_conversation,
    history_from_events,
    signed_links,
    was_ended,
    web_messages,
)
from finsam.draft import DraftStore, is_reference
from finsam.privacy import fill_settings

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DEFAULT_RATE_LIMIT = 20
MAX_BODY_BYTES = 128 * 1024
# secrets.token_urlsafe(32): 32 random bytes, 43 characters of base64url.
SESSION_BYTES = 32
_SESSION = re.compile(r"^[A-Za-z0-9_-]{43}$")
SESSION_HEADER = "X-Finsam-Session"
DEFAULT_SESSION_RATE = "30/minute"
DEFAULT_ADDRESS_RATE = "120/minute"
DEFAULT_IDLE_MINUTES = 120

BAD_SESSION = "Ogiltig session. Ladda om sidan för att starta ett nytt samtal."
BAD_JSON = "Skicka JSON: {\"message\": \"…\"}, med samtalsnyckeln i headern X-Finsam-Session."
NOT_TEXT = "Fältet message ska vara text."
TOO_BIG = "Meddelandet är för stort. Ett svar får vara högst 5 000 tecken – korta ner det och skicka det igen."
TOO_FAST = "Du skickar meddelanden för tätt. Vänta en minut och försök sedan igen."
NO_DRAFT = "Utkastet finns inte, eller hör till ett annat samtal."
LINK_EXPIRED = "Länken till utkastet har gått ut eller är fel. Klicka på länken i chatten igen."
SESSION_ENDED = "Samtalet är avslutat. Skriv igen så börjar ett nytt samtal."
SESSION_EXPIRED = "Samtalet har varit inaktivt för länge och är stängt. Skriv igen så börjar ett nytt samtal."

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


RateLimiter = SlidingWindows  # the per-conversation windows (channels/security.py), bounded


def idle_minutes_from_env(value: Optional[str] = None) -> int:
    raw = os.environ.get("WEB_SESSION_IDLE_MINUTES", "") if value is None else value
    try:
        minutes = int(raw) if raw.strip() else DEFAULT_IDLE_MINUTES
    except ValueError:
        minutes = 0
    if minutes <= 0:
        logger.warning("WEB_SESSION_IDLE_MINUTES=%r is not a positive whole number; using %d", raw,
                       DEFAULT_IDLE_MINUTES)
        return DEFAULT_IDLE_MINUTES
    return minutes


def session_of(request: Request) -> Optional[str]:
    """The session key from its header (never from the URL or the body), if well-formed."""
    value = (request.headers.get(SESSION_HEADER) or "").strip()
    return value if is_session(value) else None


def _error(text: str, status: int, headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    return response.json({"error": text}, status=status, headers=headers)


def _json_body(request: Request) -> Any:
    """The parsed JSON body, or None when it is missing or malformed (the caller answers in Swedish)."""
    try:
        return request.json
    except Exception:
        return None


class WebChatInput(InputChannel):
    """Channel for the website chat widget (web/widget.js)."""

    def __init__(self, allowed_origins: Optional[Set[str]] = None, rate_limit: Optional[int] = None,
                 web_dir: Path = WEB_DIR):
        self.allowed_origins = allowed_origins_from_env() if allowed_origins is None else set(allowed_origins)
        # Per address and per conversation; in Redis when configured, so every instance counts alike.
        self.address_limits = AddressLimits(
            {"session": rate_from_env("WEB_SESSION_RATE_LIMIT", DEFAULT_SESSION_RATE),
             "message": rate_from_env("WEB_ADDRESS_RATE_LIMIT", DEFAULT_ADDRESS_RATE),
             "resume": rate_from_env("WEB_RESUME_RATE_LIMIT", web_resume.DEFAULT_RATE),
             "resume_all": rate_from_env("WEB_RESUME_GLOBAL_RATE_LIMIT", web_resume.DEFAULT_GLOBAL_RATE),
             "conversation": f"{rate_limit or rate_limit_from_env()}/minute"},
            rate_storage_uri())
        self.links = DraftLinks()
        self.idle_seconds = idle_minutes_from_env() * 60
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
                                "Access-Control-Allow-Headers": f"Content-Type, {SESSION_HEADER}",
                                "Access-Control-Max-Age": "600"})
        return headers

    async def _tracker(self, request: Request, session: str):
        """The conversation of this web session, or None (also for other channels' ids)."""
        tracker = await request.app.ctx.agent.tracker_store.retrieve(session)
        if tracker is None:
            return None
        channel = tracker.get_latest_input_channel()
        return tracker if channel in (None, self.name()) else None

    async def _usable_session(self, request: Request) -> Tuple[Optional[str], Optional[HTTPResponse]]:
        """The request's session key when it may still be used, else the error response to send."""
        sender = session_of(request)
        if sender is None:
            return None, _error(BAD_SESSION, 400)
        refusal = await self._refusal(request, sender)
        if refusal:
            return None, _error(refusal, 400)
        return sender, None

    async def _refusal(self, request: Request, session: str) -> Optional[str]:
        """Why this key may no longer be used (ended, or idle too long), else None."""
        tracker = await request.app.ctx.agent.tracker_store.retrieve(session)
        if tracker is None or not tracker.events:
            return None
        if was_ended(tracker.events):
            return SESSION_ENDED
        if time.time() - tracker.events[-1].timestamp > self.idle_seconds:
            return SESSION_EXPIRED
        return None

    async def _end(self, request: Request, session: str) -> bool:
        """"Avsluta och glöm": erases the conversation (finsam.erasure) and stores only a marker,
        so every instance refuses the key from then on. True when something was erased."""
        agent = request.app.ctx.agent
        store = agent.tracker_store
        async with agent.lock_store.lock(session):
            tracker = await store.retrieve(session)
            if tracker is None or was_ended(tracker.events):
                return False
            erased = await erase_conversation(store, session)
            await web_resume.forget(self, request, session)
            tracker = await store.retrieve(session)
            if tracker is None:
                tracker = await store.get_or_create_tracker(session, append_action_listen=False)
            tracker.update(Restarted(metadata=dict(ENDED_MARK)))
            await store.save(tracker)
            return erased

    async def _address_limited(self, request: Request, name: str, key: Optional[str] = None) -> Optional[HTTPResponse]:
        allowed, retry_after = await self.address_limits.hit(name, key or request_address(request))
        return None if allowed else _error(TOO_FAST, 429, {"Retry-After": str(retry_after)})

    def _static(self, filename: str, content_type: str, extra: Optional[Dict[str, str]] = None) -> HTTPResponse:
        body = (self.web_dir / filename).read_bytes()
        if filename == "widget.js":  # the notice's periods as this installation keeps them
            body = fill_settings(body.decode("utf-8")).encode("utf-8")
        headers = {"Cache-Control": "no-cache"}
        headers.update(extra or {})
        return response.raw(body, content_type=content_type, headers=headers)

    # ---------------------------------------------------------------- blueprint
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        web = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        limit_request_size(web)
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
            limited = await self._address_limited(request, "session")
            return limited or response.json({"session": new_session()})

        @web.route("/message", methods=["POST", "OPTIONS"])
        async def message(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return _error(TOO_BIG, 413)
            body = _json_body(request)
            if not isinstance(body, dict):
                return _error(BAD_JSON, 400)
            sender = session_of(request)
            if sender is None:
                return _error(BAD_SESSION, 400)
            limited = await self._address_limited(request, "message")
            if limited:
                return limited
            refusal = await self._refusal(request, sender)
            if refusal:
                return _error(refusal, 400)
            limited = await self._address_limited(request, "conversation", sender)
            if limited:
                return limited
            try:
                text, reply = prepare_text(body.get("message"))
            except TypeError:
                return _error(NOT_TEXT, 400)
            if reply:
                return response.json({"user_text": None, "messages": [{"text": reply}]})
            messages = await collect_replies(on_new_message, sender, text, self.name(), WebOutputChannel())
            if messages is None:
                return response.json({"user_text": text, "messages": [{"text": failure_text()}]})
            replies = signed_links(web_messages(messages), self.links)
            # The answers to a question carry feedback: true (👍/👎 in the widget, channels/web_feedback.py).
            replies = await web_feedback.mark(self, request, sender, replies)
            # A goodbye in the middle of the sketch gets a fortsättningskod (channels/web_resume.py).
            replies = await web_resume.after_turn(self, request, sender, replies)
            return response.json({"user_text": text, "messages": replies})

        @web.route("/history", methods=["GET", "OPTIONS"])
        async def history(request: Request) -> HTTPResponse:
            sender, refused = await self._usable_session(request)
            if refused:
                return refused
            tracker = await self._tracker(request, sender)
            if tracker is None:
                return response.json({"messages": []})
            # Every session, not only the current one: after a day away (Rasa's session
            # expiry) the idea maker still sees the earlier questions and answers.
            full = await request.app.ctx.agent.tracker_store.retrieve_full_tracker(sender)
            return response.json({"messages": signed_links(history_from_events(
                (full or tracker).events, tracker.get_slot("draft_reference")), self.links)})

        @web.route("/draft-link", methods=["POST", "OPTIONS"])
        async def draft_link(request: Request) -> HTTPResponse:
            sender, refused = await self._usable_session(request)
            if refused:
                return refused
            body = _json_body(request)
            reference = body.get("reference") if isinstance(body, dict) else None
            filename = body.get("file") if isinstance(body, dict) else None
            if filename not in DRAFT_FILES or not isinstance(reference, str) or not is_reference(reference):
                return _error(NO_DRAFT, 404)
            tracker = await self._tracker(request, sender)
            if tracker is None or tracker.get_slot("draft_reference") != reference:
                return _error(NO_DRAFT, 404)
            path = draft_path(reference, filename)
            return response.json({"url": f"{path}?{self.links.query(reference, filename)}"})

        @web.route("/end", methods=["POST", "OPTIONS"])
        async def end(request: Request) -> HTTPResponse:
            sender = session_of(request)
            if sender is None:
                return _error(BAD_SESSION, 400)
            erased = await self._end(request, sender)
            return response.json({"ended": True, "erased": erased})

        @web.route("/feedback", methods=["POST", "OPTIONS"])
        async def feedback(request: Request) -> HTTPResponse:
            sender, refused = await self._usable_session(request)
            if refused:
                return refused
            body = _json_body(request)
            return await web_feedback.handle(self, request, sender, body, _error)

        web_resume.add_routes(web, self, on_new_message, _error)

        @web.route("/drafts/<reference>/<filename>", methods=["GET"])
        async def draft(request: Request, reference: str, filename: str) -> HTTPResponse:
            if filename not in DRAFT_FILES or not is_reference(reference):
                return _error(NO_DRAFT, 404)
            if not self.links.valid(reference, filename, request.args.get("expires"), request.args.get("sig")):
                return _error(LINK_EXPIRED, 403)
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
