"""Rasa actions of the idea sketch: start, form validation, summary, submit, edit, cancel."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import forget, notice_for
from finsam import mailer
from finsam.draft import DraftStore, author_of
from finsam.knowledge import get_knowledge
from finsam.outbox import Outbox
from finsam.prereview import review
from finsam.sketch import (
    OFFERED_SLOT,
    SKETCH_SLOTS,
    answers_from_slots,
    cleared_slots,
    field_from_message,
    interpret_turn,
    is_open,
    is_repeat,
    resume_point,
    sketch_started,
    unfinished_sketch,
)
from kansli.records import record_after_submit

logger = logging.getLogger(__name__)

FORM_NAME = "idea_sketch_form"
SUBMIT_FAILED = ("Tyvärr gick det inte att spara din idéskiss just nu, och den är inte inskickad. Dina svar finns "
                 "kvar – försök igen om en stund genom att skriva \"skicka in\".")

def _reset_sketch_events() -> List[EventType]:
    return [SlotSet(name, value) for name, value in cleared_slots().items()]


def _sketch_started(tracker: Tracker) -> bool:
    return sketch_started(tracker.current_slot_values())


def _unfinished_sketch(tracker: Tracker) -> bool:
    return unfinished_sketch(tracker.current_slot_values())


# Actions that run between the user's message and the form without being the message's
# own handling (slot extraction), so the form still reads that message.
_NOT_A_HANDLER = {"action_listen", "action_extract_slots", FORM_NAME}


def _fresh_message(tracker: Tracker) -> bool:
    """True when the form runs straight after the user's message, not after a digression.

    After a rule answered a question (or after "nej, fortsätt") the form runs again with
    the same latest message; that message must not be read as the answer.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in _NOT_A_HANDLER:
            return False
    return True


def _just_welcomed(tracker: Tracker) -> bool:
    """True when the bot's last words before this message were "Välkommen tillbaka …"."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif event.get("event") == "bot" and seen_user:
            return (event.get("metadata") or {}).get("utter_action") == "utter_welcome_back"
    return False


def _repeated(tracker: Tracker, window_seconds: float) -> bool:
    users, replied = [], []
    for event in tracker.events:
        if event.get("event") == "user":
            users.append((event.get("text") or "", float(event.get("timestamp") or 0.0)))
            replied.append(False)
        elif event.get("event") not in ("action", "user_featurization") and replied:
            replied[-1] = True  # a reply, a slot, the form: the turn did something
    # A message whose turn left nothing but action names (it failed and the channel
    # apologised) is sent again on purpose, not a double tap (tests/test_faults_turns.py).
    if len(users) >= 2 and not replied[-2]:
        return False
    return is_repeat(users[-2:], window_seconds)


class ActionStartSketch(Action):
    """Shows the privacy notice and starts a fresh sketch (or resumes an unfinished one)."""

    def name(self) -> Text:
        return "action_start_sketch"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if _unfinished_sketch(tracker):
            # "jag har en idé" with a half-done sketch carries on with it; the message is
            # not an answer (requested_slot is cleared so the form does not read it as one).
            dispatcher.utter_message(response="utter_welcome_back",
                                     where=resume_point(tracker.current_slot_values()))
            return [SlotSet("confirming_cancel", False), SlotSet("requested_slot", None)]
        # The short notice for this channel (knowledge/privacy.yml); "integritet" gives all of it.
        dispatcher.utter_message(text=notice_for(tracker, short=True))
        if tracker.get_slot("draft_reference"):
            # The previous sketch was submitted: this is a new one (with the idea just described, if any).
            return _reset_sketch_events() + [SlotSet("draft_reference", None),
                                             SlotSet(OFFERED_SLOT, tracker.get_slot(OFFERED_SLOT))]
        return [SlotSet("confirming_cancel", False), SlotSet("requested_slot", None)]


class ActionAskSolution(Action):
    """Asks about the solution, offering the idea the user described before the sketch began."""

    def name(self) -> Text:
        return "action_ask_solution"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_ask_solution")
        offered = tracker.get_slot(OFFERED_SLOT)
        # Not while a submitted sketch is edited: the idea was described for a new one.
        if offered and not tracker.get_slot("draft_reference"):
            dispatcher.utter_message(response="utter_offer_earlier_idea", offered_idea=offered)
        return []


class ValidateIdeaSketchForm(FormValidationAction):
    """Reads each answer of the idea-sketch form: fills, re-asks, skips or lets a digression through."""

    def name(self) -> Text:
        return "validate_idea_sketch_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        slot = tracker.get_slot("requested_slot")
        if slot not in SKETCH_SLOTS or tracker.latest_message is None or not _fresh_message(tracker):
            return []
        message = tracker.latest_message
        intent = message.get("intent") or {}
        knowledge = get_knowledge()
        limits = knowledge.idea_sketch.get("limits", {})
        examples = message.get("example_ranking") or []
        turn = interpret_turn(
            slot,
            message.get("text") or "",
            intent.get("name"),
            float(intent.get("confidence") or 0.0),
            entities=message.get("entities") or [],
            digression_intents=set(knowledge.intents) | {"ask_not_covered"},
            confirming_cancel=bool(tracker.get_slot("confirming_cancel")),
            limits=limits,
            answers=tracker.current_slot_values(),
            repeated=_repeated(tracker, float(limits.get("repeat_window_seconds", 10))),
            answer_confidence=next((float(r.get("confidence") or 0.0) for r in message.get("intent_ranking") or []
                                    if r.get("name") == "inform_sketch"), 0.0),
            just_welcomed=_just_welcomed(tracker),
            example_intent=examples[0].get("name") if examples else None,
            example_confidence=float(examples[0].get("confidence") or 0.0) if examples else 0.0,
        )
        for response, kwargs in turn.responses:
            dispatcher.utter_message(response=response, **kwargs)
        return [SlotSet(name, value) for name, value in turn.slots.items()]


def _summary_text(tracker: Tracker) -> str:
    knowledge = get_knowledge()
    spec = knowledge.idea_sketch
    lines = ["Här är din idéskiss:"]
    for number, question in enumerate(spec["questions"], start=1):
        value = tracker.get_slot(question["slot"])
        shown = "(öppen fråga)" if is_open(value) or not value else value
        lines.append(f"{number}. {' '.join(question['heading'].split())}\n{shown}")
    for detail in spec["details"]:
        value = tracker.get_slot(detail["slot"])
        lines.append(f"{detail['label']}: {'(öppen fråga)' if is_open(value) or not value else value}")
    return "\n\n".join(lines)


class ActionSketchSummary(Action):
    """Shows every answer, the criteria pre-review and the confirm/edit/cancel buttons."""

    def name(self) -> Text:
        return "action_sketch_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        knowledge = get_knowledge()
        dispatcher.utter_message(text=_summary_text(tracker))
        suggestions = review(answers_from_slots(tracker.current_slot_values()), knowledge.prereview)
        if suggestions:
            dispatcher.utter_message(
                text="Förgranskning mot förbundets kriterier – förslag, inga hinder:\n"
                + "\n".join(f"• {s.text}" for s in suggestions))
        dispatcher.utter_message(response="utter_summary_buttons")
        return [SlotSet("confirming_cancel", False)]


class ActionSubmitSketch(Action):
    """Writes the draft (.docx, .md, .json) once, e-mails it if configured, and gives the reference."""

    def name(self) -> Text:
        return "action_submit_sketch"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        answers = answers_from_slots(tracker.current_slot_values())
        if tracker.active_loop_name or any(answers[slot] is None for slot in SKETCH_SLOTS):
            dispatcher.utter_message(response="utter_no_sketch")
            return []
        knowledge = get_knowledge()
        suggestions = review(answers, knowledge.prereview)
        settings = mailer.settings_from_env()  # checked when the action server started
        try:
            # A sketch edited after it was sent becomes the next version of the same draft.
            stored, draft = DraftStore().submit(tracker.sender_id, answers, knowledge.idea_sketch, suggestions,
                                                reference=tracker.get_slot("draft_reference"),
                                                author=author_of(knowledge))
            # Queued before any attempt, so an SMTP outage or a crash never loses the mail.
            entry = Outbox().add(stored) if settings else None
        except OSError as error:  # disk full, DRAFTS_DIR not writable: nothing half-written stays
            logger.error("Could not store a draft (%s: %s)", type(error).__name__, error)
            dispatcher.utter_message(text=SUBMIT_FAILED)
            return []
        # Best effort into the kansli store; if it is down, the workspace imports DRAFTS_DIR later.
        await asyncio.to_thread(record_after_submit, stored)
        delivered = False
        if entry is not None:
            # One quick attempt now; the action server's outbox loop retries (scripts/action_server.py).
            delivered = await asyncio.to_thread(Outbox().deliver_pending, mailer.sender_for(settings),
                                                entry.path.name, False) == 1
        open_count = len(draft["open_questions"])
        where = "Den har skickats till förbundets kansli." if delivered else \
            "Den ligger nu hos förbundets kansli för granskning."
        thanks = f"Tack! Din idéskiss har referensen {stored.reference}." if stored.version == 1 else \
            f"Tack! Din ändrade idéskiss är sparad som version {stored.version} av {stored.reference}."
        if not stored.created_now and stored.version == 1:
            where = "Den här skissen är redan inskickad – det finns bara ett utkast."
        elif not stored.created_now:
            thanks = f"Din idéskiss har referensen {stored.reference}, version {stored.version}."
            where = "Den versionen är redan inskickad – inget svar har ändrats sedan dess."
        dispatcher.utter_message(
            text=(f"{thanks} {where}"
                  + (" 1 fråga är markerad som öppen." if open_count == 1 else
                     f" {open_count} frågor är markerade som öppna." if open_count else "")
                  + "\n\nVad händer nu? Kansliet läser skissen och återkommer till dig. Förbundet "
                    "rekommenderar kontakt med kansliet tidigt; när idén är mer utvecklad kan den bli "
                    "en formell projektansökan."),
            custom={"draft_reference": stored.reference, "draft_version": stored.version},
        )
        return [SlotSet("draft_reference", stored.reference)]


class ActionEditAnswer(Action):
    """Clears one answer so the form asks just that question again."""

    def name(self) -> Text:
        return "action_edit_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        message = tracker.latest_message or {}
        # The slot holds whatever the entity extractor tagged ("målgruppsbeskrivningen"); only a field counts.
        tagged = tracker.get_slot("sketch_field")
        field = tagged if tagged in SKETCH_SLOTS else field_from_message(message.get("text") or "",
                                                                       message.get("entities") or [])
        if field not in SKETCH_SLOTS:
            dispatcher.utter_message(response="utter_ask_which_field")
            return [SlotSet("sketch_field", None)] if tagged else []
        # Editing with no sketch under way starts one, so the privacy notice comes first.
        dispatcher.utter_message(response="utter_editing" if _sketch_started(tracker) else "utter_privacy_notice")
        # draft_reference stays: submitting again makes the next version of the same draft.
        events: List[EventType] = [SlotSet(field, None), SlotSet("sketch_field", None)]
        if tracker.active_loop_name == FORM_NAME:
            events.append(SlotSet("requested_slot", field))
        return events


class ActionAskCancelConfirmation(Action):
    """Asks whether the idea maker really wants to cancel the sketch."""

    def name(self) -> Text:
        return "action_ask_cancel_confirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_ask_confirm_cancel")
        return [SlotSet("confirming_cancel", True)]


class ActionCancelSketch(Action):
    """Cancels the sketch and forgets the conversation (the tracker store erases it on save)."""

    def name(self) -> Text:
        return "action_cancel_sketch"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return forget(dispatcher, tracker, "utter_sketch_cancelled")


class ActionAskRestartConfirmation(Action):
    """Asks whether the idea maker really wants to start the sketch over."""

    def name(self) -> Text:
        return "action_ask_restart_confirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_ask_confirm_restart")
        return [SlotSet("confirming_cancel", True)]


class ActionRestartSketch(Action):
    """Clears every answer so the form starts again from the first question."""

    def name(self) -> Text:
        return "action_restart_sketch"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_sketch_restarted")
        return _reset_sketch_events() + [SlotSet("draft_reference", None)]


class ActionSessionStart(Action):
    """Starts a new Rasa session (after 24 h away) and carries an unfinished sketch over."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        if (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
            events += [SlotSet(name, value) for name, value in tracker.current_slot_values().items()
                       if value is not None]
        if tracker.active_loop_name == FORM_NAME and tracker.get_slot("requested_slot") in SKETCH_SLOTS:
            # Rasa's own session start drops the form: the next answer would not be read.
            dispatcher.utter_message(response="utter_welcome_back",
                                     where=resume_point(tracker.current_slot_values()))
            events.append(ActiveLoop(FORM_NAME))
        return events + [ActionExecuted("action_listen")]


class ActionResumeSketch(Action):
    """Carries on with the sketch after the idea maker chose not to cancel."""

    def name(self) -> Text:
        return "action_resume_sketch"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_continue_sketch")
        return [SlotSet("confirming_cancel", False)]
