"""Pre-review of an idea sketch against the förbund's criteria (knowledge/prereview.yml).

Pure module. Returns friendly suggestions, never a verdict: the kansli decides.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional

from finsam.sketch import is_open


@dataclass(frozen=True)
class Suggestion:
    check: str
    text: str
    source_document: str
    source_section: str


def fold(text: str) -> str:
    """Lower-case and strip å/ä/ö accents, so 'utvardering' matches 'utvärdering'."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def mentions_any(text: str, words: Iterable[str]) -> bool:
    folded = fold(text)
    return any(re.search(r"(?<!\w)" + re.escape(fold(word)), folded) for word in words)


def member_parties_named(text: str, member_parties: Mapping[str, List[str]]) -> List[str]:
    """Which member parties the text names; several kommuner count once each."""
    found = [party for party, words in member_parties.items() if party != "kommun" and mentions_any(text, words)]
    if "kommun" in member_parties:
        # "Karlshamns kommun och Ronneby kommun" are two parties.
        kommuner = re.findall(r"(\w+)s?\s+kommun\b", fold(text))
        count = max(len(set(kommuner)), 1 if mentions_any(text, member_parties["kommun"]) else 0)
        found += ["kommun"] * count
    return found


def ages_outside(text: str, minimum: int, maximum: int) -> List[int]:
    """Ages mentioned next to 'år'/'åring' that fall outside the target range."""
    ages = []
    folded = fold(text)
    for match in re.finditer(r"(\d{1,3})\s*(?:-|–|till)?\s*(\d{1,3})?\s*(?:ar\b|aring|-aring)", folded):
        for number in match.groups():
            if number is not None:
                ages.append(int(number))
    return [age for age in ages if age < minimum or age > maximum]


def review(answers: Mapping[str, Optional[str]], rules: dict) -> List[Suggestion]:
    """Check the answers against every rule; return the suggestions that apply."""
    def text_of(slots: Iterable[str]) -> str:
        return " \n".join(answers.get(s) or "" for s in slots if not is_open(answers.get(s)))

    checks: Dict[str, dict] = {check["id"]: check for check in rules["checks"]}
    failing: List[str] = []
    parties_text = text_of(["parties", "governance", "anchoring"])
    if len(member_parties_named(parties_text, rules["member_parties"])) < 2:
        failing.append("two_parties")
    age = rules["target_age"]
    if ages_outside(text_of(["target_group"]), age["min"], age["max"]):
        failing.append("target_age")
    for check_id, check in checks.items():
        if "words" in check and not mentions_any(text_of(check["answers"]), check["words"]):
            failing.append(check_id)

    return [
        Suggestion(
            check=check_id,
            text=" ".join(checks[check_id]["suggestion"].split()),
            source_document=checks[check_id]["source"]["document"],
            source_section=checks[check_id]["source"]["section"],
        )
        for check_id in checks
        if check_id in failing
    ]
