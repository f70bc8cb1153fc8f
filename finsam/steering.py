"""Whether a message that reads as steering the idea-sketch form says nothing else.

The model reads "Gå tillbaka till studier" (a title) as "go back", "Hej framtid" as a greeting and
"Vi vill ändra hur handläggarna samarbetar" as "I want to change an answer": their first words are
steering words. A steering message names only what steering messages name ("gå tillbaka till förra
frågan", "ändra svaret om målgruppen"). A noun that no steering example uses but the pipeline's
Swedish lexicon or the förbund's texts know ("studier", "framtid", "handläggarna") is what an answer
is about. Only nouns count, so a steering message may use any verb or adverb ("jag vill justera ett
tidigare svar"), and only real words, so "tjenare" or "heeej" (which the small tagger calls nouns)
stay greetings. Pure module (no rasa_sdk).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, Iterable, List, Optional

from finsam.nlu_examples import examples_by_intent
from finsam.wordmatch import fold, pipeline, tagged

ROOT = Path(__file__).resolve().parent.parent
# The förbund's own words that a general lexicon lacks ("utanförskap", "samverkansprojekt").
KNOWLEDGE_TEXTS = ("knowledge/sources/*.txt", "knowledge/faq.yml", "knowledge/idea_sketch.yml")
# The intents a message steers the form with; their examples' words are the steering vocabulary.
STEERING_INTENTS = frozenset({
    "greet", "goodbye", "thank", "affirm", "deny", "sketch_resume", "sketch_back", "sketch_restart", "stop",
    "skip_question", "confirm_submit", "edit_answer"})
# Questions about the bot or privacy, with words of their own ("handläggare"), and "I have an idea",
# said in words of the field ("förslag", "samverkan"): neither side.
NEITHER = frozenset({"bot_challenge", "ask_capabilities", "ask_privacy", "erase_my_data", "start_sketch"})
NAMING = frozenset({"NOUN", "PROPN"})
# Shorter words are abbreviations or function words; they tell too little.
CONTENT_LENGTH = 4
# From this length an unknown word one typing slip away from a steering word is that word ("tilbaka").
TYPO_LENGTH = 5


@dataclass(frozen=True)
class Words:
    steering: FrozenSet[str]  # folded forms and lemmas of the steering examples, without the fields they name
    fields: FrozenSet[str]    # the same of the field names ("målgruppen", "samverkan")
    content: FrozenSet[str]   # folded forms and lemmas of the questions, sketch answers and the förbund's texts


_WORDS_LOCK = threading.Lock()
_words: Optional[Words] = None
def keys_of(texts: Iterable[str]) -> FrozenSet[str]:
    docs = tagged(list(texts))
    return frozenset({fold(token.text) for doc in docs for token in doc}
                     | {fold(token.lemma_) for doc in docs for token in doc})


def _knowledge_lines() -> List[str]:
    lines: List[str] = []
    for pattern in KNOWLEDGE_TEXTS:
        for path in sorted(ROOT.glob(pattern)):
            lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def words() -> Words:
    """The steering, field and content vocabularies, read from the NLU data and the knowledge once."""
    global _words
    from finsam.sketch import FIELD_WORDS  # finsam.sketch imports this module

    with _WORDS_LOCK:
        if _words is None:
            # Without what the entities name: the field names are words of their own (Words.fields), as
            # "samverkan" steers in "ändra samverkan" but not in "tack vare samverkan".
            examples = examples_by_intent(annotations="drop")
            steering = [text for intent in STEERING_INTENTS for text in examples.get(intent, [])]
            fields = [word for names in FIELD_WORDS.values() for word in names]
            content = [text for intent, texts in examples.items()
                       if intent not in STEERING_INTENTS | NEITHER for text in texts]
            _words = Words(keys_of(steering), keys_of(fields), keys_of(content + _knowledge_lines()))
        return _words


def _one_slip(word: str, known: str) -> bool:
    """One letter left out, added or changed, or two neighbours swapped."""
    if len(word) == len(known):
        differ = [i for i, (a, b) in enumerate(zip(word, known, strict=True)) if a != b]
        return len(differ) == 1 or (len(differ) == 2 and differ[1] == differ[0] + 1
                                    and word[differ[0]] == known[differ[1]] and word[differ[1]] == known[differ[0]])
    if abs(len(word) - len(known)) != 1:
        return False
    shorter, longer = sorted((word, known), key=len)
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


@lru_cache(maxsize=1)
def _lexicon_forms() -> FrozenSet[str]:
    """Every written form the pipeline's lemma lexicon and lookup table know."""
    nlp = pipeline()
    if "lemma_lookup_backoff" not in nlp.pipe_names:
        return frozenset()
    backoff = nlp.get_pipe("lemma_lookup_backoff")
    return frozenset(backoff.table) | frozenset(key.split("\t", 1)[0] for key in backoff.lexicon)


def content_nouns(text: str, fields_steer: bool = False, names: bool = True,
                  steering: Optional[FrozenSet[str]] = None) -> List[str]:
    """The nouns of the message that answers use and steering messages do not.

    fields_steer: the message moves between the questions ("tillbaka till frågan om bakgrunden"), so the
    field names are steering words. names: proper nouns count ("Gå vidare Olofström"); not in a greeting
    ("Hej igen, det är Anna"). steering: a steering vocabulary in place of the NLU data's (for the
    leave-one-out figures).
    """
    vocabulary = words()
    steering = vocabulary.steering if steering is None else steering
    if fields_steer:
        steering = steering | vocabulary.fields
    # The pipeline's lemma lexicon (from the Swedish training data) tells real words from "heeej".
    lexicon = _lexicon_forms()
    [doc] = tagged([text or ""])
    content = []
    for token in doc:
        form, lemma = fold(token.text), fold(token.lemma_)
        if token.pos_ not in NAMING or len(form) < CONTENT_LENGTH or form in steering or lemma in steering:
            continue
        if token.pos_ == "PROPN" and not names:
            continue
        in_lexicon = token.text in lexicon or token.lower_ in lexicon or token.lemma_ in lexicon
        if not (in_lexicon or form in vocabulary.content or lemma in vocabulary.content):
            continue
        if not in_lexicon and len(form) >= TYPO_LENGTH and any(
                _one_slip(form, known) for known in steering if len(known) >= TYPO_LENGTH):
            continue
        content.append(form)
    return content
