"""Draft idea sketch for the kansli: build it, write .docx/.md/.json, store it once.

Pure module (no rasa_sdk). Every user-written string is stored as text: Markdown is
escaped, Word gets plain runs (no fields), JSON is JSON.
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

from finsam.prereview import Suggestion
from finsam.redaction import redact_personnummer
from finsam.sketch import OPEN, clean_text

SCHEMA_VERSION = 1
DEFAULT_DRAFTS_DIR = Path(__file__).resolve().parent.parent / "drafts"
OPEN_TEXT = "Öppen fråga – inte besvarad ännu."
_REFERENCE = re.compile(r"^IDS-\d{8}-[A-Z2-7]{16}$")


def drafts_dir() -> Path:
    return Path(os.environ.get("DRAFTS_DIR") or DEFAULT_DRAFTS_DIR)


def new_reference(now: datetime) -> str:
    # 80 random bits in base32: unguessable, yet easy to read out on the phone.
    token = secrets.token_bytes(10)
    return f"IDS-{now:%Y%m%d}-{base64.b32encode(token).decode()}"


def is_reference(value: str) -> bool:
    return bool(_REFERENCE.match(value or ""))


def _text(value: Optional[str]) -> str:
    return redact_personnummer(clean_text(value or ""))[0]


def build_draft(answers: Mapping[str, Optional[str]], sketch_spec: dict, suggestions: List[Suggestion],
                reference: str, created: datetime) -> dict:
    """The draft as plain data: the one source for all three file formats."""
    questions = []
    for number, question in enumerate(sketch_spec["questions"], start=1):
        value = answers.get(question["slot"])
        is_open_answer = value in (None, "", OPEN)
        questions.append({
            "number": number,
            "id": question["slot"],
            "heading": " ".join(question["heading"].split()),
            "answer": None if is_open_answer else _text(value),
            "open": is_open_answer,
        })
    details = {d["slot"]: d["label"] for d in sketch_spec["details"]}

    def detail(slot: str) -> Optional[str]:
        value = answers.get(slot)
        return None if value in (None, "", OPEN) else _text(value)

    return {
        "schema_version": SCHEMA_VERSION,
        "reference": reference,
        "created": created.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "title": detail("title") or "Idéskiss utan arbetstitel",
        "contact": {
            "name": detail("contact_name"),
            "organisation": detail("organisation"),
            "role": detail("role"),
            "email": detail("email"),
        },
        "parties": detail("parties"),
        "labels": details,
        "questions": questions,
        "open_questions": [q["number"] for q in questions if q["open"]],
        "suggestions": [
            {"check": s.check, "text": s.text, "source": {"document": s.source_document, "section": s.source_section}}
            for s in suggestions
        ],
    }


def md_escape(text: str) -> str:
    """Escape Markdown and HTML so user text shows as typed and runs nothing."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_\[\]{}|#!])", r"\\\1", text)
    lines = []
    for line in text.split("\n"):
        # A leading "-", "+", "1." or "=" would turn a line into a list or heading.
        lines.append(re.sub(r"^(\s*)([-+=]|\d+\.)", r"\1\\\2", line))
    return "\n".join(lines)


def render_markdown(draft: dict) -> str:
    contact = draft["contact"]
    labels = draft["labels"]
    out = [
        f"# Idéskiss: {md_escape(draft['title'])}",
        "",
        f"- **Referens:** {draft['reference']}",
        f"- **Skapad:** {draft['created']}",
        f"- **{labels['contact_name']}:** {md_escape(contact['name'] or '–')}",
        f"- **{labels['organisation']}:** {md_escape(contact['organisation'] or '–')}",
        f"- **{labels['role']}:** {md_escape(contact['role'] or '–')}",
        f"- **{labels['email']}:** {md_escape(contact['email'] or '–')}",
        f"- **{labels['parties']}:** {md_escape(draft['parties'] or '–')}",
        "",
        "Utkast skrivet med förbundets idéskiss-assistent, för kansliets granskning.",
        "",
    ]
    for question in draft["questions"]:
        out += [f"## {question['number']}. {md_escape(question['heading'])}", ""]
        out += [f"*{OPEN_TEXT}*" if question["open"] else md_escape(question["answer"]), ""]
    out += ["## Förgranskning mot förbundets kriterier", ""]
    if draft["suggestions"]:
        out += ["Förslag att se över (inga hinder för att lämna in):", ""]
        out += [f"- {md_escape(s['text'])}" for s in draft["suggestions"]]
    else:
        out.append("Inga förslag: skissen berör alla kriterier som förgranskningen tittar på.")
    if draft["open_questions"]:
        numbers = ", ".join(str(n) for n in draft["open_questions"])
        out += ["", f"Öppna frågor: {numbers}."]
    return "\n".join(out) + "\n"


def write_docx(draft: dict, path: Path) -> None:
    from docx import Document

    document = Document()
    document.core_properties.title = f"Idéskiss: {draft['title']}"
    document.core_properties.subject = draft["reference"]
    document.add_heading(f"Idéskiss: {draft['title']}", level=0)
    labels = draft["labels"]
    contact = draft["contact"]
    table = document.add_table(rows=0, cols=2)
    table.style = "Light List Accent 1"
    for label, value in (
        ("Referens", draft["reference"]),
        ("Skapad", draft["created"]),
        (labels["contact_name"], contact["name"]),
        (labels["organisation"], contact["organisation"]),
        (labels["role"], contact["role"]),
        (labels["email"], contact["email"]),
        (labels["parties"], draft["parties"]),
    ):
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = value or "–"
    document.add_paragraph("Utkast skrivet med förbundets idéskiss-assistent, för kansliets granskning.")
    for question in draft["questions"]:
        document.add_heading(f"{question['number']}. {question['heading']}", level=1)
        if question["open"]:
            run = document.add_paragraph().add_run(OPEN_TEXT)
            run.italic = True
        else:
            for paragraph in question["answer"].split("\n"):
                document.add_paragraph(paragraph)
    document.add_heading("Förgranskning mot förbundets kriterier", level=1)
    if draft["suggestions"]:
        document.add_paragraph("Förslag att se över (inga hinder för att lämna in):")
        for suggestion in draft["suggestions"]:
            document.add_paragraph(suggestion["text"], style="List Bullet")
    else:
        document.add_paragraph("Inga förslag: skissen berör alla kriterier som förgranskningen tittar på.")
    if draft["open_questions"]:
        document.add_paragraph("Öppna frågor: " + ", ".join(str(n) for n in draft["open_questions"]) + ".")
    document.save(str(path))


@dataclass(frozen=True)
class StoredDraft:
    reference: str
    folder: Path
    created_now: bool

    @property
    def docx(self) -> Path:
        return self.folder / "draft.docx"

    @property
    def markdown(self) -> Path:
        return self.folder / "draft.md"

    @property
    def json(self) -> Path:
        return self.folder / "draft.json"


def staging_tag(conversation_id: str) -> str:
    """A short one-way tag of the conversation in its staging folder's name, so erasing a
    conversation can find a half-written draft left by a crash (finsam/erasure.py)."""
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:16]


def submission_key(conversation_id: str, answers: Mapping[str, Optional[str]]) -> str:
    """Same conversation and same answers: the same draft (double clicks, retries)."""
    canonical = json.dumps({"conversation": conversation_id, "answers": dict(answers)}, sort_keys=True,
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class DraftStore:
    """Drafts on disk, one folder per reference, written at most once per submission."""

    def __init__(self, root: Optional[Path] = None):
        self.root = Path(root or drafts_dir())

    @contextmanager
    def _locked_index(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".index.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            index_path = self.root / ".index.json"
            index: Dict[str, str] = json.loads(index_path.read_text()) if index_path.exists() else {}
            try:
                yield index
            finally:
                tmp = index_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(index, indent=1))
                os.replace(tmp, index_path)
                fcntl.flock(lock, fcntl.LOCK_UN)

    def find(self, reference: str) -> Optional[StoredDraft]:
        if not is_reference(reference):
            return None
        folder = self.root / reference
        return StoredDraft(reference, folder, False) if (folder / "draft.json").exists() else None

    def submit(self, conversation_id: str, answers: Mapping[str, Optional[str]], sketch_spec: dict,
               suggestions: List[Suggestion], now: Optional[datetime] = None) -> Tuple[StoredDraft, dict]:
        now = now or datetime.now(timezone.utc)
        key = submission_key(conversation_id, answers)
        with self._locked_index() as index:
            existing = self.find(index.get(key, ""))
            if existing:
                return existing, json.loads(existing.json.read_text(encoding="utf-8"))
            reference = new_reference(now)
            draft = build_draft(answers, sketch_spec, suggestions, reference, now)
            # Write into a temporary folder and rename, so a crash never leaves half a draft.
            staging = Path(tempfile.mkdtemp(prefix=f".staging-{staging_tag(conversation_id)}-", dir=self.root))
            try:
                write_docx(draft, staging / "draft.docx")
                (staging / "draft.md").write_text(render_markdown(draft), encoding="utf-8")
                (staging / "draft.json").write_text(json.dumps(draft, indent=2, ensure_ascii=False), encoding="utf-8")
                os.chmod(staging, 0o750)
                os.replace(staging, self.root / reference)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            index[key] = reference
            return StoredDraft(reference, self.root / reference, True), draft
