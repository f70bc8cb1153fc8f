"""Pre-review of an idea sketch against the förbund's criteria (knowledge/prereview.yml).

Pure module (no rasa_sdk). Returns friendly suggestions, never a verdict: the kansli
decides. Each suggestion names the answer (slot) it concerns.

Words are read through the project's own Swedish spaCy pipeline
(models/sv_finsam_core_sm), loaded once, on first use: a term matches a whole word by
its lemma or its written form, never a piece of another word unless the rule says so
(see the header of knowledge/prereview.yml). The member parties come from
knowledge/parties.yml; each of Blekinge's municipalities is its own party.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

import yaml

from finsam.sketch import is_open
from finsam.wordmatch import Part, Word, analyse, compile_term, find_terms, fold, match_at, mentions, negated, pipeline

# analyse, fold and pipeline are part of this module's interface (tests, scripts/eval_prereview.py).
__all__ = ["Suggestion", "review", "parties_named", "parties_to_confirm", "ages_mentioned", "ages_outside",
           "load_parties",
           "analyse", "fold", "pipeline", "mentions", "Word"]

logger = logging.getLogger(__name__)

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"


@dataclass(frozen=True)
class Suggestion:
    check: str
    text: str
    source_document: str
    source_section: str
    slot: str = ""  # the answer the suggestion belongs to


# --- parties -------------------------------------------------------------------------------

_parties_cache: Dict[Path, Tuple[int, dict]] = {}


def load_parties(directory: Optional[Path] = None) -> dict:
    """knowledge/parties.yml, re-read when it changes (like the rest of the knowledge base)."""
    directory = Path(directory or os.environ.get("KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR)
    path = directory / "parties.yml"
    stamp = os.stat(path).st_mtime_ns
    cached = _parties_cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if not isinstance(data, dict) or not isinstance(data.get("parties"), list):
            raise ValueError("parties.yml: listan 'parties' saknas")
    except (yaml.YAMLError, ValueError) as error:
        if cached is None:
            raise
        # A typo in the file must not stop the bot: keep the last good list, say so loudly.
        logger.error("Kunde inte läsa %s, använder den senaste fungerande versionen: %s", path, error)
        return cached[1]
    _parties_cache[path] = (stamp, data)
    return data


def parties_to_confirm(parties: dict) -> List[dict]:
    """The parties the kansli has not confirmed yet (`confirmed` is not true), for `make check`."""
    return [party for party in parties.get("parties", []) if party.get("confirmed") is not True]


def parties_named(words: Sequence[Word], parties: dict, negation: Optional[dict] = None) -> List[str]:
    """The member parties the words name (ids from parties.yml), each once.

    Named municipalities count one each; an unnamed "kommunen" counts as one municipality
    and "kommunerna" as two, but only when fewer municipalities are named.
    """
    places = {fold(p) for p in parties.get("place_prepositions", [])}
    unnamed = parties.get("unnamed_municipality", {})
    singular = [compile_term(t) for t in unnamed.get("singular", []) + unnamed.get("services", [])]
    plural = [compile_term(t) for t in unnamed.get("plural", [])]

    # Place names first, left to right: "i Karlshamn och Sölvesborg" names two places.
    place_name_terms = [compile_term(n) for party in parties["parties"] if party.get("kind") == "municipality"
                        for n in party["names"] if len(n.split()) == 1]
    places_at: Set[int] = set()
    place_ends: Set[int] = set()
    for start, end in sorted(find_terms(words, place_name_terms)):
        previous = words[start - 1].folded if start else ""
        if previous in places:
            # "Arbetsförmedlingen i Karlskrona" is a place – unless "kommunen i Karlskrona".
            before = words[start - 2] if start > 1 else None
            place = not (before and any(k.startswith("kommun") for k in before.keys))
        else:
            place = previous in ("och", "eller", ",", "samt") and (start - 1) in place_ends
        if place:
            places_at.add(start)
            place_ends.add(end)

    def found(terms: List[Tuple[Part, ...]], place_name: bool = False) -> bool:
        for span in find_terms(words, terms):
            if negation and negated(words, span, negation):
                continue
            if place_name and span[0] in places_at:
                continue
            return True
        return False

    named: List[str] = []
    municipalities = 0
    for party in parties["parties"]:
        municipal = party.get("kind") == "municipality"
        terms = [compile_term(n) for n in party["names"]]
        # A municipality named with "kommun" is never a mere place.
        full = [t for t in terms if len(t) > 1]
        short = [t for t in terms if len(t) == 1]
        services = [compile_term(s) for s in party.get("services", [])]
        if found(full) or found(short, place_name=municipal) or (services and found(services)):
            named.append(party["id"])
            municipalities += municipal
    if municipalities < 2 and found(plural):
        named += ["kommun (ej namngiven)"] * (2 - municipalities)
    elif municipalities == 0 and found(singular):
        named.append("kommun (ej namngiven)")
    return named


# --- ages ----------------------------------------------------------------------------------

_NUMBER = re.compile(r"^\d{1,3}$")
_RANGE = re.compile(r"^(\d{1,3})-(\d{1,3})$")
_AGE_NOUN = re.compile(r"^(\d{1,3})-?aring(ar|arna|en)?$")      # 17-åringar
_RANGE_NOUN = re.compile(r"^(\d{1,3})-(\d{1,3})-?aring(ar|arna)?$")  # 16-25-åringar
_AGE_ADJECTIVE = re.compile(r"^(\d{1,3})-?ariga$")              # 18-åriga (ungdomar)


def ages_mentioned(words: Sequence[Word], ages: dict) -> List[int]:
    """Every age the words state ("18–29 år", "över 65 år", "17-åringar"), not durations."""
    age_words = {fold(w) for w in ages.get("age_words", [])}
    person_words = {fold(w) for w in ages.get("person_words", [])}
    after_year = [compile_term(t) for t in ages.get("after_year", [])]
    bounds = [compile_term(t) for t in ages.get("bounds", [])]
    # "under 16 år" means at most 15, "över 64 år" at least 65.
    below = {compile_term(t) for t in ages.get("below", [])}
    above = {compile_term(t) for t in ages.get("above", [])}
    durations = [compile_term(t) for t in ages.get("duration_words", [])]
    small = int(ages.get("small_number", 12))
    found: List[int] = []

    def term_ending_at(terms, index) -> Optional[int]:
        """Start of a term that ends right before words[index], if any."""
        return next((start for start, _ in _terms_ending_at(terms, index)), None)

    def _terms_ending_at(terms, index):
        for start in range(max(0, index - 3), index):
            for parts in terms:
                if match_at(parts, words, start) == index:
                    yield start, parts

    index = 0
    while index < len(words):
        numbers, end, kind = _numbers_at(words, index)
        if not numbers:
            index += 1
            continue
        following = words[end].folded if end < len(words) else ""
        year = following in ("ar", "ars")
        start = index - 1 if index > 0 and words[index - 1].folded == "mellan" else index
        bound_term = next(_terms_ending_at(bounds, start), None)
        bound = bound_term[0] if bound_term else None
        if bound_term and len(numbers) == 1:
            numbers = [numbers[0] - (bound_term[1] in below) + (bound_term[1] in above)]
        lead = bound if bound is not None else start
        window = {k for w in words[max(0, lead - 3):lead] for k in w.keys}
        duration = term_ending_at(durations, lead) is not None
        if kind == "noun" or (kind == "adjective" and following in person_words) or window & age_words \
                or (year and any(match_at(t, words, end + 1) for t in after_year)):
            found += numbers
        elif (year and (len(numbers) == 2 or bound is not None)) or \
                ((len(numbers) == 2 or bound is not None) and window & person_words):
            if not duration and (max(numbers) >= small or window & person_words):
                found += numbers
        index = end
    return found


def _numbers_at(words: Sequence[Word], index: int) -> Tuple[List[int], int, str]:
    """A number or a range starting at words[index]: (numbers, end index, kind)."""
    text = words[index].folded
    match = _RANGE_NOUN.match(text)
    if match:
        return [int(match[1]), int(match[2])], index + 1, "noun"
    for pattern, kind in ((_AGE_NOUN, "noun"), (_AGE_ADJECTIVE, "adjective")):
        match = pattern.match(text)
        if match:
            return [int(match[1])], index + 1, kind
    match = _RANGE.match(text)
    numbers = [int(match[1]), int(match[2])] if match else ([int(text)] if _NUMBER.match(text) else [])
    if not numbers:
        return [], index + 1, ""
    end = index + 1
    # "18 - 29", "18 till 29", "mellan 18 och 29"
    if len(numbers) == 1 and end + 1 < len(words) and words[end].folded in ("-", "till", "och") \
            and _NUMBER.match(words[end + 1].folded):
        numbers.append(int(words[end + 1].folded))
        end += 2
    # "17 åringar"
    if end < len(words) and _AGE_NOUN.match("0" + words[end].folded):
        return numbers, end + 1, "noun"
    return numbers, end, "number"


def ages_outside(text: str, minimum: int, maximum: int, ages: Optional[dict] = None) -> List[int]:
    """Ages the text mentions that fall outside [minimum, maximum]."""
    words = analyse([text])[0]
    return [age for age in ages_mentioned(words, ages or _default_ages()) if age < minimum or age > maximum]


def _default_ages() -> dict:
    from finsam.knowledge import get_knowledge

    return get_knowledge().prereview.get("ages", {})


# --- the review ----------------------------------------------------------------------------

def review(answers: Mapping[str, Optional[str]], rules: dict, parties: Optional[dict] = None) -> List[Suggestion]:
    """Check the answers against every rule; return the suggestions that apply, in rule order."""
    checks: List[dict] = rules["checks"]
    slots = sorted({slot for check in checks for slot in check.get("answers", [])})
    texts = [answers.get(s) or "" for s in slots]
    texts = ["" if is_open(t) else t for t in texts]
    analysed = dict(zip(slots, analyse(texts), strict=True))
    negation = rules.get("negation", {})
    parties = parties if parties is not None else load_parties()

    def words_of(check: dict) -> List[Word]:
        words: List[Word] = []
        for slot in check.get("answers", []):
            words += analysed[slot] + [Word(frozenset(), "\n", True)]  # answers never run together
        return words

    suggestions = []
    for check in checks:
        words = words_of(check)
        kind = check.get("kind", "mentions")
        if kind == "parties":
            failing = len(parties_named(words, parties, negation)) < int(check.get("minimum", 2))
        elif kind == "age_range":
            age = rules["target_age"]
            failing = any(a < age["min"] or a > age["max"] for a in ages_mentioned(words, rules.get("ages", {})))
        else:
            failing = not mentions(words, check["terms"], negation if check.get("negation") else None,
                                   check.get("unless", []))
        if failing:
            suggestions.append(Suggestion(
                check=check["id"],
                text=" ".join(check["suggestion"].split()),
                source_document=check["source"]["document"],
                source_section=check["source"]["section"],
                slot=check.get("slot", ""),
            ))
    return suggestions
