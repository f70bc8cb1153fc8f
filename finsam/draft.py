"""Draft idea sketch for the kansli: build it, write .docx/.md/.json, store each version once.

Pure module (no rasa_sdk). Every user-written string is cleaned to text that XML (and so
Word) can hold and has its personnummer removed before it goes into the draft; the
rendering is in finsam.draft_render. The layout on disk and the JSON schema are described
in docs/draft-format.md:

    drafts/<reference>/draft.{docx,md,json}   the newest version
    drafts/<reference>/v1/draft.{docx,md,json} every version as it was sent (v1, v2, …)
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

from finsam.draft_render import OPEN_TEXT, md_escape, render_markdown, swedish_time, write_docx
from finsam.prereview import Suggestion
from finsam.redaction import redact_personnummer
from finsam.sketch import OPEN, clean_text

__all__ = ["OPEN_TEXT", "SCHEMA_VERSION", "DraftStore", "StoredDraft", "author_of", "build_draft", "clean_user_text",
           "draft_fields", "drafts_dir", "heading_of", "is_reference", "md_escape", "new_reference",
           "render_markdown", "staging_tag", "swedish_time", "write_docx"]

# 2: versions (version, version_label, replaces, changed_fields, first_created).
SCHEMA_VERSION = 2
DEFAULT_DRAFTS_DIR = Path(__file__).resolve().parent.parent / "drafts"
FILES = ("draft.docx", "draft.md", "draft.json")
_REFERENCE = re.compile(r"^IDS-\d{8}-[A-Z2-7]{16}$")
_VERSION_DIR = re.compile(r"^v([1-9]\d*)$")
# What XML 1.0 cannot hold (C0 controls but tab/newline, lone surrogates, U+FFFE/U+FFFF),
# plus C1 controls and the other noncharacters, which are never meant as text.
_NOT_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(1, 17)) + "]")


def drafts_dir() -> Path:
    return Path(os.environ.get("DRAFTS_DIR") or DEFAULT_DRAFTS_DIR)


def new_reference(now: datetime) -> str:
    # 80 random bits in base32: unguessable, yet easy to read out on the phone. The token
    # starts with a letter, else "IDS-20261124-2345…" would read as a personnummer.
    while True:
        token = base64.b32encode(secrets.token_bytes(10)).decode()
        if token[0].isalpha():
            return f"IDS-{now:%Y%m%d}-{token}"


def is_reference(value: str) -> bool:
    return bool(_REFERENCE.match(value or ""))


def clean_user_text(value: Optional[str]) -> str:
    """User text as the draft stores it: text XML can hold, no personnummer, trimmed."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return redact_personnummer(clean_text(_NOT_TEXT.sub("", text)))[0]


def heading_of(question: Mapping) -> str:
    """The heading the draft shows: the seed's wording, with documented corrections."""
    return " ".join(str(question.get("draft_heading") or question["heading"]).split())


def author_of(knowledge) -> str:
    """The förbund, as named in knowledge/sources.yml for the idea sketch's own document."""
    return knowledge.documents[knowledge.idea_sketch["source"]["document"]].publisher


def _answer(value: Optional[str]) -> Optional[str]:
    if value in (None, "", OPEN):
        return None
    # An answer that was nothing but control characters is as good as none.
    return clean_user_text(value) or None


def build_draft(answers: Mapping[str, Optional[str]], sketch_spec: dict, suggestions: List[Suggestion],
                reference: str, created: datetime, previous: Optional[dict] = None) -> dict:
    """The draft as plain data: the one source for all three file formats and the e-mail.

    `previous` is the version this one replaces (same reference), if any.
    """
    questions = []
    for number, question in enumerate(sketch_spec["questions"], start=1):
        answer = _answer(answers.get(question["slot"]))
        questions.append({"number": number, "id": question["slot"], "heading": heading_of(question),
                          "answer": answer, "open": answer is None})
    created_at = created.astimezone(timezone.utc).isoformat(timespec="seconds")
    version = previous.get("version", 1) + 1 if previous else 1
    draft = {
        "schema_version": SCHEMA_VERSION,
        "reference": reference,
        "version": version,
        "version_label": f"{reference} v{version}",
        "replaces": previous.get("version", 1) if previous else None,
        "changed_fields": [],
        "created": created_at,
        "first_created": previous.get("first_created") or previous["created"] if previous else created_at,
        "title": _answer(answers.get("title")) or "Idéskiss utan arbetstitel",
        "contact": {
            "name": _answer(answers.get("contact_name")),
            "organisation": _answer(answers.get("organisation")),
            "role": _answer(answers.get("role")),
            "email": _answer(answers.get("email")),
        },
        "parties": _answer(answers.get("parties")),
        "labels": {d["slot"]: d["label"] for d in sketch_spec["details"]},
        "questions": questions,
        "open_questions": [q["number"] for q in questions if q["open"]],
        "suggestions": [
            {"check": s.check, "text": s.text, "source": {"document": s.source_document, "section": s.source_section}}
            for s in suggestions
        ],
    }
    if previous:
        before, after = draft_fields(previous), draft_fields(draft)
        draft["changed_fields"] = [field for field in after if after[field] != before.get(field)]
    return draft


def draft_fields(draft: dict) -> Dict[str, Optional[str]]:
    """Every answer of a draft by field id (the form's slot names), in the form's order."""
    fields = {q["id"]: q["answer"] for q in draft["questions"]}
    contact = draft["contact"]
    fields.update({"parties": draft["parties"], "contact_name": contact["name"],
                   "organisation": contact["organisation"], "role": contact["role"], "email": contact["email"]})
    return fields


@dataclass(frozen=True)
class StoredDraft:
    """One version of a draft on disk. `folder` is the reference's folder, whose draft.*
    is always the newest version; docx/markdown/json are this version's own files."""

    reference: str
    folder: Path
    created_now: bool
    version: int = 1
    version_folder: Optional[Path] = None

    @property
    def files(self) -> Path:
        return self.version_folder or self.folder

    @property
    def docx(self) -> Path:
        return self.files / "draft.docx"

    @property
    def markdown(self) -> Path:
        return self.files / "draft.md"

    @property
    def json(self) -> Path:
        return self.files / "draft.json"


def staging_tag(conversation_id: str) -> str:
    """A short one-way tag of the conversation in its staging folder's name, so erasing a
    conversation can find a half-written draft left by a crash (finsam/erasure.py)."""
    return hashlib.sha256(conversation_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def submission_key(conversation_id: str, answers: Mapping[str, Optional[str]]) -> str:
    """Same conversation and same answers: the same draft (double clicks, retries)."""
    canonical = json.dumps({"conversation": conversation_id, "answers": dict(answers)}, sort_keys=True,
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _owner(conversation_id: str) -> str:
    # Only a hash: the conversation id opens the web widget's download link.
    return hashlib.sha256(("owner:" + conversation_id).encode("utf-8", "surrogatepass")).hexdigest()


def _write_files(draft: dict, folder: Path, author: str) -> None:
    write_docx(draft, folder / "draft.docx", author)
    (folder / "draft.md").write_text(render_markdown(draft), encoding="utf-8")
    (folder / "draft.json").write_text(json.dumps(draft, indent=2, ensure_ascii=False), encoding="utf-8")


class DraftStore:
    """Drafts on disk, one folder per reference, one subfolder per version, each written once."""

    def __init__(self, root: Optional[Path] = None):
        self.root = Path(root or drafts_dir())

    @contextmanager
    def _locked_index(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".index.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            index_path = self.root / ".index.json"
            index = json.loads(index_path.read_text()) if index_path.exists() else {}
            if "keys" not in index:  # schema 1 kept only {submission key: reference}
                index = {"keys": index, "owners": {}}
            try:
                yield index
            finally:
                tmp = index_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(index, indent=1))
                os.replace(tmp, index_path)
                fcntl.flock(lock, fcntl.LOCK_UN)

    def find(self, reference: str) -> Optional[StoredDraft]:
        """The newest version of a draft, or None."""
        if not is_reference(reference):
            return None
        folder = self.root / reference
        versions = self.versions(reference)
        if versions:
            return versions[-1]
        # Schema 1 wrote version 1 straight into the reference folder.
        return StoredDraft(reference, folder, False) if (folder / "draft.json").exists() else None

    def versions(self, reference: str) -> List[StoredDraft]:
        """Every version of a draft, oldest first (empty for a draft in the old flat layout)."""
        folder = self.root / reference
        if not is_reference(reference) or not folder.is_dir():
            return []
        numbers = sorted(int(m.group(1)) for p in folder.iterdir()
                         if (m := _VERSION_DIR.match(p.name)) and (p / "draft.json").exists())
        return [StoredDraft(reference, folder, False, n, folder / f"v{n}") for n in numbers]

    def submit(self, conversation_id: str, answers: Mapping[str, Optional[str]], sketch_spec: dict,
               suggestions: List[Suggestion], now: Optional[datetime] = None, reference: Optional[str] = None,
               author: str = "") -> Tuple[StoredDraft, dict]:
        """Store the answers as a draft and return it with its data.

        `reference` is the draft this conversation sent before: changed answers become its
        next version, the same answers return the newest version unchanged. `author` is
        written into the Word document's properties (the förbund).
        """
        now = now or datetime.now(timezone.utc)
        key = submission_key(conversation_id, answers)
        owner = _owner(conversation_id)
        with self._locked_index() as index:
            keys, owners = index["keys"], index["owners"]
            target = reference if reference and owners.get(reference) == owner else keys.get(key)
            latest = self.find(target or "")
            if latest:
                latest_draft = json.loads(latest.json.read_text(encoding="utf-8"))
                draft = build_draft(answers, sketch_spec, suggestions, latest.reference, now, previous=latest_draft)
                keys[key] = latest.reference
                owners.setdefault(latest.reference, owner)
                if not draft["changed_fields"]:
                    self._publish(latest)
                    return latest, latest_draft
                return self._store_version(draft, latest, author, conversation_id), draft
            reference = new_reference(now)
            draft = build_draft(answers, sketch_spec, suggestions, reference, now)
            # Write into a temporary folder and rename, so a crash never leaves half a draft.
            staging = self._staging(conversation_id)
            try:
                (staging / "v1").mkdir()
                _write_files(draft, staging / "v1", author)
                for name in FILES:
                    shutil.copyfile(staging / "v1" / name, staging / name)
                os.chmod(staging, 0o750)
                os.replace(staging, self.root / reference)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            keys[key] = reference
            owners[reference] = owner
            return StoredDraft(reference, self.root / reference, True, 1, self.root / reference / "v1"), draft

    def _staging(self, conversation_id: str) -> Path:
        # Staging folders live in the drafts root, tagged by conversation (finsam/erasure.py
        # removes a crashed one); a rename moves them into place in one step.
        return Path(tempfile.mkdtemp(prefix=f".staging-{staging_tag(conversation_id)}-", dir=self.root))

    def _store_version(self, draft: dict, latest: StoredDraft, author: str, conversation_id: str) -> StoredDraft:
        folder = latest.folder
        if latest.version_folder is None:
            self._store_flat_as_v1(folder, self._staging(conversation_id))
        target = folder / f"v{draft['version']}"
        staging = self._staging(conversation_id)
        try:
            _write_files(draft, staging, author)
            os.chmod(staging, 0o750)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        stored = StoredDraft(latest.reference, folder, True, draft["version"], target)
        self._publish(stored)
        return stored

    @staticmethod
    def _store_flat_as_v1(folder: Path, staging: Path) -> None:
        for name in FILES:
            if (folder / name).exists():
                shutil.copyfile(folder / name, staging / name)
        os.chmod(staging, 0o750)
        os.replace(staging, folder / "v1")

    @staticmethod
    def _publish(stored: StoredDraft) -> None:
        """Make the folder's own draft.* this version (each file replaced atomically, JSON last)."""
        if stored.version_folder is None:
            return
        current = stored.folder / "draft.json"
        if current.exists() and current.read_bytes() == stored.json.read_bytes():
            return
        for name in FILES:
            tmp = stored.folder / f".{name}.tmp"
            try:
                shutil.copyfile(stored.version_folder / name, tmp)
                os.replace(tmp, stored.folder / name)
            except BaseException:  # disk full: no half copy stays; submitting again publishes
                tmp.unlink(missing_ok=True)
                raise
