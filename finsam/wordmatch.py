"""Words as the project's Swedish spaCy pipeline reads them, and terms matched on them.

Pure module (no rasa_sdk), used by the pre-review. The pipeline
(models/sv_finsam_core_sm, relative to the repository root) is loaded once, on first
use. A term matches whole words by lemma or written form, lower-case and with å/ä/ö
folded; `behov*`, `*analys`, `*sjukskriv*` match parts of compounds, `följa upp`
several words in a row and `följa ... upp` with up to three words between (the syntax
is described in knowledge/prereview.yml).
"""
from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

PIPELINE_PATH = Path(__file__).resolve().parent.parent / "models" / "sv_finsam_core_sm"

_CLAUSE_PUNCT = set(".,;:!?()[]–—-•\n/")
GAP = 3  # words allowed for "..." in a term


def fold(text: str) -> str:
    """Lower-case and strip å/ä/ö accents, so 'utvardering' matches 'utvärdering'."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- the spaCy pipeline ----------------------------------------------------------------------

_nlp = None
_nlp_lock = threading.Lock()


def pipeline():
    """The project's spaCy pipeline, loaded once (the parser and NER are not needed here)."""
    global _nlp
    with _nlp_lock:
        if _nlp is None:
            import spacy

            _nlp = spacy.load(PIPELINE_PATH, exclude=["parser", "ner"])
        return _nlp


@dataclass(frozen=True)
class Word:
    keys: FrozenSet[str]  # folded lemma and written form (and the form without a genitive s)
    folded: str           # folded written form
    is_break: bool        # punctuation that ends a clause
    exact: FrozenSet[str] = frozenset()  # lemma and form, lower-case but not folded ("ingå" is not "inga")


def _word(text: str, lemma: str) -> Word:
    form, base = fold(text), fold(lemma)
    keys = {form, base}
    if form.endswith("s") and len(form) > 2:
        keys.add(form[:-1])  # genitive: Karlshamns, FKs
    if form.endswith(":s"):
        keys.add(form[:-2])
    is_break = not text.strip() or all(c in _CLAUSE_PUNCT for c in text.strip())
    return Word(frozenset(k for k in keys if k), form, is_break, frozenset({text.lower(), lemma.lower()}))


def tagged(texts: Sequence[str]) -> list:
    """The texts as spaCy Docs (tags and lemmas), through the pipeline in one batch."""
    nlp = pipeline()
    with _nlp_lock:  # spaCy pipelines are not guaranteed to be thread-safe
        return list(nlp.pipe(list(texts)))


def analyse(texts: Sequence[str]) -> List[List[Word]]:
    """Each text as a list of words, through the spaCy pipeline (one batch)."""
    nlp = pipeline()
    with _nlp_lock:  # spaCy pipelines are not guaranteed to be thread-safe
        docs = list(nlp.pipe([_tidy(t) for t in texts]))
    return [[_word(token.text, token.lemma_) for token in doc if not token.is_space or "\n" in token.text]
            for doc in docs]


def _tidy(text: str) -> str:
    # Dashes as one character, so "18–29" and "18 - 29" read alike; keep line breaks.
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\u2010-\u2015\u2212]", "-", text)


# --- terms ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    mode: str  # "exact", "prefix", "suffix", "contains" or "gap"
    stem: str


@lru_cache(maxsize=4096)
def compile_term(term: str) -> Tuple[Part, ...]:
    parts = []
    for piece in fold(term).split():
        if piece in ("...", "…"):
            parts.append(Part("gap", ""))
        elif piece.startswith("*") and piece.endswith("*") and len(piece) > 2:
            parts.append(Part("contains", piece[1:-1]))
        elif piece.endswith("*"):
            parts.append(Part("prefix", piece[:-1]))
        elif piece.startswith("*"):
            parts.append(Part("suffix", piece[1:]))
        else:
            parts.append(Part("exact", piece))
    return tuple(parts)


def _part_matches(part: Part, word: Word) -> bool:
    if part.mode == "exact":
        return part.stem in word.keys
    return _affix_matches(part, word.keys)


@lru_cache(maxsize=65536)
def _affix_matches(part: Part, keys: FrozenSet[str]) -> bool:
    # Cached: the same words come back again and again in a long answer.
    if part.mode == "prefix":
        return any(k.startswith(part.stem) for k in keys)
    if part.mode == "suffix":
        return any(k.endswith(part.stem) for k in keys)
    return any(part.stem in k for k in keys)


def match_at(parts: Tuple[Part, ...], words: Sequence[Word], start: int) -> Optional[int]:
    """End index (exclusive) of the term matched from words[start], or None."""
    position = start
    index = 0
    while index < len(parts):
        part = parts[index]
        if part.mode == "gap":
            following = parts[index + 1]
            for skip in range(GAP + 1):
                if position + skip < len(words) and _part_matches(following, words[position + skip]):
                    position += skip
                    break
            else:
                return None
            index += 1
            continue
        if position >= len(words) or not _part_matches(part, words[position]):
            return None
        position += 1
        index += 1
    return position


def find_terms(words: Sequence[Word], terms: Iterable[Tuple[Part, ...]]) -> List[Tuple[int, int]]:
    """Spans (start, end) of every term found in the words."""
    at: Dict[str, List[int]] = {}
    for index, word in enumerate(words):
        for key in word.keys:
            at.setdefault(key, []).append(index)
    spans = set()
    for parts in terms:
        # A term that starts with a whole word is tried only where that word stands.
        starts = at.get(parts[0].stem, []) if parts[0].mode == "exact" else range(len(words))
        for start in starts:
            end = match_at(parts, words, start)
            if end is not None:
                spans.add((start, end))
    return sorted(spans)


def clauses(words: Sequence[Word], breaks: Set[str]) -> List[Tuple[int, int]]:
    """Spans of the clauses: cut at punctuation and at the break words."""
    spans, start = [], 0
    for index, word in enumerate(words):
        if word.is_break or word.folded in breaks:
            if index > start:
                spans.append((start, index))
            start = index + 1 if word.is_break else index
    if start < len(words):
        spans.append((start, len(words)))
    return spans


def negated(words: Sequence[Word], span: Tuple[int, int], negation: dict) -> bool:
    """Whether a negation governs the span: a cue earlier in its clause ("ingen utvärdering",
    "vet inte hur vi ska mäta") or just after it ("huvudman är inte klart", "AF är inte med")."""
    # Cues are compared unfolded: "inga" is a negation, "ingå" is not.
    cues = {c.lower() for c in negation.get("cues", [])}
    cancel = {c.lower() for c in negation.get("cancelled_by_next", [])}
    breaks = {fold(b) for b in negation.get("clause_breaks", [])}
    after = int(negation.get("words_after", 2))
    for start, end in clauses(words, breaks):
        if start <= span[0] < end:
            for index in list(range(start, span[0])) + list(range(span[1], min(end, span[1] + after))):
                if words[index].exact & cues:
                    nxt = words[index + 1] if index + 1 < len(words) else None
                    if nxt is None or not (nxt.exact & cancel):
                        return True
            return False
    return False


def mentions(words: Sequence[Word], terms: Iterable[str], negation: Optional[dict] = None,
             unless: Iterable[str] = ()) -> bool:
    """Whether any term stands in the words (outside a negated clause, when negation is given,
    and not as part of a phrase in `unless`: "räknar med att" is no counting)."""
    compiled = [compile_term(t) for t in terms]
    idioms = find_terms(words, [compile_term(t) for t in unless])
    for span in find_terms(words, compiled):
        if any(start < span[1] and span[0] < end for start, end in idioms):
            continue
        if negation is None or not negated(words, span, negation):
            return True
    return False
