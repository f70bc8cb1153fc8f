"""What users needed, read from Rasa's tracker store: unanswered questions and the idea-sketch funnel.

Web-free and Rasa-free. The `events` table is reflected with SQLAlchemy (SQLite at TRACKER_DB or
the configured SQL store), rows are read in order and grouped into conversations (a sender's
session). A user turn is *unanswered* when the bot's reply to it was
  fallback           action_default_fallback, or the messages.yml `handoff` text;
  not_in_documents   the messages.yml `not_in_documents` text ("Det framgår inte av förbundets underlag");
  clarification      the `clarify` text ("Menar du …?") and the user did not pick one of the offered
                     topics (chose "Inget av detta", wrote something else, or left).
Questions are redacted (personnummer, e-mail addresses, phone numbers) and never carry the sender.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from finsam.knowledge import KnowledgeBase, normalise_space
from finsam.redaction import redact_personnummer

LOCAL = ZoneInfo("Europe/Stockholm")
ANSWER_ACTIONS = {"action_answer_question", "action_default_ask_affirmation"}
FALLBACK_ACTION = "action_default_fallback"
FORM = "idea_sketch_form"
START_ACTION = "action_start_sketch"
SUMMARY_ACTION = "action_sketch_summary"
SUBMIT_ACTION = "action_submit_sketch"
NOT_COVERED_PAYLOAD = "/ask_not_covered"
REASONS = {"fallback": "Boten förstod inte", "not_in_documents": "Inte i underlaget",
           "clarification": "”Menar du …?” utan val"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)(\+46|0)[\d\s-]{6,14}\d(?!\w)")


def redact(text: str) -> str:
    text, _ = redact_personnummer(text or "")
    text = _EMAIL.sub("[e-post]", text)
    return _PHONE.sub("[telefon]", text)


def question_key(text: str) -> str:
    """For counting the same question written slightly differently: case, punctuation, spaces."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def week_of(timestamp: Optional[float]) -> str:
    when = datetime.fromtimestamp(timestamp or 0, tz=timezone.utc).astimezone(LOCAL)
    year, week, _ = when.isocalendar()
    return f"{year}-v{week:02d}"


@dataclass
class Unanswered:
    text: str  # redacted
    reason: str  # fallback | not_in_documents | clarification
    week: str
    timestamp: float


@dataclass
class Conversation:
    week: str
    questions: int = 0
    answered: int = 0
    unanswered: List[Unanswered] = field(default_factory=list)
    sketch_stage: Optional[int] = None  # index in Funnel.stages of the furthest stage reached


@dataclass
class Funnel:
    stages: List[str]
    slots: List[str]

    @classmethod
    def from_knowledge(cls, knowledge: KnowledgeBase) -> Funnel:
        questions = [q["slot"] for q in knowledge.idea_sketch.get("questions") or []]
        stages = ["Påbörjad"] + [f"Fråga {n}" for n in range(1, len(questions) + 1)] + \
            ["Kontaktuppgifter", "Sammanfattning", "Inskickad"]
        return cls(stages=stages, slots=questions)

    def stage_of_slot(self, slot: str) -> Optional[int]:
        if slot in self.slots:
            return 1 + self.slots.index(slot)
        return len(self.slots) + 1 if slot else None  # one of the contact details


def _prefix(knowledge: KnowledgeBase, key: str) -> str:
    """The fixed part of a message, before the kansli contact is filled in."""
    template = normalise_space(knowledge.messages.get(key) or "")
    return template.split("{", 1)[0].strip()


def tracker_events(engine: sa.engine.Engine) -> Iterable[dict]:
    """Every row of Rasa's `events` table (reflected), in order, as (sender, timestamp, event dict)."""
    if not sa.inspect(engine).has_table("events"):
        return
    events = sa.Table("events", sa.MetaData(), autoload_with=engine)
    statement = sa.select(events.c.sender_id, events.c.timestamp, events.c.data).order_by(
        events.c.sender_id, events.c.id)
    with engine.connect() as connection:
        for sender, timestamp, data in connection.execute(statement):
            try:
                event = json.loads(data or "{}")
            except ValueError:
                continue
            yield {"sender": sender, "timestamp": timestamp or event.get("timestamp") or 0.0, "event": event}


def conversations(rows: Iterable[dict], knowledge: KnowledgeBase) -> List[Conversation]:
    funnel = Funnel.from_knowledge(knowledge)
    markers = {"not_in_documents": _prefix(knowledge, "not_in_documents"), "fallback": _prefix(knowledge, "handoff")}
    clarify = _prefix(knowledge, "clarify")
    result: List[Conversation] = []
    sender = None
    current: Optional[Conversation] = None
    turn: Optional[dict] = None
    pending_clarify: Optional[dict] = None  # a "Menar du …?" turn waiting for the user's choice

    def close_turn():
        nonlocal turn, pending_clarify
        if turn is None or current is None:
            turn = None
            return
        reason = turn["reason"]
        if turn["clarify"]:
            pending_clarify, turn = turn, None
            return
        if reason:
            current.unanswered.append(Unanswered(redact(turn["text"]), reason, current.week, turn["timestamp"]))
        elif turn["answering"]:
            current.answered += 1
        turn = None

    def close_clarify(resolved: bool):
        nonlocal pending_clarify
        if pending_clarify is not None and current is not None:
            if resolved:
                current.answered += 1
            else:
                current.unanswered.append(Unanswered(redact(pending_clarify["text"]), "clarification", current.week,
                                                     pending_clarify["timestamp"]))
        pending_clarify = None

    def start(row):
        nonlocal current
        close_turn()
        close_clarify(False)
        current = Conversation(week=week_of(row["timestamp"]))
        result.append(current)

    for row in rows:
        event = row["event"]
        kind = event.get("event")
        if row["sender"] != sender or kind == "session_started":
            if row["sender"] != sender and current is not None:
                close_turn()
                close_clarify(False)
            sender = row["sender"]
            start(row)
        if kind == "user":
            close_turn()
            text = event.get("text") or ""
            if pending_clarify is not None:
                chosen = text.startswith("/") and text.split("{")[0] in pending_clarify["payloads"]
                close_clarify(chosen)
                if text.split("{")[0] == NOT_COVERED_PAYLOAD or chosen:
                    turn = None
                    continue
            if text.startswith("/"):  # a button's payload, not a question someone wrote
                continue
            turn = {"text": text, "timestamp": row["timestamp"], "reason": None, "answering": False,
                    "clarify": False, "payloads": set()}
        elif kind == "action":
            name = event.get("name") or ""
            if turn is not None and name in ANSWER_ACTIONS:
                turn["answering"] = True
                current.questions += 1 if not turn.get("counted") else 0
                turn["counted"] = True
            if turn is not None and name == FALLBACK_ACTION:
                turn["reason"] = "fallback"
                if not turn.get("counted"):
                    current.questions += 1
                    turn["counted"] = True
            stage = {START_ACTION: 0, SUMMARY_ACTION: len(funnel.stages) - 2,
                     SUBMIT_ACTION: len(funnel.stages) - 1}.get(name)
            if stage is not None:
                current.sketch_stage = max(stage, current.sketch_stage or 0)
        elif kind == "active_loop" and event.get("name") == FORM:
            current.sketch_stage = max(0, current.sketch_stage or 0)
        elif kind == "slot" and event.get("name") == "requested_slot" and event.get("value"):
            stage = funnel.stage_of_slot(str(event["value"]))
            if stage is not None:
                current.sketch_stage = max(stage, current.sketch_stage or 0)
        elif kind == "bot" and turn is not None:
            text = normalise_space(event.get("text") or "")
            for reason, marker in markers.items():
                if marker and text.startswith(marker) and not turn["reason"]:
                    turn["reason"] = reason
            if clarify and text.startswith(clarify):
                turn["clarify"] = True
                buttons = (event.get("data") or {}).get("buttons") or []
                turn["payloads"] = {b.get("payload") for b in buttons if b.get("payload") != NOT_COVERED_PAYLOAD}
    close_turn()
    close_clarify(False)
    return [c for c in result if c.questions or c.unanswered or c.sketch_stage is not None]


def read_conversations(engine: Optional[sa.engine.Engine], knowledge: KnowledgeBase) -> List[Conversation]:
    if engine is None:
        return []
    return conversations(tracker_events(engine), knowledge)


# ------------------------------------------------------------------ summaries for the pages
@dataclass
class UnansweredReport:
    items: List[Unanswered]
    per_week: List[tuple]  # (week, count)
    common: List[tuple]  # (text, count, reasons)


def unanswered_report(convs: List[Conversation], limit: int = 20) -> UnansweredReport:
    items = sorted((u for c in convs for u in c.unanswered), key=lambda u: u.timestamp, reverse=True)
    per_week = sorted(Counter(u.week for u in items).items(), reverse=True)
    groups: Dict[str, List[Unanswered]] = {}
    for item in items:
        groups.setdefault(question_key(item.text), []).append(item)
    # (text, count, reasons, newest week); items are newest first, so g[0] is the latest wording.
    common = sorted(((g[0].text, len(g), sorted({u.reason for u in g}), g[0].week) for g in groups.values()
                     if g[0].text), key=lambda entry: (-entry[1], entry[0]))[:limit]
    return UnansweredReport(items=items, per_week=per_week, common=common)


@dataclass
class WeekRow:
    week: str
    conversations: int = 0
    questions: int = 0
    answered: int = 0
    unanswered: int = 0
    funnel: List[int] = field(default_factory=list)  # conversations that reached each stage (at least)
    gave_up: List[int] = field(default_factory=list)  # conversations whose furthest stage was this one


def overview(convs: List[Conversation], knowledge: KnowledgeBase) -> tuple:
    stages = Funnel.from_knowledge(knowledge).stages
    weeks: Dict[str, WeekRow] = {}
    for conv in convs:
        row = weeks.setdefault(conv.week, WeekRow(conv.week, funnel=[0] * len(stages), gave_up=[0] * len(stages)))
        row.conversations += 1
        row.questions += conv.answered + len(conv.unanswered)
        row.answered += conv.answered
        row.unanswered += len(conv.unanswered)
        if conv.sketch_stage is not None:
            for stage in range(conv.sketch_stage + 1):
                row.funnel[stage] += 1
            if conv.sketch_stage < len(stages) - 1:
                row.gave_up[conv.sketch_stage] += 1
    return stages, [weeks[w] for w in sorted(weeks)]
