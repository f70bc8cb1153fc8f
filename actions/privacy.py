"""Rasa actions for privacy: the notice per channel and "radera mina uppgifter"."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from finsam.erasure import remove_staging
from finsam.knowledge import get_knowledge, normalise_space
from finsam.privacy import full_notice, get_privacy, short_notice
from finsam.sketch import cleared_slots


def erased_slots() -> List[EventType]:
    """Every answer, flag and kept idea back to empty (the tracker store then drops the stored events)."""
    return [SlotSet(name, value) for name, value in cleared_slots().items()] + [SlotSet("draft_reference", None)]


def forget(dispatcher: CollectingDispatcher, tracker: Tracker, response: str) -> List[EventType]:
    """Remove this conversation's unsubmitted files, say so, and say what stays with the kansli.

    The stored conversation itself is erased by rasa_addons.tracker_store when Rasa saves
    this turn (it sees the erasure action).
    """
    remove_staging(conversation_id=tracker.sender_id)
    dispatcher.utter_message(response=response)
    reference: Optional[str] = tracker.get_slot("draft_reference")
    if reference:
        dispatcher.utter_message(response="utter_submitted_draft_kept", reference=reference,
                                 kansli=normalise_space(get_knowledge().messages["kansli"]))
    return erased_slots()


def notice_for(tracker: Tracker, short: bool) -> str:
    spec = get_privacy()
    channel = tracker.get_latest_input_channel()
    return short_notice(spec, channel) if short else full_notice(spec, channel)


class ActionPrivacyNotice(Action):
    """Shows the whole privacy notice for the channel the idea maker writes in."""

    def name(self) -> Text:
        return "action_privacy_notice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=notice_for(tracker, short=False))
        return []


class ActionAskEraseConfirmation(Action):
    """Asks whether the idea maker really wants the conversation erased."""

    def name(self) -> Text:
        return "action_ask_erase_confirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_ask_confirm_erase")
        return [SlotSet("confirming_cancel", True)]


class ActionEraseConversation(Action):
    """Erases the conversation (answers, staging files); a submitted draft stays with the kansli."""

    def name(self) -> Text:
        return "action_erase_conversation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return forget(dispatcher, tracker, "utter_conversation_erased")


class ActionKeepData(Action):
    """Erases nothing after a "no", and lets the form carry on."""

    def name(self) -> Text:
        return "action_keep_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_nothing_erased")
        return [SlotSet("confirming_cancel", False)]
