"""The review file: unanswered questions the kansli marked "gör till exempel", for the developers to
turn into NLU data. Format: docs/review-file.md. Written atomically; the same question is kept once."""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from pathlib import Path

import yaml

from kansli.config import ROOT
from kansli.insight import REASONS, question_key
from kansli.knowledge_files import write_atomic

HEADER = ("# Obesvarade frågor som kansliet vill att boten ska kunna svara på (\"gör till exempel\").\n"
          "# Skrivs av kansliets arbetsyta; format och arbetsgång: docs/review-file.md.\n")
_lock = threading.Lock()


def review_path() -> Path:
    return Path(os.environ.get("KANSLI_REVIEW_FILE") or ROOT / "review" / "unanswered.yml")


def read(path: Path) -> list:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(data.get("examples") or [])


def add(path: Path, text: str, reason: str, week: str) -> bool:
    """Add one (already redacted) question; False when it is already in the file."""
    if reason not in REASONS:
        raise ValueError(reason)
    with _lock:
        examples = read(path)
        if any(question_key(e.get("text") or "") == question_key(text) for e in examples):
            return False
        examples.append({"text": text, "reason": reason, "week": week,
                         "added": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "intent": None})
        body = yaml.safe_dump({"version": 1, "examples": examples}, allow_unicode=True, sort_keys=False, width=100)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, HEADER + body)
        return True
