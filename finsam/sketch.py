"""What one user turn means while the idea-sketch form is asking a question.

Pure module (no rasa_sdk): the form's validation action is a thin wrapper around
`interpret_turn`. The result names responses from the domain, so the wording can
change in bot/domain.yml without touching this logic.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from finsam.redaction import contains_redaction, redact_personnummer

QUESTION_SLOTS = ["title", "background", "solution", "target_group", "coordination",
                  "measurement", "governance", "anchoring"]
DETAIL_SLOTS = ["parties", "contact_name", "organisation", "role", "email"]
SKETCH_SLOTS = QUESTION_SLOTS + DETAIL_SLOTS
# Short answers are normal for these; they are not held to the minimum word count.
SHORT_ANSWER_SLOTS = {"title", "contact_name", "organisation", "role", "email"}
MAX_SHORT_ANSWER_CHARS = 200

# A skipped question holds this marker, so the form can move on and the summary and
# draft can show the question as open.
OPEN = "__open__"

# Words that name a field, for "ändra bakgrunden" when NLU found no entity.
FIELD_WORDS: Dict[str, Tuple[str, ...]] = {
    "title": ("arbetstitel", "titel", "titeln", "rubrik"),
    "background": ("bakgrund",),
    "solution": ("lösning", "idén", "ideen", "idé om"),
    "target_group": ("målgrupp", "malgrupp", "aktiviteter"),
    "coordination": ("samordnade behovet", "samverkan mellan personal", "samverkan", "samordn"),
    "measurement": ("mäts", "mätning", "mata", "mät", "utvärdering", "forändring", "förändring"),
    "governance": ("styrning", "budget", "projektperiod"),
    "anchoring": ("förankr", "forankr"),
    "parties": ("parter", "parterna", "huvudman"),
    "contact_name": ("mitt namn", "namnet", "namn"),
    "organisation": ("organisation",),
    "role": ("roll",),
    "email": ("e-post", "epost", "mejl", "mail"),
}

_SKIP = re.compile(
    r"^\s*(jag\s+)?(vet\s+(inte|ej)|hoppa(\s+(över|over))?|skippa|pass|ingen\s+aning|"
    r"återkommer|aterkommer|det\s+får\s+vi\s+återkomma|inte\s+klart|osäker|vet\s+inte\s+än)\b",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^\s*(vem|vilka|vilken|vilket|vad|hur|när|nar|var|vart|varför|varfor|kan|får|far|måste|"
    r"maste|ska|skall|finns|gäller|galler|behöver|behover|är|ar|gör|gor)\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[a-zA-Z]{2,}$")
_NAME_PREFIX = re.compile(r"^\s*(jag\s+heter|mitt\s+namn\s+är|namn\s*:)\s*", re.IGNORECASE)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Intents that interrupt the form rather than answer it (when phrased as a question).
DIGRESSION_INTENTS_EXTRA = {"ask_privacy", "ask_capabilities", "bot_challenge"}


@dataclass
class Turn:
    """The outcome of one user turn in the form.

    kind: "answer" (slot value set), "retry" (slot cleared, asked again),
    "skip" (slot marked open) or "interrupt" (nothing set: the dialogue rules
    handle the message and the form resumes afterwards).
    """

    kind: str
    slots: Dict[str, Optional[str]] = field(default_factory=dict)
    responses: List[Tuple[str, dict]] = field(default_factory=list)


def is_open(value: Optional[str]) -> bool:
    return value == OPEN


def looks_like_question(text: str) -> bool:
    return "?" in text or bool(_QUESTION_START.match(text))


def field_from_text(text: str) -> Optional[str]:
    lowered = (text or "").lower()
    for slot, words in FIELD_WORDS.items():
        if any(word in lowered for word in words):
            return slot
    return None


def field_from_message(text: str, entities: Iterable[Mapping]) -> Optional[str]:
    for entity in entities or []:
        if entity.get("entity") == "sketch_field" and entity.get("value") in SKETCH_SLOTS:
            return entity["value"]
    return field_from_text(text)


def clean_text(text: str) -> str:
    return _CONTROL_CHARS.sub("", text or "").strip()


def interpret_turn(
    slot: str,
    text: str,
    intent: Optional[str],
    confidence: float,
    entities: Iterable[Mapping] = (),
    digression_intents: Iterable[str] = (),
    confirming_cancel: bool = False,
    limits: Optional[Mapping[str, int]] = None,
) -> Turn:
    text = clean_text(text)
    words = text.split()
    if confirming_cancel:
        return Turn("interrupt")
    if intent == "stop" and confidence >= 0.5 and len(words) <= 6:
        return Turn("interrupt")
    if intent == "edit_answer" and len(words) <= 8 and field_from_message(text, entities):
        return Turn("interrupt")
    if _SKIP.match(text) and len(words) <= 8:
        return Turn("skip", {slot: OPEN}, [("utter_question_skipped", {})])
    interrupting = set(digression_intents) | DIGRESSION_INTENTS_EXTRA
    if intent in interrupting and confidence >= 0.6 and looks_like_question(text):
        return Turn("interrupt")
    return validate_answer(slot, text, entities, limits or {})


def validate_answer(slot: str, text: str, entities: Iterable[Mapping], limits: Mapping[str, int]) -> Turn:
    responses: List[Tuple[str, dict]] = []
    text, redacted = redact_personnummer(clean_text(text))
    # The channel may already have removed it before Rasa stored the message.
    if redacted or contains_redaction(text):
        responses.append(("utter_personnummer_removed", {}))

    if slot == "email":
        candidate = text.strip().strip(".,;").lower()
        if not _EMAIL.match(candidate):
            return Turn("retry", {slot: None}, responses + [("utter_invalid_email", {})])
        return Turn("answer", {slot: candidate}, responses)

    if slot == "contact_name":
        people = [e.get("value") for e in entities or [] if e.get("entity") == "PER" and e.get("value")]
        text = people[0] if len(people) == 1 and len(str(people[0]).split()) >= 2 else _NAME_PREFIX.sub("", text)

    if slot in SHORT_ANSWER_SLOTS:
        if len(text) < 2:
            return Turn("retry", {slot: None}, responses + [(f"utter_help_{slot}", {})])
        if len(text) > MAX_SHORT_ANSWER_CHARS:
            text = text[:MAX_SHORT_ANSWER_CHARS].rstrip()
            responses.append(("utter_answer_shortened", {"max_chars": MAX_SHORT_ANSWER_CHARS}))
        return Turn("answer", {slot: text}, responses)

    if len(text.split()) < int(limits.get("min_words", 3)):
        return Turn("retry", {slot: None}, responses + [(f"utter_help_{slot}", {})])
    max_chars = int(limits.get("max_answer_chars", 5000))
    if len(text) > max_chars:
        text = text[:max_chars].rstrip()
        responses.append(("utter_answer_shortened", {"max_chars": max_chars}))
    return Turn("answer", {slot: text}, responses)


def answers_from_slots(slots: Mapping[str, Optional[str]]) -> Dict[str, Optional[str]]:
    return {slot: slots.get(slot) for slot in SKETCH_SLOTS}
