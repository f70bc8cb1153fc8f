"""Erase what the bot keeps about one conversation or one e-mail address, and purge old data.

Pure module (no Rasa). Used by the tracker store in rasa_addons/ (after "avbryt" or
"radera mina uppgifter"), by scripts/purge.py (retention) and by the kansli's tools
(erase on request by e-mail). Everything goes through SQLAlchemy on Rasa's own
`events` table, so SQLite and PostgreSQL behave the same.

Where the bot keeps personal data:
- the tracker store (`events` rows, one per event, keyed by sender id);
- submitted drafts (drafts/IDS-…/draft.{docx,md,json}) and their index (.index.json);
- `.staging-<tag>-…` folders: a draft being written (left behind only by a crash).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

import sqlalchemy as sa
import yaml

from finsam import feedback, resume_codes
from finsam.draft import DraftStore, drafts_dir, is_reference, staging_tag

# The actions after which the conversation is erased (rasa_addons.tracker_store acts on them).
ERASURE_ACTIONS = frozenset({"action_cancel_sketch", "action_erase_conversation"})
STAGING_PREFIX = ".staging-"

_metadata = sa.MetaData()
# Rasa's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent), declared here without Rasa.
EVENTS = sa.Table(
    "events", _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

TrackerLocation = Union[str, Path, "sa.engine.URL", "sa.engine.Engine", None]


@dataclass
class ErasureReport:
    """What was removed, for the bot's answer, the kansli and `make purge`."""

    conversations: List[str] = field(default_factory=list)
    events: int = 0
    drafts: List[str] = field(default_factory=list)
    staging: int = 0
    index_entries: int = 0
    feedback: int = 0

    def merge(self, other: ErasureReport) -> ErasureReport:
        self.conversations += other.conversations
        self.events += other.events
        self.drafts += other.drafts
        self.staging += other.staging
        self.index_entries += other.index_entries
        self.feedback += other.feedback
        return self


# ------------------------------------------------------------------ the tracker store
_VARIABLE = re.compile(r"\$\{(\w+)\}")


def tracker_url_from_endpoints(endpoints: Optional[Path] = None,
                               env: Optional[Mapping[str, str]] = None) -> Optional[sa.engine.URL]:
    """The database of the tracker store configured in an endpoints file (${VAR} from env).

    None when the store keeps conversations in memory only.
    """
    env = os.environ if env is None else env
    endpoints = Path(endpoints or env.get("RASA_ENDPOINTS") or Path(__file__).resolve().parent.parent
                     / "bot" / "endpoints.yml")
    config = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    store = config.get("tracker_store") or {}

    def value(key: str) -> Optional[str]:
        raw = store.get(key)
        if raw is None:
            return None
        text = _VARIABLE.sub(lambda m: env.get(m.group(1), ""), str(raw))
        return text or None

    store_type = (value("type") or "").lower()
    if store_type != "sql" and not store_type.endswith("sqltrackerstore"):
        return None
    dialect = value("dialect") or "sqlite"
    if dialect == "sqlite":
        return sa.engine.URL.create("sqlite", database=value("db") or "rasa.db")
    port = value("port")
    return sa.engine.URL.create(dialect, username=value("username"), password=value("password"),
                                host=value("url"), port=int(port) if port else None, database=value("db"))


def enable_secure_delete(engine: sa.engine.Engine) -> None:
    """SQLite: overwrite deleted rows with zeros, so erased text is not left in the file."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    engine.dispose()  # connections opened before the listener get the pragma too


def tracker_engine(location: TrackerLocation) -> Optional[sa.engine.Engine]:
    """An engine for a SQLite file (Path), a URL, or an existing engine."""
    if location is None:
        return None
    if isinstance(location, sa.engine.Engine):
        return location
    if isinstance(location, Path):
        location = sa.engine.URL.create("sqlite", database=str(location))
    url = sa.engine.make_url(location)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return None  # nothing stored yet; do not create an empty database file
    engine = sa.create_engine(url)
    enable_secure_delete(engine)
    return engine


def has_events_table(engine: sa.engine.Engine) -> bool:
    """False before Rasa has stored anything (no `events` table yet)."""
    return sa.inspect(engine).has_table("events")


_has_events_table = has_events_table  # the name kansli/erasure.py first used


def delete_conversations(connection: sa.engine.Connection, sender_ids: Iterable[str]) -> int:
    """Delete every stored event of these senders (all sessions). Returns the number of rows."""
    sender_ids = list(sender_ids)
    if not sender_ids:
        return 0
    result = connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(sender_ids)))
    return result.rowcount or 0


def senders_mentioning(connection: sa.engine.Connection, email: str) -> List[str]:
    """Sender ids whose stored events contain this e-mail address (slot, message or reply)."""
    needle = email.strip().lower()
    if not needle:
        return []
    query = sa.select(EVENTS.c.sender_id).distinct().where(
        sa.func.lower(EVENTS.c.data).contains(needle, autoescape=True))
    return sorted(row[0] for row in connection.execute(query))


def compact(engine: sa.engine.Engine) -> None:
    """Reclaim the space of deleted rows: VACUUM (SQLite rewrites the file; PostgreSQL marks it reusable)."""
    if not _has_events_table(engine):
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # No SQLAlchemy construct exists for VACUUM; the statement holds no user input.
        connection.execute(sa.text("VACUUM" if engine.dialect.name == "sqlite" else "VACUUM events"))


# ------------------------------------------------------------------------- files
def remove_staging(drafts_root: Optional[Path] = None, conversation_id: Optional[str] = None) -> int:
    """Remove unsubmitted `.staging-*` folders: one sender's, or all of them (under the index lock)."""
    store = DraftStore(drafts_root)
    if not store.root.exists():
        return 0
    prefix = STAGING_PREFIX + (staging_tag(conversation_id) + "-" if conversation_id is not None else "")
    removed = 0
    with store._locked_index():  # no draft is half-written while we hold it
        candidates = list(store.root.iterdir())
        if conversation_id is None:  # a new version of a submitted draft is staged inside its folder
            candidates += [p for folder in store.root.iterdir() if folder.is_dir() and is_reference(folder.name)
                           for p in folder.iterdir()]
        for folder in candidates:
            if folder.is_dir() and folder.name.startswith(prefix):
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


def _draft_email(folder: Path) -> str:
    try:
        draft = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str((draft.get("contact") or {}).get("email") or "").strip().lower()


def remove_drafts(drafts_root: Optional[Path] = None, *, email: Optional[str] = None,
                  older_than: Optional[float] = None) -> ErasureReport:
    """Remove submitted drafts by the contact's e-mail or by age (folder mtime before `older_than`),
    and drop index entries whose draft is gone."""
    store = DraftStore(drafts_root)
    report = ErasureReport()
    if not store.root.exists():
        return report
    wanted = (email or "").strip().lower()
    with store._locked_index() as index:
        for folder in sorted(store.root.iterdir()):
            if not (folder.is_dir() and is_reference(folder.name)):
                continue
            if (wanted and _draft_email(folder) == wanted) or \
                    (older_than is not None and folder.stat().st_mtime < older_than):
                shutil.rmtree(folder)
                report.drafts.append(folder.name)
        # Schema 1: {submission key: reference}; later {"keys": {…}, "owners": {reference: …}}.
        keys = index["keys"] if isinstance(index.get("keys"), dict) else index
        owners = index.get("owners") if keys is not index else None
        for key, reference in list(keys.items()):
            if not (store.root / str(reference)).is_dir():
                del keys[key]
                report.index_entries += 1
        for reference in list(owners or {}):
            if not (store.root / reference).is_dir():
                del owners[reference]
                report.index_entries += 1
    return report


# ------------------------------------------------------------------ whole requests
def erase_sender(sender_id: str, tracker: TrackerLocation = None, drafts_root: Optional[Path] = None) -> ErasureReport:
    """Forget one conversation: its tracker rows and unsubmitted staging files.

    Submitted drafts stay with the kansli (they may be public records); use erase_email for those.
    """
    report = ErasureReport(staging=remove_staging(drafts_root, sender_id))
    engine = tracker_engine(tracker)
    if engine is not None and _has_events_table(engine):
        with engine.begin() as connection:
            report.events = delete_conversations(connection, [sender_id])
        report.conversations = [sender_id] if report.events else []
        resume_codes.forget(engine, [sender_id])  # a fortsättningskod must not outlive its conversation
    return report


def erase_email(email: str, tracker: TrackerLocation = None, drafts_root: Optional[Path] = None,
                include_drafts: bool = True) -> ErasureReport:
    """Forget a person by e-mail: every conversation that mentions the address, and their drafts.

    For the kansli acting on a request under GDPR art. 17 (check first that no
    gallringsbeslut requires keeping the drafts).
    """
    report = ErasureReport()
    engine = tracker_engine(tracker)
    if engine is not None and _has_events_table(engine):
        with engine.begin() as connection:
            senders = senders_mentioning(connection, email)
            report.events = delete_conversations(connection, senders)
        report.conversations = senders
        resume_codes.forget(engine, senders)
        compact(engine)
    for sender in report.conversations:
        report.staging += remove_staging(drafts_root, sender)
    if include_drafts:
        report.merge(remove_drafts(drafts_root, email=email))
    return report


def purge(tracker: TrackerLocation, drafts_root: Optional[Path], retention_days: float,
          now: Optional[float] = None) -> ErasureReport:
    """Retention: delete conversations whose last event is older than retention_days, drafts
    older than that, the index entries of removed drafts, old 👍/👎 ratings and every `.staging-*` folder."""
    cutoff = (now if now is not None else time.time()) - retention_days * 86400
    report = ErasureReport()
    engine = tracker_engine(tracker)
    if engine is not None and _has_events_table(engine):
        with engine.begin() as connection:
            stale = sorted(row[0] for row in connection.execute(
                sa.select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id)
                .having(sa.func.max(EVENTS.c.timestamp) < cutoff)))
            report.events = delete_conversations(connection, stale)
        report.conversations = stale
        # 👍/👎 ratings live in the same database and hold a (masked) question: same retention.
        report.feedback = feedback.purge(engine, cutoff)
        # Fortsättningskoder of purged conversations, and every expired one.
        resume_codes.forget(engine, stale)
        resume_codes.purge(engine, now)
        compact(engine)
    root = Path(drafts_root or drafts_dir())
    report.merge(remove_drafts(root, older_than=cutoff))
    report.staging += remove_staging(root)
    return report


def describe(report: ErasureReport) -> Dict[str, Any]:
    return {"conversations": len(report.conversations), "events": report.events, "drafts": len(report.drafts),
            "staging": report.staging, "index_entries": report.index_entries, "feedback": report.feedback}
