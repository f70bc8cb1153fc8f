"""Reading incoming Teams activities: who, which conversation, what text, retries."""
from __future__ import annotations

import hashlib
import html
import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from finsam.sketch import clean_text

MAX_BODY_BYTES = 256 * 1024
RECENT_ACTIVITIES = 2048
WELCOME_WINDOW_SECONDS = 600


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
    # surrogatepass: JSON may carry a lone surrogate ("\ud800") in any id (tests/test_fuzz.py).
    return "teams-" + hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


_AT_TAG = re.compile(r"<at(?:\s[^>]*)?>.*?</at>", flags=re.IGNORECASE | re.DOTALL)


def strip_mentions(text: str, entities: Iterable[Any] | None = None) -> str:
    """The message without @mentions (of the bot or anyone else), whitespace tidied."""
    for entity in entities if isinstance(entities, (list, tuple)) else ():
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
    members = activity.get("membersAdded")
    return any(isinstance(_get(member, "id"), str) and _get(member, "id") in bot_ids
               for member in (members if isinstance(members, list) else []))


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


def is_personal(activity: Mapping[str, Any]) -> bool:
    """A one-to-one chat with the bot (not a team channel, not a group chat)."""
    return _get(activity, "conversation", "conversationType") == "personal"


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
