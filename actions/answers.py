"""Rasa actions that answer questions: thin over finsam.answering (topic, passage, "Menar du …?", honest)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from finsam.answering import decide, render, topic_turns
from finsam.knowledge import get_knowledge
from finsam.sketch import OFFERED_SLOT, offered_idea, unfinished_sketch


def _answer(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    knowledge = get_knowledge()
    message = tracker.latest_message or {}
    ranking = message.get("intent_ranking") or ([message["intent"]] if message.get("intent") else [])
    last_topic = tracker.get_slot("last_topic")
    turns = float(tracker.get_slot("last_topic_turns") or 0.0)
    decision = decide(message.get("text") or "", ranking, knowledge, last_topic=last_topic,
                      example_ranking=message.get("example_ranking") or (),
                      sketch_started=unfinished_sketch(tracker.current_slot_values()),
                      in_sketch=tracker.active_loop_name is not None)
    reply = render(decision, knowledge)
    for n, text in enumerate(reply.texts):
        last = n == len(reply.texts) - 1
        dispatcher.utter_message(text=text, buttons=reply.buttons if last and reply.buttons else None)
    events: List[EventType] = []
    if decision.kind == "sketch_offer" and decision.message == "sketch_offer":
        # Kept for the sketch's question about the solution, so the idea need not be typed again.
        kept = offered_idea(message.get("text") or "", knowledge.idea_sketch.get("limits", {}))
        if kept:
            events.append(SlotSet(OFFERED_SLOT, kept))
    topic, turns = topic_turns(decision, last_topic, turns)
    if topic == last_topic and turns == float(tracker.get_slot("last_topic_turns") or 0.0):
        return events
    return events + [SlotSet("last_topic", topic), SlotSet("last_topic_turns", turns)]


class ActionAnswerQuestion(Action):
    """Answers a question from the knowledge base or a quoted passage, or says honestly that it cannot."""

    def name(self) -> Text:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return _answer(dispatcher, tracker)


class ActionDefaultAskAffirmation(Action):
    """Low confidence: the same decision as every question (passage, "Menar du …?" or honest)."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        return _answer(dispatcher, tracker)


class ActionDefaultFallback(Action):
    """Hands over to the kansli when the bot still does not understand."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(text=get_knowledge().message("handoff"))
        # Undo the misunderstood turn so it does not steer the next prediction.
        return [UserUtteranceReverted()]
