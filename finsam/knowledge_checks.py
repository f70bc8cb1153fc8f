"""The checks every fact in knowledge/ must pass, in one place for the tests and the kansli.

Pure module (no Rasa, no web): tests/test_knowledge.py runs them over the whole knowledge base,
the kansli workspace runs them on an answer before it is saved and on a newly uploaded source
document. Each check returns Swedish problems (empty list = all good), so the same text reaches
a test failure and the person editing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Dict, Iterable, List, Optional, Sequence, Set

from finsam.knowledge import KnowledgeBase, SourceRef, Topic

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")
DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4})\b")
YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")


def flat(text: str) -> str:
    """Quotes are compared with folded white space and typographic quotes unified."""
    return " ".join(text.replace("”", '"').replace("“", '"').split())


def numbers(text: str) -> List[str]:
    # "2003:1210" and "2003: 1210", "16–64" and "16-64", "14 miljoner" and "14 milj." are the same numbers.
    return re.findall(r"\d+", text)


def source_numbers(text: str) -> Set[str]:
    """Every number in a document, also with thousands written "14 000 000" joined up."""
    return set(numbers(text)) | set(numbers(re.sub(r"(?<=\d) (?=\d)", "", text)))


def answer_numbers(answer: str) -> List[str]:
    # "1) … 2) …" numbers a list; it is no fact.
    return numbers(re.sub(r"(?<![\d.])\d\)", "", answer))


@dataclass(frozen=True)
class Problem:
    topic: str
    message: str  # Swedish, for the person editing and the test output

    def __str__(self) -> str:
        return f"{self.topic}: {self.message}"


def quote_problems(topic_id: str, refs: Sequence[SourceRef], texts: Dict[str, str]) -> List[Problem]:
    """Each source's section heading and quote must stand in its document (texts: document id → text)."""
    problems = []
    for ref in refs:
        document = texts.get(ref.document)
        if document is None:
            problems.append(Problem(topic_id, f"dokumentet {ref.document!r} finns inte i sources.yml"))
            continue
        document = flat(document)
        if flat(ref.section) not in document:
            problems.append(Problem(topic_id, f"avsnittet ”{ref.section}” finns inte i {ref.document}"))
        if not ref.quote:
            problems.append(Problem(topic_id, "varje källa ska ha ett citat"))
        elif flat(ref.quote) not in document:
            problems.append(Problem(topic_id, f"citatet finns inte i {ref.document}: ”{flat(ref.quote)}”"))
    return problems


def number_problems(topic_id: str, answer: str, cited_texts: Iterable[str]) -> List[Problem]:
    """Every number in the answer must stand in a document the topic cites (guards against invented figures)."""
    known: Set[str] = set()
    for text in cited_texts:
        known |= source_numbers(text)
    missing = []
    for number in answer_numbers(answer):
        if number not in known and number not in missing:
            missing.append(number)
    if not missing:
        return []
    listed = ", ".join(missing)
    return [Problem(topic_id, f"talet {listed} står inte i källorna som ämnet hänvisar till" if len(missing) == 1
                    else f"talen {listed} står inte i källorna som ämnet hänvisar till")]


def document_texts(knowledge: KnowledgeBase) -> Dict[str, str]:
    return {doc_id: document.text() for doc_id, document in knowledge.documents.items()}


def topic_problems(knowledge: KnowledgeBase, topic: Topic, answer: Optional[str] = None,
                   texts: Optional[Dict[str, str]] = None) -> List[Problem]:
    """All checks for one topic, with a proposed new answer (answer=None: the stored one)."""
    texts = texts if texts is not None else document_texts(knowledge)
    answer = topic.answer if answer is None else answer
    problems = []
    if not answer.strip():
        problems.append(Problem(topic.id, "svaret är tomt"))
    problems += quote_problems(topic.id, topic.sources, texts)
    cited = [texts[d] for d in {ref.document for ref in topic.sources} if d in texts]
    problems += number_problems(topic.id, answer, cited)
    return problems


def knowledge_problems(knowledge: KnowledgeBase) -> List[Problem]:
    texts = document_texts(knowledge)
    return [p for topic in knowledge.topics for p in topic_problems(knowledge, topic, texts=texts)]


def broken_quotes(knowledge: KnowledgeBase, document_id: str, new_text: str) -> Dict[str, List[SourceRef]]:
    """Which topics' quotes from document_id would no longer stand if its text became new_text."""
    new = flat(new_text)
    broken: Dict[str, List[SourceRef]] = {}
    for topic in knowledge.topics:
        for ref in topic.sources:
            if ref.document == document_id and ref.quote and flat(ref.quote) not in new:
                broken.setdefault(topic.id, []).append(ref)
    return broken


# ------------------------------------------------------------------ stale dated facts
def stale_reasons(topic: Topic, today: Optional[date] = None) -> List[str]:
    """Why a dated fact looks out of date: a date in the answer that has passed, or a period naming
    only years before the current one. Swedish, shown on the kansli's knowledge page."""
    today = today or date.today()
    reasons = []
    text = " ".join(topic.answer.split())
    passed = []
    for day, month, year in DATE.findall(text):
        try:
            when = date(int(year), MONTHS.index(month) + 1, int(day))
        except ValueError:
            continue
        if when < today:
            passed.append(f"{day} {month} {year}")
    if passed:
        reasons.append("datum som har passerat: " + ", ".join(dict.fromkeys(passed)))
    years = [int(y) for y in YEAR.findall(topic.period or "")]
    if years and max(years) < today.year:
        reasons.append(f"perioden ({topic.period}) är äldre än {today.year}")
    return reasons
