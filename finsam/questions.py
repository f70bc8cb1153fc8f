"""The question set written from the seed documents (tests/data/questions.yml) and its split.

Two thirds may be trained on, one third is held out for `make eval-questions`. The split is a
hash of the question text, so it never moves when questions are added or reordered.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS_FILE = ROOT / "tests" / "data" / "questions.yml"
# Written blind from the seeds and faq.yml only; never trained on, all of it is a test.
BLIND_FILE = ROOT / "tests" / "data" / "questions_blind.yml"
# A third and a fourth writer's, the same way (C's first figures were read before any rule was changed
# for it, D's only after the last change of the session that added it).
BLIND_C_FILE = ROOT / "tests" / "data" / "questions_blind_c.yml"
BLIND_D_FILE = ROOT / "tests" / "data" / "questions_blind_d.yml"
BLIND_FILES = (BLIND_FILE, BLIND_C_FILE, BLIND_D_FILE)
NOT_IN_DOCUMENTS = "not_in_documents"


@dataclass(frozen=True)
class Question:
    text: str
    expect: str  # a topic intent or NOT_IN_DOCUMENTS
    document: str = ""
    section: str = ""
    source: str = ""  # the seed sentence the answer rests on, verbatim

    @property
    def heldout(self) -> bool:
        return is_heldout(self.text)


def is_heldout(text: str) -> bool:
    """One question in three, chosen by a stable hash of its text."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 3 == 0


def load_questions(path: Optional[Path] = None) -> List[Question]:
    data = yaml.safe_load(Path(path or QUESTIONS_FILE).read_text(encoding="utf-8"))
    questions = []
    for block in data["sections"]:
        for entry in block["questions"]:
            questions.append(Question(
                text=entry["q"], expect=entry["expect"],
                document=entry.get("document", block["document"]), section=block["section"],
                source=entry["source"],
            ))
    questions.extend(Question(text=text, expect=NOT_IN_DOCUMENTS) for text in data["not_in_documents"])
    return questions


def training_questions(questions: List[Question]) -> List[Question]:
    return [q for q in questions if not q.heldout]


def heldout_questions(questions: List[Question]) -> List[Question]:
    return [q for q in questions if q.heldout]
