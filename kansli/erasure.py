"""Erasure on request in the workspace: one draft, or everything about one e-mail address.

The files and the tracker store are erased by finsam/erasure.py (the bot's own erasure API: draft
folders and their index entries, conversations in Rasa's `events` table via SQLAlchemy); this
module adds the kansli store's rows (versions, status changes, comments, sent-reply log). Files
go first, so the import cannot bring an erased draft back. The caller audits with counts only.
"""
from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from finsam import erasure as bot_erasure
from finsam.draft import DraftStore, is_reference
from kansli.models import Case, DraftVersion

logger = logging.getLogger(__name__)


@dataclass
class Erased:
    references: List[str] = field(default_factory=list)
    folders: int = 0
    conversations: int = 0
    tracker_error: Optional[str] = None

    def summary(self) -> str:
        text = f"{len(self.references)} utkast, {self.conversations} konversationer"
        return text + (" (konversationslagret gick inte att nå)" if self.tracker_error else "")


def tracker_location(url: Optional[str]):
    """KANSLI_TRACKER_DB_URL / TRACKER_DB if set, else the tracker store of bot/endpoints.yml."""
    return url or bot_erasure.tracker_url_from_endpoints()


def _erase_conversations(tracker, needles: List[str]) -> int:
    engine = bot_erasure.tracker_engine(tracker)
    if engine is None or not bot_erasure.has_events_table(engine):
        return 0
    with engine.begin() as connection:
        senders = sorted({s for needle in needles for s in bot_erasure.senders_mentioning(connection, needle)})
        bot_erasure.delete_conversations(connection, senders)
    if senders:
        bot_erasure.compact(engine)
    return len(senders)


def _remove_reference_folder(root: Path, reference: str) -> int:
    if not is_reference(reference):
        return 0
    store = DraftStore(root)
    folder = store.root / reference
    if not folder.is_dir():
        return 0
    with store._locked_index():  # no version is being written meanwhile
        shutil.rmtree(folder)
    bot_erasure.remove_drafts(root)  # drops the index entries of the removed folder
    return 1


def _delete_cases(session: Session, references: List[str]) -> None:
    for case in session.execute(select(Case).where(Case.reference.in_(references))).scalars():
        session.delete(case)
    session.flush()


def erase_draft(session: Session, reference: str, root: Path, tracker_url: Optional[str]) -> Erased:
    result = Erased(references=[reference])
    result.folders = _remove_reference_folder(root, reference)
    try:
        result.conversations = _erase_conversations(tracker_location(tracker_url), [reference])
    except Exception as error:
        logger.exception("Tracker store erasure failed")
        result.tracker_error = type(error).__name__
    _delete_cases(session, [reference])
    return result


def erase_email(session: Session, email: str, root: Path, tracker_url: Optional[str]) -> Erased:
    """Everything about one e-mail address: drafts on disk (also not yet imported), the store's
    rows, and every conversation that mentions the address or one of its drafts' references."""
    email = email.strip().lower()
    # Older versions may carry the address even if the newest changed it.
    references = set(session.execute(select(Case.reference).where(Case.contact_email == email)).scalars())
    references |= set(session.execute(
        select(Case.reference).join(DraftVersion).where(
            or_(func.lower(DraftVersion.data).contains(email, autoescape=True)))).scalars())
    result = Erased()
    tracker = tracker_location(tracker_url)
    try:
        report = bot_erasure.erase_email(email, tracker=tracker, drafts_root=root)
        result.conversations = len(report.conversations)
        references |= set(report.drafts)
        result.folders = len(report.drafts)
        if references:
            result.conversations += _erase_conversations(tracker, sorted(references))
    except Exception as error:
        logger.exception("Erasure by e-mail failed in the tracker store or drafts folder")
        result.tracker_error = type(error).__name__
        for reference in references:
            result.folders += _remove_reference_folder(root, reference)
    for reference in references:  # folders of cases whose newest version has another address
        result.folders += _remove_reference_folder(root, reference)
    result.references = sorted(references)
    _delete_cases(session, result.references)
    return result
