"""The kansli store (SQLAlchemy 1.4 ORM; SQLite or PostgreSQL with the same code).

The schema is created and changed only by Alembic (kansli/migrations); these classes are
the one description both the app and the migrations' autogenerate read.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

STATUSES = {
    "ny": "Ny",
    "under_granskning": "Under granskning",
    "aterkopplad": "Återkopplad",
    "vidare_till_ansokan": "Vidare till ansökan",
    "avslutad": "Avslutad",
}
# Which statuses may follow which: ny → under granskning → återkopplad → vidare / avslutad.
TRANSITIONS = {
    "ny": ["under_granskning", "avslutad"],
    "under_granskning": ["aterkopplad", "avslutad"],
    "aterkopplad": ["vidare_till_ansokan", "avslutad", "under_granskning"],
    "vidare_till_ansokan": ["avslutad"],
    "avslutad": ["under_granskning"],
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class User(Base):
    __tablename__ = "kansli_users"
    id = Column(Integer, primary_key=True)
    username = Column(String(200), nullable=False, unique=True)
    display_name = Column(String(200), nullable=False)
    password_hash = Column(String(300))  # None: single sign-on only
    active = Column(Boolean, nullable=False, default=True)
    created = Column(DateTime, nullable=False, default=utcnow)


class LoginThrottle(Base):
    """Failed logins per user name (also for names that do not exist, so nothing leaks)."""
    __tablename__ = "kansli_login_throttle"
    username = Column(String(200), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    last_failure = Column(DateTime)
    locked_until = Column(DateTime)


class Case(Base):
    """One idea sketch as the kansli sees it: all versions share the reference."""
    __tablename__ = "kansli_cases"
    id = Column(Integer, primary_key=True)
    reference = Column(String(40), nullable=False, unique=True)
    status = Column(String(40), nullable=False, default="ny")
    created = Column(DateTime, nullable=False)
    updated = Column(DateTime, nullable=False)
    # Copied from the newest version, for the inbox and its search.
    title = Column(String(500), nullable=False)
    parties = Column(Text)
    contact_name = Column(String(300))
    contact_email = Column(String(300), index=True)
    open_questions = Column(Integer, nullable=False, default=0)
    suggestions = Column(Integer, nullable=False, default=0)
    search_text = Column(Text, nullable=False, default="")
    versions = relationship("DraftVersion", back_populates="case", cascade="all, delete-orphan",
                            order_by="DraftVersion.version")
    events = relationship("CaseEvent", back_populates="case", cascade="all, delete-orphan",
                          order_by="CaseEvent.created")


class DraftVersion(Base):
    __tablename__ = "kansli_draft_versions"
    __table_args__ = (UniqueConstraint("case_id", "version"),)
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("kansli_cases.id", ondelete="CASCADE"), nullable=False)
    version = Column(Integer, nullable=False)
    replaces = Column(String(60))
    folder = Column(String(200), nullable=False, unique=True)  # folder name under DRAFTS_DIR
    created = Column(DateTime, nullable=False)
    data = Column(Text, nullable=False)  # draft.json as written by the bot
    recorded = Column(DateTime, nullable=False, default=utcnow)
    case = relationship("Case", back_populates="versions")


class CaseEvent(Base):
    """Status changes, internal comments and sent replies: who, when, what. Internal only."""
    __tablename__ = "kansli_case_events"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("kansli_cases.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(20), nullable=False)  # status | comment | email
    actor = Column(String(200), nullable=False)
    created = Column(DateTime, nullable=False, default=utcnow)
    old_status = Column(String(40))
    new_status = Column(String(40))
    text = Column(Text)
    recipient = Column(String(300))
    subject = Column(String(500))
    case = relationship("Case", back_populates="events")


class Setting(Base):
    __tablename__ = "kansli_settings"
    key = Column(String(100), primary_key=True)
    value = Column(Text, nullable=False)
    updated = Column(DateTime, nullable=False, default=utcnow)
    updated_by = Column(String(200))


class AuditEntry(Base):
    """Who viewed, changed, sent or deleted what. Holds no idea maker's personal data: only
    the staff user, the action, a reference and counts."""
    __tablename__ = "kansli_audit"
    id = Column(Integer, primary_key=True)
    created = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(200), nullable=False)
    action = Column(String(60), nullable=False)
    target = Column(String(60))
    detail = Column(String(500))
