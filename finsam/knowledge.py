"""The förbund's knowledge base: load the YAML in knowledge/ and render answers.

Pure module (no rasa_sdk). The files are re-read when they change on disk, so an
edited deadline is live on the next question without a restart or retraining.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
KNOWLEDGE_FILES = ("sources.yml", "faq.yml", "messages.yml", "idea_sketch.yml", "prereview.yml")


class KnowledgeError(ValueError):
    """The knowledge files are inconsistent (a broken reference or a missing field)."""


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    publisher: str
    path: Path
    web: str = ""
    year: str = ""
    sections: Tuple[str, ...] = ()

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class SourceRef:
    document: str
    section: str
    quote: str = ""


@dataclass(frozen=True)
class Topic:
    id: str
    intent: str
    title: str
    answer: str
    sources: Tuple[SourceRef, ...]
    period: str = ""


@dataclass
class KnowledgeBase:
    documents: Dict[str, Document]
    topics: List[Topic]
    messages: Dict[str, str]
    idea_sketch: dict
    prereview: dict
    _by_intent: Dict[str, Topic] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_intent = {topic.intent: topic for topic in self.topics}

    @property
    def intents(self) -> List[str]:
        return [topic.intent for topic in self.topics]

    def topic_for_intent(self, intent: Optional[str]) -> Optional[Topic]:
        return self._by_intent.get(intent or "")

    def topic_by_id(self, topic_id: Optional[str]) -> Optional[Topic]:
        return next((topic for topic in self.topics if topic.id == topic_id), None)

    def document_label(self, document_id: str) -> str:
        """The document's title and year, as the bot names it beside a quoted passage."""
        document = self.documents[document_id]
        return f"{document.title} ({document.publisher}, {document.year})" if document.year \
            else f"{document.title} ({document.publisher})"

    def source_line(self, topic: Topic) -> str:
        """One short line naming where the answer comes from."""
        parts = []
        seen = set()
        for ref in topic.sources:
            key = (ref.document, ref.section)
            if key in seen:
                continue
            seen.add(key)
            document = self.documents[ref.document]
            parts.append(f"{document.title}, avsnittet ”{ref.section.rstrip(' ?.').strip()}”")
        line = "Källa: " + "; ".join(parts) + f" ({self.documents[topic.sources[0].document].publisher})."
        if topic.period:
            line += f" Uppgiften gäller {topic.period}."
        return line

    def render_answer(self, topic: Topic) -> str:
        return f"{normalise_space(topic.answer)}\n\n{self.source_line(topic)}"

    def message(self, key: str) -> str:
        """A fixed message from messages.yml with the kansli contact filled in."""
        try:
            template = self.messages[key]
        except KeyError as error:
            raise KnowledgeError(f"messages.yml saknar nyckeln {key!r}") from error
        return normalise_space(template).replace("{kansli}", normalise_space(self.messages["kansli"]))


def normalise_space(text: str) -> str:
    """Fold runs of spaces; keep paragraph breaks."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _require(entry: dict, key: str, where: str):
    if key not in entry or entry[key] in (None, ""):
        raise KnowledgeError(f"{where}: fältet {key!r} saknas")
    return entry[key]


def load_knowledge(directory: Path = DEFAULT_KNOWLEDGE_DIR) -> KnowledgeBase:
    directory = Path(directory)

    def read(name: str) -> dict:
        with open(directory / name, encoding="utf-8") as handle:
            return yaml.safe_load(handle) or {}

    documents = {}
    for doc_id, entry in read("sources.yml")["documents"].items():
        documents[doc_id] = Document(
            id=doc_id,
            title=_require(entry, "title", f"sources.yml/{doc_id}"),
            publisher=_require(entry, "publisher", f"sources.yml/{doc_id}"),
            path=directory / _require(entry, "file", f"sources.yml/{doc_id}"),
            web=entry.get("web", ""),
            year=str(entry.get("year", "") or ""),
            sections=tuple(entry.get("sections") or ()),
        )

    topics = []
    for entry in read("faq.yml")["topics"]:
        where = f"faq.yml/{entry.get('id', '?')}"
        refs = tuple(
            SourceRef(document=_require(s, "document", where), section=_require(s, "section", where),
                      quote=s.get("quote", ""))
            for s in _require(entry, "sources", where)
        )
        for ref in refs:
            if ref.document not in documents:
                raise KnowledgeError(f"{where}: okänt dokument {ref.document!r}")
        topics.append(Topic(
            id=_require(entry, "id", where), intent=_require(entry, "intent", where),
            title=_require(entry, "title", where), answer=_require(entry, "answer", where),
            sources=refs, period=entry.get("period", "") or "",
        ))
    intents = [t.intent for t in topics]
    if len(set(intents)) != len(intents):
        raise KnowledgeError("faq.yml: två ämnen har samma intent")

    return KnowledgeBase(
        documents=documents,
        topics=topics,
        messages=read("messages.yml"),
        idea_sketch=read("idea_sketch.yml"),
        prereview=read("prereview.yml"),
    )


_cache_lock = threading.Lock()
_cache: Dict[Path, Tuple[tuple, KnowledgeBase]] = {}
# The stamp of a broken version already logged, so the error is logged once, not per question.
_failed: Dict[Path, Optional[tuple]] = {}
logger = logging.getLogger(__name__)


def _stamp(directory: Path) -> tuple:
    return tuple(os.stat(directory / name).st_mtime_ns for name in KNOWLEDGE_FILES)


def get_knowledge(directory: Optional[Path] = None) -> KnowledgeBase:
    """The knowledge base, re-read only when one of its files has changed.

    A typo in an edited file must not take the bot down: the last good knowledge base
    keeps serving and the error is logged (once per broken version) until the file is
    fixed. `make check` shows the same error with file and line before anyone saves.
    """
    directory = Path(directory or os.environ.get("KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR)
    with _cache_lock:
        cached = _cache.get(directory)
        try:
            stamp = _stamp(directory)
        except OSError as error:  # a file missing, e.g. while an editor saves it
            if cached is None:
                raise
            return _keep_last_good(directory, cached, None, error)
        if cached and cached[0] == stamp:
            return cached[1]
        if cached and _failed.get(directory, ()) == stamp:
            return cached[1]
        try:
            knowledge = load_knowledge(directory)
        except (OSError, yaml.YAMLError, KnowledgeError, KeyError, TypeError, AttributeError, ValueError) as error:
            if cached is None:
                raise
            return _keep_last_good(directory, cached, stamp, error)
        _cache[directory] = (stamp, knowledge)
        _failed.pop(directory, None)
        return knowledge


def _keep_last_good(directory: Path, cached: Tuple[tuple, KnowledgeBase], stamp: Optional[tuple],
                    error: Exception) -> KnowledgeBase:
    if directory not in _failed or _failed[directory] != stamp:
        logger.error("KUNSKAPSBASEN ÄR TRASIG – boten svarar med den senast fungerande versionen tills "
                     "felet är rättat (kör `make check`). %s: %s", directory, error)
    _failed[directory] = stamp
    return cached[1]
