"""Read and change knowledge/faq.yml for the kansli: one topic's answer and quotes, written atomically.

The file is rewritten with ruamel.yaml's round trip, so comments and every other topic stay byte for
byte as they were; the new text is read back with PyYAML (as the bot reads it) before the file is
replaced. The bot picks the change up on its next question (finsam.knowledge.get_knowledge re-reads
a file whose mtime changed), no restart and no retraining.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import yaml

from finsam.knowledge import DEFAULT_KNOWLEDGE_DIR, normalise_space

_write_lock = threading.Lock()
FOLD_WIDTH = 82  # characters of text per line, as in faq.yml


class StaleEdit(ValueError):
    """The topic changed on disk after the editor opened it."""


def knowledge_dir() -> Path:
    return Path(os.environ.get("KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR)


@dataclass(frozen=True)
class TopicText:
    """What the kansli edits in one topic: the answer and one quote per source (in order)."""
    answer: str
    quotes: List[str]
    # Where the file broke each text's lines (answer first, then the quotes), so an undo writes the
    # file back byte for byte. Not part of the text: two TopicTexts with other line breaks are equal.
    folds: Optional[List[Optional[dict]]] = field(default=None, compare=False)  # [{"style", "folds"}]

    def fingerprint(self) -> str:
        return hashlib.sha256(repr((self.answer, self.quotes)).encode("utf-8")).hexdigest()[:16]

    def as_dict(self) -> dict:
        return {"answer": self.answer, "quotes": list(self.quotes), "folds": self.folds}

    @classmethod
    def from_dict(cls, data: dict) -> TopicText:
        return cls(answer=data["answer"], quotes=list(data.get("quotes") or []), folds=data.get("folds"))


def clean(text: str) -> str:
    """One space between words, paragraphs kept (as the bot shows it)."""
    return normalise_space((text or "").replace("\r\n", "\n").replace("\r", "\n"))


def _yaml():
    from ruamel.yaml import YAML

    handler = YAML()
    handler.preserve_quotes = True
    handler.width = 4096  # keep the existing line breaks of every other text
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


def _folded(text: str):
    """A `>-` block wrapped greedily at FOLD_WIDTH characters, like the hand-written ones."""
    from ruamel.yaml.scalarstring import FoldedScalarString

    scalar = FoldedScalarString(text)
    folds, start, last_space = [], 0, None
    for i, char in enumerate(text + " "):
        if i < len(text) and char == "\n":
            start, last_space = i + 1, None
        elif char == " ":
            if last_space is not None and i - start > FOLD_WIDTH:
                folds.append(last_space)
                start = last_space + 1
            last_space = i if i < len(text) and text[i - 1] != " " and text[i + 1:i + 2] not in ("", " ", "\n") \
                else last_space
    scalar.fold_pos = folds
    return scalar


def _layout(scalar) -> dict:
    """How a text stands in the file: its YAML style and, for `>-` blocks, where its lines break."""
    return {"style": type(scalar).__name__, "folds": list(getattr(scalar, "fold_pos", None) or [])}


def _scalar(text: str, layout: Optional[dict]):
    """The text in the layout it had (an undo), else as a new `>-` block."""
    from ruamel.yaml import scalarstring

    style = (layout or {}).get("style")
    if style == "str" and "\n" not in text:
        return text
    if style == "FoldedScalarString":
        folds = layout.get("folds") or []
        if all(0 < i < len(text) - 1 and text[i] == " " and text[i - 1] != " " and text[i + 1] not in " \n"
               for i in folds):
            scalar = scalarstring.FoldedScalarString(text)
            scalar.fold_pos = list(folds)
            return scalar
    elif style in ("DoubleQuotedScalarString", "SingleQuotedScalarString", "LiteralScalarString"):
        return getattr(scalarstring, style)(text)
    return _folded(text)


def _set(mapping, key: str, value) -> None:
    # ruamel's CommentedMap gives a plain str the style of the value it replaces; an undo needs the
    # style the text had, so the ordered dict underneath is set directly.
    from ruamel.yaml.compat import ordereddict

    ordereddict.__setitem__(mapping, key, value)


def read_topic(directory: Path, topic_id: str) -> Optional[TopicText]:
    data = yaml.safe_load((Path(directory) / "faq.yml").read_text(encoding="utf-8")) or {}
    for entry in data.get("topics") or []:
        if entry.get("id") == topic_id:
            return TopicText(answer=clean(entry.get("answer") or ""),
                             quotes=[clean(s.get("quote") or "") for s in entry.get("sources") or []])
    return None


def write_atomic(path: Path, text: str) -> None:
    """Write beside the file, flush to disk, then rename over it: a reader sees the old or the new file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_topic(directory: Path, topic_id: str, new: TopicText, expected: Optional[str] = None) -> TopicText:
    """Replace the topic's answer and quotes; returns the text before. expected: the fingerprint the
    editor saw (StaleEdit when someone saved in between)."""
    path = Path(directory) / "faq.yml"
    with _write_lock:
        before = read_topic(directory, topic_id)
        if before is None:
            raise KeyError(topic_id)
        if expected and before.fingerprint() != expected:
            raise StaleEdit(topic_id)
        if len(new.quotes) != len(before.quotes):
            raise ValueError("antalet citat stämmer inte med ämnets källor")
        handler = _yaml()
        data = handler.load(path.read_text(encoding="utf-8"))
        entry = next(e for e in data["topics"] if e.get("id") == topic_id)
        scalars = [entry["answer"]] + [source.get("quote") or "" for source in entry["sources"]]
        before = TopicText(before.answer, before.quotes, folds=[_layout(x) for x in scalars])
        layouts = list(new.folds or []) + [None] * len(scalars)
        if clean(entry["answer"]) != new.answer:
            _set(entry, "answer", _scalar(new.answer, layouts[0]))
        for n, (source, quote) in enumerate(zip(entry["sources"], new.quotes, strict=True)):
            if clean(source.get("quote") or "") != quote:
                _set(source, "quote", _scalar(quote, layouts[n + 1]))
        out = io.StringIO()
        handler.dump(data, out)
        text = out.getvalue()
        # Read back as the bot reads it before anything is replaced.
        check = next(e for e in yaml.safe_load(text)["topics"] if e.get("id") == topic_id)
        if clean(check["answer"]) != new.answer or [clean(s.get("quote") or "") for s in check["sources"]] \
                != new.quotes:
            raise ValueError("faq.yml kunde inte skrivas om utan att ändra texten")
        write_atomic(path, text)
        return before
