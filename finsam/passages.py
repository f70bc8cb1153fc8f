"""Grounded passage search: find the sentence or paragraph of a seed document that answers a question.

Pure module (no rasa_sdk). BM25 (rank-bm25) over the sentences and paragraphs of the documents in
knowledge/sources/, lemmatised through the project's own spaCy pipeline (models/sv_finsam_core_sm,
loaded once, lazily). Words are folded (å/ä→a, ö→o) because people type without them, and a short
stem is indexed too so that compounds and typos still meet ("utvarderingsplan" ~ "utvärdering").
No generative model: the bot quotes the passage word for word.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Sequence, Set, Tuple

from finsam.wordmatch import pipeline

ROOT = Path(__file__).resolve().parent.parent
STEM_LENGTH = 6

# Function words, question words and words that ask what a word means ("begreppet"), folded.
# Domain words ("beslut", "dag") stay searchable, which is why spaCy's own Swedish stop list is not used.
STOP_WORDS = set("""
a alla allt alltsa an and ar andra annan annat are as at att av bara blir bli borde bra da de dem den denna
denne dess dessa det detta dig din dina ditt do does du dar darfor e efter eftersom egentligen ej el eller en
er era ert ett for forst fran fa far finns ga gar gor gora ha hade han har hon hur i ibland icke in inte is
it ja jag kan kanske kunna lite man med mej men mer mig min mina mitt mot ma maste na nagon nagot nagra
nan nar nej ni nu nog och of ok oss om pa sa sadan sag sen ska skall skulle som sta star sig sin sina sitt
till the to typ upp ur ut utan va vad var vara vart vem vi vid vilka vilken vilket vill with what who how
when where which you your i'm me my we our can do is are it they de dom dom ju la sig hej tack nan ocksa
aven elr iaf hmm ens fick kommer betyder betyda menas mena menar innebar innebara forklara undrar
fraga fragor veta vet info information manga mycket via hos samma olika
begrepp begreppet begreppen definition definitionen definiera ordet orden termen uttrycket
""".split())

_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", "æ": "a", "ø": "o"})
_WORD = re.compile(r"[a-zåäöéü0-9]+", re.I)


def fold(word: str) -> str:
    return word.lower().translate(_FOLD)


@dataclass(frozen=True)
class Passage:
    document: str  # document id in sources.yml
    section: str
    text: str  # verbatim from the document (white space folded)
    kind: str  # "sentence" or "paragraph"


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # raw BM25
    coverage: float  # share of the question's idf weight that the passage contains (0..1)
    matched: Tuple[str, ...]  # the question's content terms found in the passage


def spacy_pipeline():
    """The project's Swedish pipeline, shared with the pre-review so the action server loads it once."""
    return pipeline()


@lru_cache(maxsize=2048)
def analyse(text: str) -> Tuple[Tuple[Tuple[str, ...], str], ...]:
    """One (terms, part of speech) per content word; terms are the folded surface form, lemma and stems."""
    words = []
    # "EU-medel", "insatsen/projektet": each part is a word of its own.
    for token in spacy_pipeline()(re.sub(r"[-/–]", " ", text)):
        surface = fold(token.text)
        if not _WORD.fullmatch(surface) or surface in STOP_WORDS:
            continue
        lemma = fold(token.lemma_ or token.text)
        terms: List[str] = []
        for term in (surface, lemma):
            if term in STOP_WORDS:
                continue
            for variant in (term, term[:STEM_LENGTH] + "~" if len(term) > STEM_LENGTH and not term.isdigit() else ""):
                if variant and variant not in terms:
                    terms.append(variant)
        if terms:
            words.append((tuple(terms), token.pos_))
    return tuple(words)


def content_words(text: str) -> List[Tuple[str, ...]]:
    """One group of terms per content word: its folded surface form, lemma and their stems."""
    return [terms for terms, _ in analyse(text)]


def content_terms(text: str) -> List[str]:
    """All index terms of a text, flattened."""
    return [term for word in content_words(text) for term in word]


def split_passages(document_id: str, text: str, headings: Sequence[str] = ()) -> List[Passage]:
    """Paragraphs and sentences (each bullet is a sentence) with the heading they stand under.

    A line equal to a heading opens its section and is left out; a line that starts with one
    ("Välkomna med ansökan senast …") opens the section and stays part of the text.
    """
    flat_headings = [" ".join(h.split()) for h in headings]
    blocks: List[Tuple[str, List[str]]] = []  # (section, lines) of each paragraph
    section = flat_headings[0] if flat_headings else ""
    for raw in re.split(r"\n\s*\n", text):
        lines: List[str] = []
        for line in raw.splitlines():
            flat = " ".join(line.split())
            match = next((h for h in flat_headings if flat.startswith(h)), None)
            if match:
                # A heading in the middle of a paragraph closes the text above it.
                blocks.append((section, lines))
                section, lines = match, []
                if flat == match:
                    continue
            if flat:
                lines.append(flat)
        blocks.append((section, lines))
    passages: List[Passage] = []
    for section, lines in blocks:
        paragraph = " ".join(lines)
        if not paragraph:
            continue
        pieces = [p.strip(" •") for p in re.split(r"\s*•\s*", paragraph) if p.strip(" •")]
        sentences: List[str] = []
        for piece in pieces:
            sentences.extend(s.strip() for s in re.split(r"(?<=[.!?;])\s+(?=[A-ZÅÄÖ0-9])", piece) if s.strip())
        if len(sentences) > 1:
            passages.append(Passage(document_id, section, paragraph.strip(" •"), "paragraph"))
        passages.extend(Passage(document_id, section, sentence, "sentence") for sentence in sentences
                        if len(sentence) >= 12)
    return passages


class PassageIndex:
    """BM25 over the passages of the seed documents."""

    def __init__(self, documents: Sequence[Tuple[str, str, Sequence[str]]]):
        from rank_bm25 import BM25Okapi

        self.passages: List[Passage] = []
        for document_id, text, headings in documents:
            self.passages.extend(split_passages(document_id, text, headings))
        # The heading is part of what a passage is about ("Individmål", "Målgrupper").
        self._terms = [content_terms(f"{p.section} {p.text}") for p in self.passages]
        self._bm25 = BM25Okapi(self._terms)
        self.vocabulary: Set[str] = {term for terms in self._terms for term in terms}

    def _idf(self, term: str) -> float:
        # Terms the documents never use weigh as much as the rarest one: they are what the
        # documents cannot answer.
        return max(self._bm25.idf.get(term, 0.0), 0.0) if term in self._bm25.idf else self._max_idf

    @property
    def _max_idf(self) -> float:
        return max(self._bm25.idf.values())

    def search(self, question: str, limit: int = 3) -> List[Hit]:
        words = content_words(question)
        terms = [term for word in words for term in word]
        if not terms:
            return []
        scores = self._bm25.get_scores(terms)
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], len(self.passages[i].text)))[:limit]
        # Each word weighs as its rarest form; a word counts as found when any of its forms is.
        weights = [max(self._idf(term) for term in word) for word in words]
        total = sum(weights) or 1.0
        hits = []
        for i in ranked:
            if scores[i] <= 0:
                continue
            present = set(self._terms[i])
            found = [n for n, word in enumerate(words) if present.intersection(word)]
            hits.append(Hit(self.passages[i], float(scores[i]), sum(weights[n] for n in found) / total,
                            tuple(words[n][0] for n in found)))
        return hits

    def knows(self, word: Tuple[str, ...]) -> bool:
        """Whether any form of the word stands in the documents."""
        return bool(self.vocabulary.intersection(word))

    def best(self, question: str) -> Optional[Hit]:
        hits = self.search(question, limit=1)
        return hits[0] if hits else None


_index_lock = threading.Lock()
_index_cache: dict = {}


def get_index(knowledge) -> PassageIndex:
    """The index for the knowledge base's documents, built once per set of document texts."""
    documents = tuple((doc.id, doc.text(), doc.sections) for doc in knowledge.documents.values())
    key = hash(documents)
    with _index_lock:
        if key not in _index_cache:
            _index_cache.clear()
            _index_cache[key] = PassageIndex(documents)
        return _index_cache[key]
