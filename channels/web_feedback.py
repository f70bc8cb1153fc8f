"""👍/👎 in the web widget: POST /webhooks/web/feedback {"answer": text, "rating": "up"|"down"} with the
session header, and the `feedback` flag on the answers of a turn (so the widget offers the buttons
only there). The answer must be one this conversation got from an answering action."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from sanic import response
from sanic.request import Request

from finsam import feedback

NO_ANSWER = "Det svaret finns inte i det här samtalet."
BAD_RATING = "Återkopplingen ska vara 👍 eller 👎."
NOT_STORED = "Återkopplingen kunde inte sparas just nu."
THANKS = "Tack för återkopplingen!"


def _events(tracker) -> List[Dict[str, Any]]:
    return [event.as_dict() for event in tracker.events] if tracker is not None else []


def store_engine(store):
    """The SQL tracker store's engine under Rasa's wrappers (Awaitable…, FailSafeTrackerStore), or None."""
    for _ in range(5):
        engine = getattr(store, "engine", None)
        if engine is not None:
            return engine
        store = getattr(store, "_tracker_store", None)
        if store is None:
            return None
    return None


async def mark(channel, request: Request, sender: str, messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Flag the messages of this turn that answer a question (feedback: true)."""
    try:
        tracker = await channel._tracker(request, sender)
        answers = {" ".join(answer.split()) for _, answer in feedback.answer_turns(_events(tracker))}
    except Exception:  # the flag is a nicety; the reply must go out anyway
        return messages
    for message in messages:
        if message.get("text") and " ".join(str(message["text"]).split()) in answers:
            message["feedback"] = True
    return messages


async def handle(channel, request: Request, sender: str, body: Any, error) -> Any:
    if not isinstance(body, dict) or body.get("rating") not in feedback.RATINGS:
        return error(BAD_RATING, 400)
    tracker = await channel._tracker(request, sender)
    found = feedback.find_answer(_events(tracker), str(body.get("answer") or ""))
    if found is None:
        return error(NO_ANSWER, 404)
    engine = store_engine(request.app.ctx.agent.tracker_store)
    if engine is None:  # an in-memory store keeps nothing, so neither does this
        return error(NOT_STORED, 503)
    try:
        await asyncio.to_thread(feedback.record, engine, channel.name(), body["rating"], *found)
    except Exception:
        return error(NOT_STORED, 503)
    return response.json({"ok": True, "text": THANKS})
