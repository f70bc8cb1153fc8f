"""What the form of a question says it asks for, beyond its topic (pure, no rasa_sdk).

finsam.answering weighs these with the intent: an amount wants a number, a person a name, a length of
time a date, an outcome or a past period something the documents never report; and the asker's own
name and workplace are no subject of the question. Patterns work on fold()ed text (å/ä → a, ö → o),
except SELF_NAMED and SELF_INTRODUCTION, which read the text as typed.
"""
from __future__ import annotations

import re
from typing import List

from finsam.vocabulary import words_of

# A question after an amount or a length of time is answered only by a passage that holds a number:
# "hur många projekt finansierar förbundet" is not answered by how the members set the contributions.
AMOUNT_QUESTION = re.compile(r"\bhur (manga|mycket|lang tid|lange|stor|stort|stora)\b")
NUMBER = re.compile(r"\d|\b(tva|tre|fyra|fem|sex|sju|atta|nio|tio|hundra|tusen|miljon\w*)\b")
# "vem är förbundschef", "vem sitter som ordförande" ask for a person: a passage that only mentions the role
# ("ett underlag som förbundschefen författar") does not answer them. "vem är det som beslutar" asks for a role.
IDENTITY_QUESTION = re.compile(r"\bvem (ar|heter|sitter som) (?!(det|den|de|dom) som)")
# The documents plan 2021; how things went in another year is not in them ("hur många fick jobb i fjol").
PAST_PERIOD = re.compile(r"\b(i fjol|forra aret|forra arets|(de )?senaste (\w+ )?aren|last year|previous years?)\b")
# They plan and set rules; they report no outcome and no history: "hur gick det för projekten", "vad blev
# utfallet", "nådde de målet", "när bildades förbundet", "vem var förbundschef innan". (Not the preterite as
# such: "vilka prioriteringar hade ni 2020" and "när får vi veta om vi fick pengarna" are answered.)
PAST_OUTCOME = re.compile(r"\b(hur (gick|har) det (gatt )?for|gick det bra|utfall\w*|(vad|hur) blev (resultat\w*|det)"
                          r"|nadde|lyckades|uppnadde|beviljades|bildades|grundades|startades|vem var"
                          r"|fick (jobb|arbete|anstallning)|how did|got (a )?jobs?|(were|was) (funded|granted))\b")
# A length of time is answered only by a topic whose sources give a date ("hur lång tid är det mellan sista
# ansökningsdag och beslutet"): the documents give no durations, so "hur lång tid tar kvalitetsgranskningen"
# is not answered by what the kansli does with an application.
DURATION_QUESTION = re.compile(r"\bhur (lang tid|lange|langt efter|lang (ar|blir) \w*tiden?)\b"
                               r"|\bhur manga (dagar|veckor|manader|ar)\b|\bhow long\b"
                               r"|\b\w*(handlaggnings|gransknings|behandlings|vante)tiden?\b")
SELF_NAMED = re.compile(r"\b(jag heter|mitt namn är|mvh|med vänlig hälsning|hälsningar)[\s,]*"
                        r"([A-ZÅÄÖ][a-zåäöé]+(?: [A-ZÅÄÖ][a-zåäöé]+)?)", re.I)
# Where the asker works is no subject of the question: "vi på soc i Ronneby undrar om …", "Jag är enhetschef
# inom vuxenpsykiatrin och undrar …", "jobbar på AF i Karlshamn, …". The introduction ends where the
# question begins (a conjunction, a verb of asking or wanting, or a comma).
SELF_INTRODUCTION = re.compile(
    r"^\W*(?:hej\W+)?(?:(?:jag|vi)\s+(?:är|jobbar|arbetar|sitter|på|inom|från)(?:\s+som)?"
    r"|(?:jobbar|arbetar)\s+(?:på|inom|som|hos))\b"
    r"(?:(?!\b(?:och|som|men|undrar|har|funderar|vill|ska|skulle|kan|behöver|tänker|planerar|söker)\b)[^,?!.:;–—])*",
    re.I)


def past_or_outcome(folded: str) -> List[str]:
    """The words that ask about another year, an outcome or the förbund's history."""
    return [match.group(0) for pattern in (PAST_PERIOD, PAST_OUTCOME) for match in pattern.finditer(folded)]


def without_self_introduction(text: str) -> str:
    """The question without "vi på soc i Ronneby", "Jag är enhetschef inom vuxenpsykiatrin och"."""
    subject = SELF_INTRODUCTION.sub("", text, count=1)
    return subject if len(words_of(subject)) >= 2 else text
