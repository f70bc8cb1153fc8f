"""Rasa actions that answer questions: a knowledge topic, "Menar du …?", or the hand-over."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from finsam.knowledge import get_knowledge

# Intents answered from messages.yml rather than from a knowledge topic.
MESSAGE_INTENTS = {"ask_not_covered": "not_in_documents", "out_of_scope": "out_of_scope"}
MAX_SUGGESTION_BUTTONS = 3

class ActionAnswerQuestion(Action):
    """Answers a question from the knowledge base, or says honestly that it cannot."""

    def name(self) -> Text:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        knowledge = get_knowledge()
        intent = tracker.get_intent_of_latest_message()
        topic = knowledge.topic_for_intent(intent)
        if topic:
            dispatcher.utter_message(text=knowledge.render_answer(topic))
        else:
            dispatcher.utter_message(text=knowledge.message(MESSAGE_INTENTS.get(intent, "not_in_documents")))
        return []


class ActionDefaultAskAffirmation(Action):
    """Asks "Menar du …?" with the likeliest topics as buttons (first stage of the fallback)."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        knowledge = get_knowledge()
        ranking = tracker.latest_message.get("intent_ranking") or []
        buttons = []
        for candidate in ranking:
            topic = knowledge.topic_for_intent(candidate.get("name"))
            if topic and len(buttons) < MAX_SUGGESTION_BUTTONS:
                buttons.append({"title": topic.title, "payload": f"/{topic.intent}"})
        if not buttons:
            buttons = [{"title": "Skriv en idéskiss", "payload": "/start_sketch"},
                       {"title": "Vem kan söka medel", "payload": "/ask_who_can_apply"}]
        buttons.append({"title": "Inget av detta", "payload": "/out_of_scope"})
        dispatcher.utter_message(text="Menar du något av det här?", buttons=buttons)
        return []


class ActionDefaultFallback(Action):
    """Hands over to the kansli when the bot still does not understand."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=get_knowledge().message("handoff"))
        # Undo the misunderstood turn so it does not steer the next prediction.
        return [UserUtteranceReverted()]
