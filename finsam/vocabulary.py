"""The words the bot knows, for the answer decision (finsam.answering): the documents, the topics
and the NLU examples per intent; which words of a question are unknown, outside a topic, or name
another topic's subject. Pure module (no rasa_sdk).
"""
from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Dict, List, Sequence, Set, Tuple

from finsam.knowledge import KnowledgeBase
from finsam.nlu_examples import NLU_DIR, examples_by_intent
from finsam.passages import STEM_LENGTH, STOP_WORDS, PassageIndex, fold

NAMING = {"NOUN", "PROPN"}  # a question names what it is about with a noun ("parkering", "ordförande")
UNKNOWN_MIN_LENGTH = 4
MISREAD_AS_NAMING = NAMING | {"VERB"}  # the small tagger reads unknown compounds ("laddstolpar") as verbs
SPECIFIC_LENGTH = 6  # a noun this long that only a topic or two use names what those topics are about ...
SPECIFIC_OWNERS = 2  # ... ("postadressen": the contact details and where to send, not the förbund's purpose)
# Nouns of quantity name a share of something else ("resten av pengarna", "hälften av deltagarna"):
# that something is the subject, so the bot not knowing the quantity word says nothing.
QUANTITY_NOUNS = set("""rest resten hälft hälften halva halvan del delen andel andelen majoritet majoriteten
merpart merparten huvuddel huvuddelen mängd mängden minoritet minoriteten återstod återstoden""".split())
NOT_COVERED = {"ask_not_covered": "not_in_documents", "out_of_scope": "out_of_scope"}

# A short name the bot has never seen: an abbreviation in capitals ("ESF", "CSN") or the first
# part of a hyphenated compound ("eu-medel"). Too short for the noun check, but just as much
# something the documents do not cover.
ABBREVIATION = re.compile(r"(?<![\w-])(?:([A-ZÅÄÖ]{2,5})(?![\w-])|([A-Za-zÅÄÖåäö]{2,4})-(?=[A-Za-zÅÄÖåäö]{3,}))")


_QUANTITY = {fold(word) for word in QUANTITY_NOUNS}
# A year, not an amount or a count ("2000 kr", "2000 deltagare").
YEAR = re.compile(r"\b(?:19|20)\d\d\b(?!\s*(?:kr\b|kronor|sek\b|tkr|euro|:-|st\b|personer|deltagare|timmar))")


def words_of(text: str) -> List[str]:
    return re.findall(r"[a-z0-9åäöéü']+", text.lower())


def terms_of(text: str) -> Set[str]:
    terms = set()
    for word in words_of(text):
        word = fold(word)
        terms.add(word)
        if len(word) > STEM_LENGTH:
            terms.add(word[:STEM_LENGTH] + "~")
    return terms


class Vocabulary:
    """The words the bot knows: the documents, the topics and the NLU examples per intent."""

    def __init__(self, knowledge: KnowledgeBase, index: PassageIndex, nlu_dir: Path = NLU_DIR):
        self.known: Set[str] = set(index.vocabulary)
        # The years the documents speak of: a question about another year asks about what they do not cover.
        self.years: Set[str] = {year for year in index.vocabulary if YEAR.fullmatch(year)}
        self.by_intent: Dict[str, Set[str]] = {}
        self.topic_intents = [topic.intent for topic in knowledge.topics]
        for topic in knowledge.topics:
            text = " ".join([topic.title, topic.answer] + [ref.quote for ref in topic.sources])
            self.by_intent.setdefault(topic.intent, set()).update(terms_of(text))
        for intent, examples in examples_by_intent(annotations="keep", nlu_dir=nlu_dir).items():
            self.by_intent.setdefault(intent, set()).update(terms_of(" ".join(examples)))
        for intent, terms in self.by_intent.items():
            # Examples of what the documents do not answer teach no word the documents know.
            if intent not in NOT_COVERED:
                self.known.update(terms)
        # A name counts as known only where the documents or a topic use it: a sketch answer's "vi vill
        # arbeta med IPS" does not make IPS something the documents speak of.
        self.subject_known: Set[str] = set(index.vocabulary)
        for intent in self.topic_intents:
            self.subject_known.update(self.by_intent[intent])
        self._compounds = [w for w in self.known if w.isalpha() and len(w) > UNKNOWN_MIN_LENGTH]

    def unknown(self, words: Sequence[Tuple[Tuple[str, ...], str]]) -> List[Tuple[str, str]]:
        """(word, part of speech) of the nouns and verbs that neither the documents nor the examples of
        any answerable topic use."""
        return [(terms[0], pos) for terms, pos in words if pos in MISREAD_AS_NAMING
                and len(terms[0]) >= UNKNOWN_MIN_LENGTH and not _QUANTITY.intersection(terms)
                and terms[0].isalpha() and not self.known.intersection(terms)
                and not self.compound_tail(terms)]

    def compound_tail(self, terms: Sequence[str]) -> bool:
        """A word the documents use as the last part of a compound ("brister" in "samverkansbrister")."""
        tails = [t for t in terms if t.isalpha() and len(t) >= UNKNOWN_MIN_LENGTH]
        return any(word.endswith(tail) for tail in tails for word in self._compounds)

    def unknown_years(self, text: str) -> List[str]:
        """Years the documents never mention ("nästa möte 2027")."""
        return [year for year in YEAR.findall(text) if year not in self.years]

    def unknown_abbreviations(self, text: str) -> List[str]:
        """Abbreviations and compound prefixes ("EU-medel") that neither the documents nor the topics use."""
        found = []
        for match in ABBREVIATION.finditer(text):
            word = fold(match.group(1) or match.group(2))
            if word not in self.subject_known and word not in STOP_WORDS:
                found.append(word)
        return found

    def outside_topic(self, words: Sequence[Tuple[Tuple[str, ...], str]], intent: str) -> List[str]:
        """Nouns of the question that neither the topic's answer nor its examples use."""
        return [terms[0] for terms in self._nouns_outside(words, intent)]

    def owners_elsewhere(self, words: Sequence[Tuple[Tuple[str, ...], str]], intent: str,
                         names_count: bool = False) -> List[str]:
        """The other topics that own a noun of the question which this topic never uses: a specific
        noun (SPECIFIC_LENGTH letters, used by at most SPECIFIC_OWNERS topics) names their subject.
        The owner must use the word itself (form or lemma): a shared six-letter stem makes a word
        specific, but "färdigtänkt" is not about where to send a "färdig" application."""
        owners: List[str] = []
        # A name says where the asker is ("kan vi bygga vidare på nåt vi redan kör i Ronneby?"), not what the
        # question is about; unless the question asks how much (`names_count`): "hur mycket betalar Ronneby".
        named = [(terms, pos) for terms, pos in words if names_count or pos != "PROPN"]
        for terms in self._nouns_outside(named, intent):
            if len(terms[0]) < SPECIFIC_LENGTH:
                continue
            users = [other for other in self.topic_intents if self.by_intent[other].intersection(terms)]
            if 0 < len(users) <= SPECIFIC_OWNERS:
                words_themselves = [term for term in terms if not term.endswith("~")]
                owners += [other for other in users
                           if other not in owners and self.by_intent[other].intersection(words_themselves)]
        return owners

    def _nouns_outside(self, words: Sequence[Tuple[Tuple[str, ...], str]], intent: str) -> List[Tuple[str, ...]]:
        own = self.by_intent.get(intent, set())
        return [terms for terms, pos in words if pos in NAMING and not own.intersection(terms)]

    def shares_word(self, words: Sequence[Tuple[str, ...]], intent: str) -> bool:
        terms = self.by_intent.get(intent, set())
        return any(terms.intersection(w) for w in words)


_vocabulary_lock = threading.Lock()
_vocabulary_cache: Dict[int, Vocabulary] = {}


def get_vocabulary(knowledge: KnowledgeBase, index: PassageIndex) -> Vocabulary:
    key = id(knowledge) ^ id(index)
    with _vocabulary_lock:
        if key not in _vocabulary_cache:
            _vocabulary_cache.clear()
            _vocabulary_cache[key] = Vocabulary(knowledge, index)
        return _vocabulary_cache[key]
