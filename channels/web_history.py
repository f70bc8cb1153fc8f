"""What the web channel sends and shows: the bot's messages as the widget needs them, the
history read back from the tracker store, signed draft links, and "Avsluta och glöm"."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text
from urllib.parse import quote

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import BotUttered, Restarted, UserUttered

from channels.security import DraftLinks
from finsam.draft import is_reference

logger = logging.getLogger(__name__)

# Metadata of the Restarted event that "Avsluta och glöm" stores: the key is never served again.
ENDED_MARK = {"finsam_web": "session_ended"}
# Messages the channel itself sends to Rasa, shown in the history as what the user did.
CHANNEL_PAYLOADS = {"/sketch_resume": "Fortsätt med en kod"}




def draft_path(reference: str, filename: str = "draft.docx") -> str:
    """Path of a draft below the channel's URL prefix (signed_links adds the signature)."""
    return f"drafts/{quote(reference)}/{filename}"


class WebOutputChannel(CollectingOutputChannel):
    """Collects the bot's messages one per response, as the tracker stores them.

    Rasa's collector splits a text at blank lines; the widget shows line breaks itself, so a
    reply looks the same when it arrives and when the history is shown after a reload.
    """

    @classmethod
    def name(cls) -> Text:
        # Rasa picks a response's `channel: web` variant by the output channel's name.
        return "web"

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
            title = next((b["title"] for b in last_buttons if b["payload"] == text), None) or CHANNEL_PAYLOADS.get(text)
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



def was_ended(events: Any) -> bool:
    return any(isinstance(e, Restarted) and (e.metadata or {}).get("finsam_web") == ENDED_MARK["finsam_web"]
               for e in events)


async def erase_conversation(store: Any, session: str) -> bool:
    """Deletes the conversation's stored events and staging files with the privacy helper's
    finsam.erasure.erase_sender (SQL stores), or drops it from an in-memory store."""
    from rasa.core.tracker_store import InMemoryTrackerStore

    from finsam.erasure import erase_sender

    inner = getattr(store, "_tracker_store", store)  # Rasa wraps the configured store
    engine = getattr(inner, "engine", None)
    if engine is not None:
        await asyncio.to_thread(erase_sender, session, engine)
        return True
    if isinstance(inner, InMemoryTrackerStore):
        inner.store.pop(session, None)
        return True
    logger.warning("Avsluta och glöm: %s cannot erase; the key is refused but the events stay until "
                   "`make purge`", type(inner).__name__)
    return False


def signed_links(items: List[Dict[str, Any]], links: DraftLinks) -> List[Dict[str, Any]]:
    """The widget's messages with each draft path turned into a short-lived signed link."""
    for item in items:
        for key, filename in (("draft_url", "draft.docx"), ("draft_md_url", "draft.md")):
            if item.get(key):
                reference = item[key].split("/")[1]
                item[key] = f"{item[key]}?{links.query(reference, filename)}"
    return items
