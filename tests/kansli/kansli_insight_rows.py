"""A tracker store with Rasa-shaped `events` rows (as Rasa 3.6's SQLTrackerStore writes them) for the
kansli's Obesvarade frågor and Översikt tests: answered and unanswered questions, an unresolved
"Menar du …?", a fallback, and idea sketches that stop at different steps."""
from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import create_engine, insert

from finsam.erasure import EVENTS
from finsam.knowledge import load_knowledge

PNR_QUESTION = "Får man parkera gratis vid Wämö Center? Mitt personnummer är 19121212-1212"
UNANSWERED_TWICE = "Finns det pengar till en cykelverkstad?"
CLARIFIED_AWAY = "hur funkar pengarna egentligen"
FALLBACK_TEXT = "blorgh flimp"
ANSWERED = "Vem kan söka medel?"
SLOTS = ["title", "background", "solution", "target_group", "coordination", "measurement", "governance", "anchoring"]


class Conversation:
    def __init__(self, rows, sender, start):
        self.rows, self.sender, self.now = rows, sender, start
        self.add({"event": "action", "name": "action_session_start"})
        self.add({"event": "session_started"})
        self.add({"event": "action", "name": "action_listen"})

    def add(self, event):
        self.now += 1.0
        event = {**event, "timestamp": self.now}
        self.rows.append({"sender_id": self.sender, "type_name": event["event"], "timestamp": self.now,
                          "intent_name": (event.get("parse_data") or {}).get("intent", {}).get("name"),
                          "action_name": event.get("name") if event["event"] == "action" else None,
                          "data": json.dumps(event, ensure_ascii=False)})

    def user(self, text, intent="ask_not_covered"):
        self.add({"event": "user", "text": text, "input_channel": "rest", "metadata": {},
                  "parse_data": {"intent": {"name": intent, "confidence": 0.5}, "text": text}})

    def action(self, name):
        self.add({"event": "action", "name": name, "policy": "RulePolicy", "confidence": 1.0})

    def bot(self, text, buttons=None):
        self.add({"event": "bot", "text": text, "data": {"buttons": buttons} if buttons else {}, "metadata": {}})

    def slot(self, name, value):
        self.add({"event": "slot", "name": name, "value": value})


def _message(knowledge, key):
    return knowledge.message(key)


def build_tracker(path: Path) -> str:
    """A SQLite tracker store with the rows below; returns its URL."""
    engine = create_engine(f"sqlite:///{path}", future=True)
    fill(engine)
    engine.dispose()
    return f"sqlite:///{path}"


def fill(engine) -> None:
    """Create Rasa's `events` table in the database and write the conversations below into it."""
    knowledge = load_knowledge()
    rows = []
    now = time.time() - 3600
    honest = knowledge.message("not_in_documents")

    c = Conversation(rows, "conv-parkering", now)
    c.user(PNR_QUESTION)
    c.action("action_answer_question")
    c.bot(honest)
    c.user(ANSWERED, "ask_who_can_apply")
    c.action("action_answer_question")
    c.bot(knowledge.render_answer(knowledge.topic_for_intent("ask_who_can_apply")))

    for n, sender in enumerate(["conv-cykel-1", "conv-cykel-2"]):
        c = Conversation(rows, sender, now + 100 * (n + 1))
        c.user(UNANSWERED_TWICE if n == 0 else UNANSWERED_TWICE.lower().rstrip("?"))
        c.action("action_answer_question")
        c.bot(honest)

    c = Conversation(rows, "conv-menar-du", now + 400)
    c.user(CLARIFIED_AWAY)
    c.action("action_answer_question")
    c.bot(knowledge.message("clarify"), buttons=[{"title": "Budget", "payload": "/ask_budget"},
                                                 {"title": "Inget av detta", "payload": "/ask_not_covered"}])
    c.user("/ask_not_covered")
    c.action("action_answer_question")
    c.bot(honest)

    c = Conversation(rows, "conv-menar-du-valde", now + 500)
    c.user("hur mycket pengar då")
    c.action("action_answer_question")
    c.bot(knowledge.message("clarify"), buttons=[{"title": "Budget", "payload": "/ask_budget"},
                                                 {"title": "Inget av detta", "payload": "/ask_not_covered"}])
    c.user("/ask_budget", "ask_budget")
    c.action("action_answer_question")
    c.bot(knowledge.render_answer(knowledge.topic_for_intent("ask_budget")))

    c = Conversation(rows, "conv-fallback", now + 600)
    c.user(FALLBACK_TEXT, "nlu_fallback")
    c.action("action_default_fallback")
    c.bot(knowledge.message("handoff"))

    # Idea sketches: one gives up at question 3, one at question 6, one is submitted.
    for sender, last in [("conv-skiss-3", 3), ("conv-skiss-6", 6), ("conv-skiss-klar", None)]:
        c = Conversation(rows, sender, now + 700 + len(rows))
        c.user("jag har en idé", "start_sketch")
        c.action("action_start_sketch")
        c.action("idea_sketch_form")
        c.add({"event": "active_loop", "name": "idea_sketch_form"})
        for number, slot in enumerate(SLOTS, 1):
            c.slot("requested_slot", slot)
            c.action("action_listen")
            if last == number:
                break
            c.user(f"svar på fråga {number}", "inform_sketch")
            c.action("idea_sketch_form")
            c.slot(slot, f"svar på fråga {number}")
        if last is None:
            for slot in ["parties", "contact_name", "organisation", "role", "email"]:
                c.slot("requested_slot", slot)
                c.user("svar", "inform_sketch")
                c.slot(slot, "svar")
            c.slot("requested_slot", None)
            c.add({"event": "active_loop", "name": None})
            c.action("action_sketch_summary")
            c.user("/confirm_sketch", "confirm_sketch")
            c.action("action_submit_sketch")
            c.bot("Tack! Din idéskiss är skickad.")

    EVENTS.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(EVENTS), rows)
