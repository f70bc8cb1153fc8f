"""What one user turn means while the idea-sketch form is asking a question.

Pure module (no rasa_sdk): the form's validation action is a thin wrapper around
`interpret_turn`. The result names responses from the domain, so the wording can
change in bot/domain.yml without touching this logic.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from finsam.message_kind import is_direct_question, is_statement
from finsam.redaction import contains_redaction, redact_personnummer
from finsam.steering import content_nouns

QUESTION_SLOTS = ["title", "background", "solution", "target_group", "coordination",
                  "measurement", "governance", "anchoring"]
DETAIL_SLOTS = ["parties", "contact_name", "organisation", "role", "email"]
SKETCH_SLOTS = QUESTION_SLOTS + DETAIL_SLOTS
# Answers to these are often a phrase without a verb ("Sjukskrivna 30-55 år", a title): one that asks
# nothing is the answer, whatever question the model reads into it.
NOUN_PHRASE_SLOTS = {"title", "target_group", "parties", "organisation", "role"}
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

# A message skips the question only when it is, as a whole, one of these (after
# trimming punctuation and case), or the skip button's payload: "Pass till arbete" or
# "vet inte om FK vill vara med" are answers.
SKIP_PAYLOAD = "/skip_question"
SKIP_PHRASES = frozenset({
    "vet inte", "vet ej", "vet ej än", "vet ej ännu", "vet inte än", "vet inte ännu", "vet inte riktigt",
    "vet inte riktigt än", "vet inte riktigt ännu", "jag vet inte", "jag vet inte än", "jag vet inte ännu",
    "vet faktiskt inte", "det vet jag inte", "det vet jag inte än", "vi vet inte", "vi vet inte än",
    "vet inte ännu hoppa över den", "vet inte hoppa över", "hoppa över", "hoppa över den", "hoppa över tack",
    "hoppa över den frågan", "hoppa över frågan", "hoppa", "hoppa over", "hoppa over den", "kan vi hoppa den",
    "skippa", "skippa den", "skippa den här frågan", "skippa frågan", "skip", "pass", "passar", "ingen aning",
    "ingen aning än", "ingen aning än så länge", "inget svar", "inget svar än", "har inget svar",
    "har inget svar än", "har inget svar på det", "nästa fråga", "nästa", "ta nästa", "ta nästa fråga",
    "återkommer", "återkommer om det", "återkommer om det senare", "det får vi återkomma till",
    "det får jag återkomma om", "vi återkommer med det", "kan vi ta den senare", "den tar vi senare",
    "vi får ta den sen", "det får bli senare", "kommer tillbaka till det", "lämna den tom", "oklart",
    "inte klart", "ej klart", "inte bestämt", "det är inte bestämt än", "osäker", "osäker hoppa över",
    "vete tusan", "det återstår att se", "har inte bestämt det än", "vi har inte kommit så långt",
    "det har vi inte tänkt på än", "vet inte än så länge",
})
_EMAIL = re.compile(r"[^@\s<>\"'(),;:]+@[^@\s<>\"'(),;:]+\.[a-zA-Z]{2,}")
_NAME_PREFIX = re.compile(r"^\s*(jag\s+heter|mitt\s+namn\s+är|namn\s*:)\s*", re.IGNORECASE)
# Everything XML 1.0 (and so Word) cannot hold: control characters except tab and line
# breaks, C1 controls, lone surrogates, U+FFFE/U+FFFF and the other non-characters.
_NOT_IN_WORD = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
    "|[\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0010fffe\U0010ffff]")
_TRIM = re.compile(r"[\s.,;:!?…()\"'«»–—-]+")

# Intents the idea maker uses to steer the form rather than answer it. Below these
# confidences the message is taken as an answer.
CONTROL_CONFIDENCE = 0.7
# "Which answer do you want to change?" (edit_answer naming no field) also counts from this on, when the
# example ranking (rasa_addons.example_ranker) is at least EXAMPLES_AGREE sure of it: DIET alone moves around
# 0.7 between retrainings ("jag vill ändra ett tidigare svar" 0.69). Only there: a mistaken "which answer?"
# costs the answer typed again, where the examples' keywords would let a title like "Stoppa utanförskapet"
# (stop) or "Ta ett steg tillbaka" (back) end or unwind the sketch.
AGREED_CONTROL_CONFIDENCE = 0.5
EXAMPLES_AGREE = 0.9
# Where DIET is unsure, the example ranking alone decides a steering message from this on (see _read_turn).
EXAMPLES_SURE = 0.95
FAQ_CONFIDENCE = 0.85
# A FAQ intent that is only the likeliest (above the NLU fallback threshold) still counts
# as a question when the model gives next to nothing to "this is an answer" (inform_sketch).
FAQ_LIKELY_CONFIDENCE = 0.5
NOT_AN_ANSWER = 0.02
SMALL_TALK = {"thank": "utter_form_you_are_welcome", "greet": "utter_form_ack", "affirm": "utter_form_ack",
              "deny": "utter_form_ack"}
RESUME_INTENTS = {"start_sketch", "sketch_resume"}
# Intents that interrupt the form; the dialogue rules answer them and resume the form.
DIGRESSION_INTENTS_EXTRA = {"ask_privacy", "ask_capabilities", "bot_challenge"}
INTERRUPT_INTENTS = {"stop", "sketch_restart", "erase_my_data"}  # erase_my_data: actions/privacy.py
# An idea described before the sketch began (the sketch offer, finsam.answering) is kept in this slot and
# offered as the answer on the question about the solution.
OFFERED_SLOT = "offered_idea"
OFFERED_FOR = "solution"
# Steering that drops the typed text without asking (the question is asked again, or the one before):
# read as an answer when it names something (finsam.steering, names_something). Stop, restart and erase
# ask first; "I have an idea" (start_sketch) is said in words of the field ("förslag") too often; "hej då,
# jag har ett möte nu" is a goodbye whatever it names.
MOVING_INTENTS = {"edit_answer", "sketch_back", "sketch_resume"}  # they may name the question to move to
CHAT_INTENTS = set(SMALL_TALK)
DROPPING_INTENTS = MOVING_INTENTS | {"goodbye"} | CHAT_INTENTS
GRATITUDE = re.compile(r"\W*(tack|tusen tack|stort tack|tackar)\s+(för|så)\b", re.IGNORECASE)
# Where the example ranking alone may read a message as steering: the eight questions but the title.
BY_EXAMPLES_SLOTS = set(QUESTION_SLOTS) - {"title"}


@dataclass
class Turn:
    """The outcome of one user turn in the form.

    kind: "answer" (slot value set), "retry" (slot cleared, asked again with help),
    "skip" (slot marked open), "stay" (nothing stored, a short reply and the same
    question again), "back" (the previous question is asked again), "ignore" (a repeated
    message, nothing stored) or "interrupt" (nothing set: the dialogue rules handle the
    message and the form resumes afterwards).
    """

    kind: str
    slots: Dict[str, Optional[str]] = field(default_factory=dict)
    responses: List[Tuple[str, dict]] = field(default_factory=list)


def is_open(value: Optional[str]) -> bool:
    return value == OPEN


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
    """The text without characters Word cannot hold, trimmed."""
    return _NOT_IN_WORD.sub("", text or "").strip()


def is_skip(text: str) -> bool:
    if text.strip().startswith(SKIP_PAYLOAD):
        return True
    return " ".join(_TRIM.sub(" ", text.lower()).split()) in SKIP_PHRASES


def is_repeat(user_messages: Sequence[Tuple[str, float]], window_seconds: float) -> bool:
    """True when the latest (text, timestamp) repeats the one before within the window.

    A retry after a time-out or a double tap sends the same text again at once; it must
    not become the answer to the next question.
    """
    if len(user_messages) < 2:
        return False
    (previous, previous_at), (latest, latest_at) = user_messages[-2], user_messages[-1]
    return clean_text(previous) == clean_text(latest) and 0 <= latest_at - previous_at <= window_seconds


def resume_point(slots: Mapping[str, Optional[str]]) -> str:
    """Where an unfinished sketch stopped, as in "vi var på fråga 5"."""
    for number, slot in enumerate(QUESTION_SLOTS, start=1):
        if slots.get(slot) is None:
            return f"fråga {number}"
    for slot in DETAIL_SLOTS:
        if slots.get(slot) is None:
            return DETAIL_PLACES[slot]
    return "sammanfattningen"


DETAIL_PLACES = {"parties": "frågan om parterna", "contact_name": "dina kontaktuppgifter",
                 "organisation": "dina kontaktuppgifter", "role": "dina kontaktuppgifter",
                 "email": "din e-postadress"}


def sketch_started(slots: Mapping[str, Optional[str]]) -> bool:
    return any(slots.get(slot) is not None for slot in SKETCH_SLOTS)


def unfinished_sketch(slots: Mapping[str, Optional[str]]) -> bool:
    """Something answered, nothing submitted yet."""
    return sketch_started(slots) and not slots.get("draft_reference")


def interpret_turn(
    slot: str,
    text: str,
    intent: Optional[str],
    confidence: float,
    entities: Iterable[Mapping] = (),
    digression_intents: Iterable[str] = (),
    confirming_cancel: bool = False,
    limits: Optional[Mapping[str, int]] = None,
    answers: Optional[Mapping[str, Optional[str]]] = None,
    repeated: bool = False,
    answer_confidence: Optional[float] = None,
    just_welcomed: bool = False,
    example_intent: Optional[str] = None,
    example_confidence: float = 0.0,
) -> Turn:
    """What the user's message means for the requested slot.

    Steering messages (by the intent and its confidence, or the example ranking) are handled and nothing
    is stored, unless they name something (finsam.steering); a question, by the intent or by its form
    (finsam.message_kind), is answered by the rules; everything else is read as the answer.
    """
    text = clean_text(text)
    if repeated:
        return Turn("ignore", {slot: None})
    prefix = Turn("answer")
    if confirming_cancel:
        # "avbryt" was asked about and the reply was neither yes nor no (those go to the
        # rules): the sketch goes on, and this message is read as usual.
        prefix = Turn("answer", {"confirming_cancel": False}, [("utter_cancel_not_confirmed", {})])
    turn = _read_turn(slot, text, intent, confidence, entities, digression_intents, limits or {}, answers or {},
                      answer_confidence, example_intent, example_confidence)
    if just_welcomed and intent in RESUME_INTENTS and turn.kind == "stay":
        # "Välkommen tillbaka – vi var på fråga 5" was just said; no second "vi fortsätter".
        turn = Turn("stay", turn.slots, [])
    if turn.kind == "interrupt":
        return turn
    if slot == OFFERED_FOR and turn.kind in ("answer", "skip") and (answers or {}).get(OFFERED_SLOT):
        turn.slots[OFFERED_SLOT] = None  # offered once, at its question
    return Turn(turn.kind, {**prefix.slots, **turn.slots}, prefix.responses + turn.responses)


def _read_turn(slot: str, text: str, intent: Optional[str], confidence: float, entities: Iterable[Mapping],
               digression_intents: Iterable[str], limits: Mapping[str, int],
               answers: Mapping[str, Optional[str]], answer_confidence: Optional[float] = None,
               example_intent: Optional[str] = None, example_confidence: float = 0.0) -> Turn:
    if is_skip(text):
        if slot == "email":
            return Turn("retry", {slot: None}, [("utter_email_required", {})])
        return Turn("skip", {slot: OPEN}, [("utter_question_skipped", {})])
    steering = _steering_turn(slot, text, intent, confidence, entities, limits, answers, example_intent,
                              example_confidence)
    if steering is not None:
        return steering
    interrupting = set(digression_intents) | DIGRESSION_INTENTS_EXTRA
    if intent in interrupting and (confidence >= FAQ_CONFIDENCE or (
            confidence >= FAQ_LIKELY_CONFIDENCE and answer_confidence is not None
            and answer_confidence < NOT_AN_ANSWER)):
        # "Kommunen är huvudman" reads as the question who may apply, "Deltagarna ska få jobb efter projektet"
        # as the one on participants' goals: a statement that asks nothing is the answer it looks like.
        if intent in DIGRESSION_INTENTS_EXTRA or not is_statement(text, noun_phrase=slot in NOUN_PHRASE_SLOTS):
            return Turn("interrupt")
    if (intent == "nlu_fallback" or intent in interrupting) and is_direct_question(text):
        # "Måste FK vara med i projektet?", "vad räknas som samordnat behov" that DIET is unsure of: a question
        # by its form. The rules answer it (a passage, "Menar du …?" or the honest answer) and ask again.
        return Turn("interrupt")
    return validate_answer(slot, text, entities, limits)


def _steering_turn(slot: str, text: str, intent: Optional[str], confidence: float, entities: Iterable[Mapping],
                   limits: Mapping[str, int], answers: Mapping[str, Optional[str]], example_intent: Optional[str],
                   example_confidence: float) -> Optional[Turn]:
    """The turn when the message steers the form (or answers with steering words); None otherwise."""
    examples_agree = example_intent == intent and example_confidence >= EXAMPLES_AGREE
    sure = confidence >= CONTROL_CONFIDENCE
    if (not sure and slot in BY_EXAMPLES_SLOTS and example_intent in DROPPING_INTENTS
            and example_confidence >= EXAMPLES_SURE
            and not content_nouns(text, fields_steer=example_intent in MOVING_INTENTS)):
        # DIET is unsure of "ok vi kör vidare" or "jag vill göra om svaret om styrningen", the examples are
        # sure and it names nothing else. Not at the title ("Gå vidare" is a name) or the contact details
        # ("Tack! karin@region.se"). The rules act on DIET's intent, so a change request is answered here
        # ("which answer?") and not handed over.
        if example_intent == "edit_answer":
            return Turn("stay", {slot: None}, [("utter_ask_which_field", {})])
        intent, sure = example_intent, True
    if sure and intent in INTERRUPT_INTENTS:
        return Turn("interrupt")
    named = field_from_message(text, entities) if intent == "edit_answer" else None
    if sure and named:
        return Turn("interrupt")
    offered = answers.get(OFFERED_SLOT) if slot == OFFERED_FOR else None
    if sure and offered and intent == "affirm":
        # "Ja, använd det": the idea described before the sketch began (action_ask_solution offers it).
        return Turn("answer", {slot: offered})
    steers = sure or (intent == "edit_answer" and not named and examples_agree
                      and confidence >= AGREED_CONTROL_CONFIDENCE)
    if steers and names_something(slot, text, intent, bool(offered)):
        # "Gå tillbaka till studier", "Hej framtid": steering words, but about something; an answer.
        turn = validate_answer(slot, text, entities, limits)
        if turn.kind == "answer":
            turn.responses.append(("utter_taken_as_answer", {}))
        return turn
    if steers and intent == "edit_answer":
        return Turn("stay", {slot: None}, [("utter_ask_which_field", {})])
    if not sure:
        return None
    if intent == "sketch_back":
        return _go_back(slot, answers)
    if intent in RESUME_INTENTS:
        return Turn("stay", {slot: None}, [("utter_continue_sketch", {})])
    if intent == "goodbye":
        return Turn("stay", {slot: None}, [("utter_sketch_saved", {})])
    if offered and intent == "deny":
        # "Nej" to the idea described before: not offered again.
        return Turn("stay", {slot: None, OFFERED_SLOT: None}, [("utter_form_ack", {})])
    if intent in SMALL_TALK:
        return Turn("stay", {slot: None}, [(SMALL_TALK[intent], {})])
    return None


def names_something(slot: str, text: str, intent: Optional[str], offered: bool,
                    steering: Optional[FrozenSet[str]] = None) -> bool:
    """A steering message that is an answer: it names what steering messages never name.

    steering: a steering vocabulary in place of the NLU data's (scripts/eval_steering.py, leave one out).
    """
    if intent in MOVING_INTENTS:
        return bool(content_nouns(text, fields_steer=True, steering=steering))
    # Chat ("hej", "tack", "ja") names something only in a title ("Hej framtid", "Tack vare samverkan"), or
    # in a reply to the idea offered at the solution ("nej, vi vill hellre ha ett team"). A name is a greeting's
    # ("Hej igen, det är Anna"), "tack för …" thanks for something.
    if intent in CHAT_INTENTS and (slot == "title" or offered and intent == "deny"):
        return not GRATITUDE.match(text) and bool(content_nouns(text, names=False, steering=steering))
    return False


def _go_back(slot: str, answers: Mapping[str, Optional[str]]) -> Turn:
    index = SKETCH_SLOTS.index(slot)
    if index == 0:
        return Turn("stay", {slot: None}, [("utter_first_question", {})])
    previous = SKETCH_SLOTS[index - 1]
    value = answers.get(previous)
    shown = "(öppen fråga)" if value is None or is_open(value) else value
    return Turn("back", {previous: None, slot: None}, [("utter_going_back", {"previous_answer": shown})])


def email_from_text(text: str) -> Optional[str]:
    """The first e-mail address in the text, lower-case, with stray spaces around @ removed."""
    match = _EMAIL.search(re.sub(r"\s*@\s*", "@", text or ""))
    return match.group(0).rstrip(".").lower() if match else None


def validate_answer(slot: str, text: str, entities: Iterable[Mapping], limits: Mapping[str, int]) -> Turn:
    responses: List[Tuple[str, dict]] = []
    text, redacted = redact_personnummer(clean_text(text))
    # The channel may already have removed it before Rasa stored the message.
    if redacted or contains_redaction(text):
        responses.append(("utter_personnummer_removed", {}))

    if slot == "email":
        address = email_from_text(text)
        if not address:
            return Turn("retry", {slot: None}, responses + [("utter_invalid_email", {})])
        return Turn("answer", {slot: address}, responses)

    if slot == "contact_name":
        # A name found by NER is used only as it stands in the (redacted) message, so nothing
        # the redaction removed can come back through an entity value.
        people = [clean_text(str(e.get("value"))) for e in entities or []
                  if e.get("entity") == "PER" and e.get("value")]
        named = len(people) == 1 and len(people[0].split()) >= 2 and people[0] in text
        text = people[0] if named else _NAME_PREFIX.sub("", text)

    short = slot in SHORT_ANSWER_SLOTS
    if short and len(text) < 2 or not short and len(text.split()) < int(limits.get("min_words", 3)):
        return Turn("retry", {slot: None}, responses + [(f"utter_help_{slot}", {})])
    # One limit per answer, and nothing is cut: the idea maker is told the limit and
    # shortens the answer (the next message is the next question's answer).
    max_chars = int(limits.get("max_short_answer_chars" if short else "max_answer_chars",
                               MAX_SHORT_ANSWER_CHARS if short else 5000))
    if len(text) > max_chars:
        return Turn("retry", {slot: None},
                    responses + [("utter_answer_too_long", {"length": len(text), "max_chars": max_chars})])
    return Turn("answer", {slot: text}, responses)


def offered_idea(text: str, limits: Mapping[str, int]) -> Optional[str]:
    """An idea described outside the sketch as it would be kept as the answer on the solution, or None
    when it would not do as one (too short or too long)."""
    turn = validate_answer(OFFERED_FOR, text, (), limits)
    return turn.slots[OFFERED_FOR] if turn.kind == "answer" else None


def cleared_slots() -> Dict[str, object]:
    """Every answer, flag and kept idea of a sketch, empty: for a restart, a cancel and an erasure."""
    return {**{slot: None for slot in SKETCH_SLOTS}, "confirming_cancel": False, "sketch_field": None,
            "requested_slot": None, OFFERED_SLOT: None}


def answers_from_slots(slots: Mapping[str, Optional[str]]) -> Dict[str, Optional[str]]:
    return {slot: slots.get(slot) for slot in SKETCH_SLOTS}
