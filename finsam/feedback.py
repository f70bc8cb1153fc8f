"""👍/👎 on the bot's answers: which answer, to which question, stored without the sender.

Pure module (SQLAlchemy, no Rasa). The channels look the answer up in the conversation's own events
(so nobody can rate a text the bot never said), and store it in the tracker store's database, table
`finsam_feedback`: time, channel, rating, the question (personnummer, e-mail and phone numbers
masked) and the answer. No sender id, so the row cannot be traced back to a conversation. The kansli
lists the 👎 answers with their question (kansli/views_insight.py).
"""
from __future__ import annotations

import hashlib
import re
import time
from typing import Iterable, List, Optional, Tuple

import sqlalchemy as sa

from finsam.redaction import redact_personnummer

RATINGS = ("up", "down")
# The actions whose messages are answers to a question (actions/answers.py).
ANSWER_ACTIONS = frozenset({"action_answer_question", "action_default_ask_affirmation", "action_default_fallback"})
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)(\+46|0)[\d\s-]{6,14}\d(?!\w)")

metadata = sa.MetaData()
FEEDBACK = sa.Table(
    "finsam_feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created", sa.Float, nullable=False, index=True),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("rating", sa.String(10), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
)


def redact(text: str) -> str:
    text, _ = redact_personnummer(text or "")
    return _PHONE.sub("[telefon]", _EMAIL.sub("[e-post]", text))


def answer_turns(events: Iterable[dict]) -> List[Tuple[str, str]]:
    """(question, answer) for every bot message an answering action sent, oldest first."""
    pairs: List[Tuple[str, str]] = []
    question, action = "", ""
    for event in events:
        kind = event.get("event")
        if kind == "user":
            question, action = event.get("text") or "", ""
        elif kind == "action":
            action = event.get("name") or ""
        elif kind == "bot" and action in ANSWER_ACTIONS and event.get("text") and question \
                and not question.startswith("/"):
            pairs.append((question, event["text"]))
    return pairs


def find_answer(events: Iterable[dict], answer: str) -> Optional[Tuple[str, str]]:
    """The newest (question, answer) whose answer is this text, or None."""
    wanted = " ".join((answer or "").split())
    for question, text in reversed(answer_turns(events)):
        if " ".join(text.split()) == wanted:
            return question, text
    return None


def answer_id(answer: str) -> str:
    """A short id for an answer text (whitespace-insensitive), for channels that carry an id, not the text."""
    return hashlib.sha256(" ".join((answer or "").split()).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def find_answer_by_id(events: Iterable[dict], wanted: str) -> Optional[Tuple[str, str]]:
    """The newest (question, answer) whose answer has this id (answer_id), or None."""
    for question, text in reversed(answer_turns(events)):
        if answer_id(text) == wanted:
            return question, text
    return None


def record(engine: sa.engine.Engine, channel: str, rating: str, question: str, answer: str) -> None:
    if rating not in RATINGS:
        raise ValueError(rating)
    metadata.create_all(engine, tables=[FEEDBACK])  # checkfirst: the bot's store, not the kansli's
    with engine.begin() as connection:
        connection.execute(sa.insert(FEEDBACK).values(created=time.time(), channel=channel[:40], rating=rating,
                                                      question=redact(question)[:2000], answer=answer[:10000]))


def read(engine: Optional[sa.engine.Engine], rating: Optional[str] = None, limit: int = 500) -> List[dict]:
    """Newest first; nothing when the table does not exist yet."""
    if engine is None or not sa.inspect(engine).has_table(FEEDBACK.name):
        return []
    statement = sa.select(FEEDBACK).order_by(FEEDBACK.c.created.desc()).limit(limit)
    if rating:
        statement = statement.where(FEEDBACK.c.rating == rating)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(statement)]


def purge(engine: Optional[sa.engine.Engine], older_than: float) -> int:
    """Retention (make purge): delete ratings created before `older_than` (epoch seconds); how many went."""
    if engine is None or not sa.inspect(engine).has_table(FEEDBACK.name):
        return 0
    with engine.begin() as connection:
        return connection.execute(sa.delete(FEEDBACK).where(FEEDBACK.c.created < older_than)).rowcount or 0
