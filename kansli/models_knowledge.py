"""Tables for keeping the bot's facts current: every change to a knowledge topic (who, when, before/after).

Same declarative Base as kansli.models, so Alembic (kansli/migrations/env.py imports this module)
sees one schema.
"""
from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text

from kansli.models import Base, utcnow


class KnowledgeChange(Base):
    """One saved edit of a topic in knowledge/faq.yml, or the undo of one. before/after are JSON
    ({"answer": …, "quotes": […]}), so an undo writes back exactly what was there."""
    __tablename__ = "kansli_knowledge_changes"
    id = Column(Integer, primary_key=True)
    created = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(200), nullable=False)
    topic_id = Column(String(100), nullable=False, index=True)
    kind = Column(String(20), nullable=False, default="edit")  # edit | undo
    before = Column(Text, nullable=False)
    after = Column(Text, nullable=False)
    undoes = Column(Integer, ForeignKey("kansli_knowledge_changes.id"))  # for kind == "undo"
    undone_by = Column(Integer)  # the undo's id, once this edit has been undone
