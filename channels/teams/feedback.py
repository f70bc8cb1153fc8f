"""👍/👎 in Teams: the answers of a turn get two messageBack buttons carrying
{"finsam_feedback": "up"|"down", "answer_id": …}; a click comes back as a message with that value,
which is recorded here (finsam/feedback.py, no sender, question masked) and never reaches Rasa.
Only an answer this conversation got from an answering action can be rated (as in the widget)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from channels.teams.formatting import FEEDBACK_KEY
from channels.web_feedback import BAD_RATING, NO_ANSWER, NOT_STORED, THANKS, store_engine
from finsam import feedback

logger = logging.getLogger(__name__)


def rating_of(activity: Mapping[str, Any]) -> dict | None:
    """The value of a 👍/👎 click, or None for any other message."""
    value = activity.get("value")
    return value if isinstance(value, dict) and FEEDBACK_KEY in value else None


async def _events(agent: Any, sender_id: str) -> list[dict]:
    tracker = await agent.tracker_store.retrieve(sender_id)
    return [event.as_dict() for event in tracker.events] if tracker is not None else []


async def mark(agent: Any, sender_id: str, messages: list[dict]) -> list[dict]:
    """Give the messages of this turn that answer a question their answer id (`feedback`)."""
    if agent is None:
        return messages
    try:
        answers = {" ".join(answer.split()) for _, answer in feedback.answer_turns(await _events(agent, sender_id))}
    except Exception:  # the buttons are a nicety; the answer must go out anyway
        logger.exception("Could not read a Teams conversation to offer 👍/👎")
        return messages
    for message in messages:
        text = " ".join(str(message.get("text") or "").split())
        if text and text in answers:
            message["feedback"] = feedback.answer_id(text)
    return messages


async def rate(agent: Any, sender_id: str, value: Mapping[str, Any], channel: str) -> str:
    """Record one click; the Swedish reply to post."""
    if value.get(FEEDBACK_KEY) not in feedback.RATINGS or not isinstance(value.get("answer_id"), str):
        return BAD_RATING
    if agent is None:
        return NOT_STORED
    try:
        found = feedback.find_answer_by_id(await _events(agent, sender_id), value["answer_id"])
    except Exception:
        logger.exception("Could not read a Teams conversation to record 👍/👎")
        return NOT_STORED
    if found is None:
        return NO_ANSWER
    engine = store_engine(agent.tracker_store)
    if engine is None:  # an in-memory store keeps nothing, so neither does this
        return NOT_STORED
    try:
        await asyncio.to_thread(feedback.record, engine, channel, value[FEEDBACK_KEY], *found)
    except Exception:
        logger.exception("Could not store Teams 👍/👎")
        return NOT_STORED
    return THANKS
