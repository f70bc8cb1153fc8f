"""Rasa's replies as Teams activities: escaped text, split at paragraphs, buttons as cards."""
from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel

MAX_REPLY_CHARS = 3500  # well below Teams' 40 KB message limit, and readable on a phone
MAX_CARD_BUTTONS = 6  # hero cards in Teams show at most six buttons
HERO_CARD = "application/vnd.microsoft.card.hero"
FALLBACK_WELCOME = (
    "Hej! Jag är Samordningsförbundet i Blekinges digitala assistent (en bot, ingen människa). "
    "Jag svarar på frågor om att söka samverkansmedel och hjälper dig att skriva en idéskiss "
    "till förbundets kansli. Skriv din fråga, eller \"jag har en idé\" för att börja."
)


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


_MD_INLINE = re.compile(r"([\\`*_~\[\]|])")
_MD_LINE_START = re.compile(r"^([ \t]*)(?:([#+-])|(\d+)([.)]))(?=\s|$)", flags=re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Text that Teams' Markdown shows as typed: no bold, links, code, headings or lists."""
    text = _MD_INLINE.sub(r"\\\1", text or "")

    def line_start(match: re.Match) -> str:
        if match.group(2):
            return f"{match.group(1)}\\{match.group(2)}"
        return f"{match.group(1)}{match.group(3)}\\{match.group(4)}"

    return _MD_LINE_START.sub(line_start, text)


def teams_markup(text: str) -> str:
    """Rasa's plain text as Teams shows it: text (the bot's, and the user's echoed in it) cannot
    inject Markdown, HTML or mentions, and a lone line break (which Teams would swallow) becomes <br>.
    The bot's own texts use no Markdown, so everything is escaped."""
    paragraphs = re.split(r"\n\s*\n", (text or "").strip())
    return "\n\n".join(html.escape(escape_markdown(p), quote=False).replace("\n", "<br>") for p in paragraphs)


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


FEEDBACK_KEY = "finsam_feedback"
FEEDBACK_TITLES = {"up": "👍 Bra svar", "down": "👎 Dåligt svar"}


def feedback_actions(answer_id: str) -> list[dict]:
    """👍/👎 under an answer: messageBack with a value the channel handles itself (never Rasa)."""
    return [{"type": "messageBack", "title": title, "text": title, "displayText": title,
             "value": {FEEDBACK_KEY: rating, "answer_id": answer_id}}
            for rating, title in FEEDBACK_TITLES.items()]


def hero_cards(text: str, buttons: Iterable[Mapping[str, Any]], extra: Iterable[dict] = ()) -> list[dict]:
    """Text and buttons as hero cards; more than six buttons continue on further cards."""
    actions = [a for a in (card_action(b) for b in buttons) if a] + list(extra)
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
    rating = feedback_actions(str(message["feedback"])) if message.get("feedback") else []
    if buttons:
        # The buttons go with the last piece of text, right where the user reads on.
        last = chunks.pop() if chunks else ""
        parts = [{"text": teams_markup(chunk)} for chunk in chunks]
        parts.append({"attachmentLayout": "list", "attachments": hero_cards(teams_markup(last), buttons, rating)})
    else:
        parts = [{"text": teams_markup(chunk)} for chunk in chunks]
        if rating and parts:  # the answer stays the activity's text; 👍/👎 as a card under it
            parts[-1]["attachments"] = hero_cards("", [], rating)
    if message.get("image"):
        parts.append({"attachments": [{"contentType": HERO_CARD,
                                       "content": {"images": [{"url": str(message["image"])}]}}]})
    if message.get("attachment"):
        parts.extend({"text": teams_markup(chunk)} for chunk in split_text(str(message["attachment"]), limit))
    # `custom` payloads (e.g. the draft reference for REST clients) have no Teams form: dropped.
    return parts


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
