"""Continue a web conversation another day with a one-time fortsättningskod (finsam/resume_codes.py).

The widget's session key lives only as long as the tab (issue 10), so "vi fortsätter senare"
needs something the idea maker carries: a code, shown once, that opens the conversation once.

- POST resume-code (session header)  -> {"messages": [{"text", "resume_code"}]}: "Spara och
  fortsätt senare" in the widget; 409 when there is no unfinished sketch to save.
- A goodbye in the middle of the sketch (the bot's utter_sketch_saved) gets the same code
  message added to its reply (`after_turn`).
- POST resume {code} (header: a NEW session key, from POST session) -> {"history", "messages"}:
  the stored conversation moves to the new key (the events are re-keyed in the tracker
  store, the old key is marked ended), then the bot is told "/sketch_resume", and the reply
  starts with "Välkommen tillbaka – vi var på fråga N". Rate-limited per client address
  (WEB_RESUME_RATE_LIMIT, default 10/hour) and, for all addresses together,
  WEB_RESUME_GLOBAL_RATE_LIMIT (default 300/hour).

The code never enters the tracker store (it is added to the HTTP reply only), so it is not in
the history, the kansli's views or a database dump; only its hash is stored.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, Restarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import response
from sanic.request import Request

from channels.rest import collect_replies, failure_text
from channels.security import request_address
from channels.web_feedback import store_engine
from channels.web_history import (
    ENDED_MARK,
    WebOutputChannel,
    history_from_events,
    signed_links,
    was_ended,
    web_messages,
)
from finsam import erasure, resume_codes
from finsam.sketch import resume_point

logger = logging.getLogger(__name__)

RESUME_PAYLOAD = "/sketch_resume"
DEFAULT_RATE = "10/hour"
DEFAULT_GLOBAL_RATE = "300/hour"

CODE_TEXT = ("Din fortsättningskod: {code}\n\nSpara koden nu – den visas bara den här gången. Den gäller i {days} "
             "dagar och kan användas en gång. När du vill fortsätta väljer du ”Fortsätt med en kod” i chatten "
             "och skriver in koden, gärna i en annan webbläsare eller på en annan dag. Förbundet sparar bara en "
             "kontrollsumma av koden, så ingen på förbundet kan ta fram den åt dig.")
NOTHING_TO_SAVE = ("Det finns ingen påbörjad idéskiss att spara just nu. Skriv ”jag har en idé” om du vill "
                   "börja på en.")
BAD_CODE = ("Koden stämmer inte, har redan använts eller har gått ut. Kontrollera att du har skrivit av den rätt, "
            "eller börja en ny idéskiss med ”jag har en idé”.")
NOT_A_NEW_SESSION = "En kod öppnas i ett nytt samtal. Välj ”Fortsätt med en kod” igen."
TOO_MANY = "För många försök med koder från den här anslutningen. Vänta en stund och försök igen."
WELCOME_FALLBACK = "Välkommen tillbaka – vi var på {where}. Alla dina tidigare svar finns kvar."


def code_message(code: str, days: int) -> Dict[str, Any]:
    return {"text": CODE_TEXT.format(code=code, days=days), "resume_code": code}


def _codes(channel: Any, request: Request) -> resume_codes.CodeStore:
    """The channel's code store: the tracker store's database, or memory without one."""
    store = getattr(channel, "_resume_codes", None)
    if store is None:
        store = resume_codes.CodeStore(store_engine(request.app.ctx.agent.tracker_store))
        channel._resume_codes = store
    return store


def _last_turn_responses(events: List[Any]) -> List[str]:
    """The response names (utter_…) the bot sent after the latest user message."""
    start = max((i for i, e in enumerate(events) if isinstance(e, UserUttered)), default=-1)
    return [str((e.metadata or {}).get("utter_action") or "") for e in events[start + 1:] if isinstance(e, BotUttered)]


def _may_be_goodbye(request: Request, replies: List[Dict[str, Any]]) -> bool:
    """Whether a reply is the domain's utter_sketch_saved text (then the tracker decides)."""
    try:
        variants = request.app.ctx.agent.domain.responses.get("utter_sketch_saved") or []
        saved = {" ".join(str(v.get("text") or "").split()) for v in variants}
    except AttributeError:
        return True
    return any(" ".join(str(m.get("text") or "").split()) in saved for m in replies)


async def issue(channel: Any, request: Request, sender: str) -> Optional[Dict[str, Any]]:
    """A code message for this conversation, or None when it holds no unfinished sketch."""
    tracker = await channel._tracker(request, sender)
    if tracker is None or not resume_codes.resumable(tracker.current_slot_values()):
        return None
    days = resume_codes.days_from_env()
    code = await asyncio.to_thread(_codes(channel, request).issue, sender, days)
    return code_message(code, days)


async def after_turn(channel: Any, request: Request, sender: str, replies: List[Dict[str, Any]]
                     ) -> List[Dict[str, Any]]:
    """A goodbye in the middle of the sketch ("hej då", "jag fortsätter i morgon") gets a code."""
    if not _may_be_goodbye(request, replies):
        return replies  # the usual turn: no extra read of the tracker store
    try:
        tracker = await channel._tracker(request, sender)
        if tracker is None or "utter_sketch_saved" not in _last_turn_responses(list(tracker.events)):
            return replies
        message = await issue(channel, request, sender)
    except Exception:  # the code is a help; the reply itself must go out
        logger.exception("Fortsättningskod: could not issue one after a goodbye")
        return replies
    return replies + [message] if message else replies


async def forget(channel: Any, request: Request, sender: str) -> None:
    """"Avsluta och glöm": the conversation's codes go with it."""
    await asyncio.to_thread(_codes(channel, request).forget, [sender])


async def move_conversation(store: Any, old: str, new: str, domain: Any) -> None:
    """Every stored event of `old` (all sessions) now belongs to `new`; `old` keeps only an
    "ended" mark, so a tab that still holds the old key cannot go on with it."""
    engine = store_engine(store)
    if engine is not None:
        def rekey() -> None:
            with engine.begin() as connection:
                connection.execute(erasure.EVENTS.update().where(erasure.EVENTS.c.sender_id == old)
                                   .values(sender_id=new))
        await asyncio.to_thread(rekey)
    else:
        from channels.web_history import erase_conversation

        full = await store.retrieve_full_tracker(old)
        moved = DialogueStateTracker.from_dict(new, [e.as_dict() for e in full.events], domain.slots)
        await store.save(moved)
        await erase_conversation(store, old)
    tracker = await store.get_or_create_tracker(old, append_action_listen=False)
    tracker.update(Restarted(metadata=dict(ENDED_MARK)))
    await store.save(tracker)


def welcome_text(domain: Any, slots: Dict[str, Any]) -> str:
    """"Välkommen tillbaka – vi var på fråga N", worded as the domain's utter_welcome_back."""
    try:
        template = domain.responses["utter_welcome_back"][0]["text"]
    except (AttributeError, KeyError, IndexError, TypeError):
        template = WELCOME_FALLBACK
    return template.replace("{where}", resume_point(slots))


def add_routes(web: Any, channel: Any, on_new_message: Any, error: Any) -> None:
    """POST resume-code and POST resume on the web channel's blueprint."""
    from channels.web import _json_body, session_of

    @web.route("/resume-code", methods=["POST", "OPTIONS"])
    async def resume_code(request: Request) -> Any:
        sender, refused = await channel._usable_session(request)
        if refused:
            return refused
        message = await issue(channel, request, sender)
        if message is None:
            return error(NOTHING_TO_SAVE, 409)
        return response.json({"messages": [message]})

    @web.route("/resume", methods=["POST", "OPTIONS"])
    async def resume(request: Request) -> Any:
        for name, key in (("resume", None), ("resume_all", "*")):
            allowed, retry_after = await channel.address_limits.hit(name, key or request_address(request))
            if not allowed:
                return error(TOO_MANY, 429, {"Retry-After": str(retry_after)})
        sender = session_of(request)
        if sender is None:
            return error(NOT_A_NEW_SESSION, 400)
        agent = request.app.ctx.agent
        store = agent.tracker_store
        existing = await store.retrieve(sender)
        if existing is not None and existing.events:
            return error(NOT_A_NEW_SESSION, 409)
        body = _json_body(request)
        code = body.get("code") if isinstance(body, dict) else None
        old = await asyncio.to_thread(_codes(channel, request).redeem, code)
        if old is None or old == sender:
            return error(BAD_CODE, 404)
        async with agent.lock_store.lock(old):
            async with agent.lock_store.lock(sender):
                stored = await store.retrieve_full_tracker(old)
                if stored is None or was_ended(stored.events) or \
                        stored.get_latest_input_channel() not in (None, channel.name()):
                    return error(BAD_CODE, 404)
                await move_conversation(store, old, sender, agent.domain)
        full = await store.retrieve_full_tracker(sender)
        earlier = signed_links(history_from_events(full.events, full.get_slot("draft_reference")), channel.links)
        messages = await collect_replies(on_new_message, sender, RESUME_PAYLOAD, channel.name(), WebOutputChannel())
        if messages is None:
            return response.json({"history": earlier, "messages": [{"text": failure_text()}]})
        replies = signed_links(web_messages(messages), channel.links)
        tracker = await store.retrieve(sender)
        welcome = welcome_text(agent.domain, tracker.current_slot_values()) if tracker is not None else ""
        if welcome and not any(m.get("text") == welcome for m in replies):
            # After Rasa's session expiry (a day away) action_session_start says it; within
            # the session (a few hours away) the bot only says "vi fortsätter", so it comes from here.
            replies.insert(0, {"text": welcome})
        return response.json({"history": earlier, "messages": replies})
