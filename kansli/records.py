"""Record drafts from DRAFTS_DIR in the kansli store: one call per draft, and an idempotent import.

Rasa-free and web-free (SQLAlchemy only): the action server calls record_folder() right after a
draft is stored (best effort), and the workspace runs import_drafts() on start, periodically and
when the inbox is opened, so a draft written while the store was down is picked up later.
"""
from __future__ import annotations

import json
import logging
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kansli.config import database_url
from kansli.db import session_scope
from kansli.models import Case, CaseEvent, DraftVersion, utcnow

logger = logging.getLogger(__name__)
BOT_ACTOR = "Idéskiss-assistenten"
_VERSION_DIR = re.compile(r"^v([1-9]\d*)$")


def drafts_dir() -> Path:
    from finsam.draft import drafts_dir as finsam_drafts_dir

    return finsam_drafts_dir()


def _parse_time(value: Optional[str]) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return utcnow()
    if parsed.tzinfo:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def version_of(draft: dict) -> int:
    try:
        return max(1, int(draft.get("version") or 1))
    except (TypeError, ValueError):
        return 1


def search_text(draft: dict) -> str:
    """Lower-cased in Python (å/ä/ö too), so the search works the same on SQLite and PostgreSQL."""
    contact = draft.get("contact") or {}
    parts = [draft.get("title"), draft.get("parties"), contact.get("name"), contact.get("organisation")]
    parts += [q.get("answer") for q in draft.get("questions") or []]
    return "\n".join(str(p) for p in parts if p).lower()


def _summarise(case: Case, draft: dict) -> None:
    contact = draft.get("contact") or {}
    case.title = str(draft.get("title") or "Idéskiss utan arbetstitel")[:500]
    case.parties = draft.get("parties")
    case.contact_name = (contact.get("name") or None) and str(contact["name"])[:300]
    case.contact_email = (contact.get("email") or None) and str(contact["email"]).strip().lower()[:300]
    case.open_questions = len(draft.get("open_questions") or [])
    case.suggestions = len(draft.get("suggestions") or [])
    case.search_text = search_text(draft)


def record(session: Session, draft: dict, folder: str) -> bool:
    """Add one draft version (True), or nothing if this folder is already recorded (False)."""
    if session.execute(select(DraftVersion.id).where(DraftVersion.folder == folder)).first():
        return False
    reference = str(draft["reference"])
    version = version_of(draft)
    if session.execute(select(DraftVersion.id).join(Case).where(Case.reference == reference,
                                                                DraftVersion.version == version)).first():
        return False  # the same version under another folder name (a flat schema-1 copy)
    created = _parse_time(draft.get("created"))
    case = session.execute(select(Case).where(Case.reference == reference)).scalar_one_or_none()
    if case is None:
        first = _parse_time(draft.get("first_created") or draft.get("created"))
        case = Case(reference=reference, status="ny", created=first, updated=created, title="")
        session.add(case)
        _summarise(case, draft)
    else:
        newest = session.execute(select(func.max(DraftVersion.version)).where(DraftVersion.case_id == case.id)
                                 ).scalar() or 0
        if version > newest:
            _summarise(case, draft)
            case.updated = max(case.updated, created)
            session.add(CaseEvent(case=case, kind="version", actor=BOT_ACTOR, created=utcnow(),
                                  text=f"Version {version} inkom."))
    session.add(DraftVersion(case=case, version=version, replaces=draft.get("replaces"), folder=folder,
                             created=created, data=json.dumps(draft, ensure_ascii=False)))
    session.flush()
    return True


def _read(folder: Path) -> Optional[dict]:
    try:
        draft = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        logger.warning("Unreadable draft.json in %s", folder.name)
        return None
    return draft if isinstance(draft, dict) and draft.get("reference") else None


def folder_key(folder: Path) -> str:
    """The version's folder relative to DRAFTS_DIR: "<reference>/v2", or "<reference>" (schema 1)."""
    folder = Path(folder)
    return f"{folder.parent.name}/{folder.name}" if _VERSION_DIR.match(folder.name) else folder.name


def version_folders(reference_folder: Path) -> List[Path]:
    """Every version's folder of one draft, oldest first (docs/draft-format.md).

    Schema 2 keeps each version in <reference>/v<n>/ (and a copy of the newest in <reference>/);
    schema 1 wrote the one version straight into <reference>/.
    """
    numbered = sorted((int(m.group(1)), child) for child in reference_folder.iterdir()
                      if (m := _VERSION_DIR.match(child.name)) and (child / "draft.json").is_file())
    if numbered:
        return [child for _, child in numbered]
    return [reference_folder] if (reference_folder / "draft.json").is_file() else []


def record_folder(folder: Path, url: Optional[str] = None) -> bool:
    """Record the draft version in one folder (the action server's call). Raises when the store is down."""
    folder = Path(folder)
    draft = _read(folder)
    if draft is None:
        return False
    try:
        with session_scope(url or database_url()) as session:
            return record(session, draft, folder_key(folder))
    except IntegrityError:  # recorded at the same moment by the importer: fine
        return False


def import_drafts(url: Optional[str] = None, root: Optional[Path] = None) -> int:
    """Record every draft version in DRAFTS_DIR that the store does not have yet. Returns how many were new."""
    root = Path(root or drafts_dir())
    if not root.is_dir():
        return 0
    url = url or database_url()
    with session_scope(url) as session:
        known = set(session.execute(select(DraftVersion.folder)).scalars())
    added = 0
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        for folder in version_folders(entry):
            if folder_key(folder) in known:
                continue
            try:
                added += record_folder(folder, url)
            except Exception:  # one bad draft must not stop the rest
                logger.exception("Could not import draft folder %s", folder_key(folder))
    return added


def record_after_submit(stored) -> None:
    """For the action server, with the StoredDraft (or its folder): record now, or log and leave
    it to the workspace's import."""
    folder = Path(getattr(stored, "files", None) or getattr(stored, "folder", stored))
    from finsam.draft import DEFAULT_DRAFTS_DIR

    if not os.environ.get("KANSLI_DATABASE_URL") and folder.resolve().parent != DEFAULT_DRAFTS_DIR.resolve() \
            and folder.resolve().parent.parent != DEFAULT_DRAFTS_DIR.resolve():
        # The embedded default store belongs to the default drafts folder; a test's or another
        # instance's private DRAFTS_DIR needs its own KANSLI_DATABASE_URL.
        logger.info("Draft %s is outside the default drafts folder; not recorded in the default store",
                    folder_key(folder))
        return
    url = database_url()
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        logger.info("No kansli store yet (%s); the workspace imports the draft when it starts", url)
        return
    try:
        record_folder(folder, url)
    except Exception as error:  # the draft is safe on disk; import_drafts() picks it up later
        logger.warning("Kansli store unavailable, draft %s will be imported later: %s", folder_key(folder), error)
