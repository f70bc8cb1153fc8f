"""Rasa's REST channel with the checks our users need before anything is stored.

Same URL as Rasa's own (`/webhooks/rest/webhook`, same JSON in and out), plus:
- personnummer are removed from the text before Rasa sees or stores it;
- empty, oversized and malformed requests get a clear Swedish answer instead of an error;
- the client cannot inject metadata or pick another input channel;
- a token (REST_CHANNEL_TOKEN) is required whenever Rasa listens beyond loopback
  (channels/security.py): a reverse proxy must never forward /webhooks/rest/.
"""
from __future__ import annotations

import logging
import re
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.failures import watching_turn
from channels.security import limit_request_size, rest_token_refusal
from finsam.knowledge import get_knowledge
from finsam.redaction import redact_personnummer
from finsam.sketch import clean_text

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 10_000
_SENDER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
FAILURE_TEXT = "Något gick fel hos mig. Försök igen om en stund. "


def _bot_reply(sender: str, text: str) -> HTTPResponse:
    return response.json([{"recipient_id": sender, "text": text}])


def prepare_text(value: Any) -> Tuple[str, Optional[str]]:
    """The checks every channel makes before Rasa sees a message.

    Returns (text for Rasa with personnummer removed, None), or ("", a Swedish reply)
    when the text is empty or too long. Raises TypeError when value is not text.
    """
    if value is not None and not isinstance(value, str):
        raise TypeError("message must be a string")
    text = clean_text(value or "")
    if not text:
        return "", get_knowledge().message("empty_message")
    if len(text) > MAX_MESSAGE_CHARS:
        # The one limit people should meet is the answer limit (knowledge/idea_sketch.yml);
        # never suggest splitting an answer over several messages.
        limit = get_knowledge().idea_sketch.get("limits", {}).get("max_answer_chars", 5000)
        return "", (f"Meddelandet är för långt ({len(text)} tecken). Ett svar får vara högst {limit} tecken – "
                    "korta ner det och skicka det igen.")
    return redact_personnummer(text)[0], None


async def collect_replies(on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str, text: str,
                          input_channel: str, collector: Optional[CollectingOutputChannel] = None
                          ) -> Optional[List[Dict[str, Any]]]:
    """Hands the message to Rasa (never with client metadata) and returns the bot's messages.

    None when handling failed, also when Rasa swallowed the failure of an action or of the
    tracker store (channels/failures.py), and when the turn was cancelled (a time-out): the
    replies collected so far may say the form started while nothing of the turn was stored.
    """
    collector = collector or CollectingOutputChannel()
    with watching_turn() as failures:
        try:
            await on_new_message(UserMessage(text, collector, sender, input_channel=input_channel, metadata=None))
        except CancelledError:
            logger.error("Message handling timed out for a conversation; the user gets the apology")
            return None
        except Exception:
            logger.exception("Message handling failed")
            return None
    if failures:
        logger.error("A turn failed inside Rasa (%s); the user gets the apology", ", ".join(sorted(set(failures))))
        return None
    return collector.messages


def failure_text() -> str:
    return FAILURE_TEXT + get_knowledge().message("kansli")


class RedactingRestInput(RestInput):
    """REST channel that redacts personnummer and rejects bad input politely."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        limit_request_size(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refusal = rest_token_refusal(request)
            if refusal is not None:
                return refusal
            try:
                body = request.json
            except Exception:
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "Skicka JSON: {\"sender\": \"…\", \"message\": \"…\"}."}, status=400)
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not _SENDER.match(sender):
                return response.json({"error": "Fältet sender saknas eller har otillåtna tecken."}, status=400)
            try:
                text, reply = prepare_text(text)
            except TypeError:
                return response.json({"error": "Fältet message ska vara text."}, status=400)
            if reply:
                return _bot_reply(sender, reply)
            return await self._handle(on_new_message, sender, text)

        return webhook

    async def _handle(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str,
                      text: str) -> HTTPResponse:
        messages = await collect_replies(on_new_message, sender, text, self.name())
        if messages is None:
            return _bot_reply(sender, failure_text())
        return response.json(messages)
