"""Remove Swedish personnummer and samordningsnummer from free text.

Pure module. Used by the input channels (before Rasa stores a message) and again by
the form and the draft writer, so text from any channel is covered.

How a text is read
------------------
1. Normalised, one character at a time, into a shadow copy: Unicode NFKC (full-width
   digits become 0-9, no-break and narrow spaces become spaces), format characters
   (category Cf: soft hyphen, zero-width space, word joiner …) are dropped, and every
   dash (U+2010–U+2015 including the non-breaking hyphen U+2011 that Word inserts,
   the minus sign U+2212, small/full-width hyphen-minus) becomes "-".
2. The shadow copy is searched. Each hit is mapped back to its span in the original
   text and only that span is replaced by PLACEHOLDER, so the rest of the text keeps
   every character the user typed (ligatures, accents, soft hyphens elsewhere).

What counts as a personnummer (the rule)
----------------------------------------
A date YYMMDD or YYYYMMDD (the parts may be written 1990-01-01), then a separator or
none, then four digits, with no digit directly before or after. The date must be a
real calendar date in 18xx, 19xx or 20xx; for a samordningsnummer the day is the day
of birth + 60 (61–91). Then:

* 12 digits (with century), with or without separator: always removed.
* 10 digits with a separator ("-", "+", spaces, "- " …, or dashes inside the date):
  always removed.
* 10 digits written together ("8001011234") are removed only when the check digit is
  right (Luhn, checked with python-stdnum), or when the number follows a word such as
  "personnummer", "pnr" or "samordningsnummer". This keeps mobile numbers such as
  0701234567, which look like a date in 2007, unless the check digit happens to fit
  (about one in ten mobile numbers is therefore still removed: we err on the side of
  privacy).

A personnummer with a wrong check digit in the separated or 12-digit shapes is still
removed: a mistyped number is still personal data.

python-stdnum 2.2's `stdnum.se.personnummer` rejects samordningsnummer (it checks the
day as a calendar day), so the date is checked here (day - 60) and only the Luhn
check digit comes from stdnum.
"""
from __future__ import annotations

import datetime
import re
import unicodedata
from typing import List, Tuple

from stdnum import luhn
from stdnum.se import personnummer

PLACEHOLDER = "[personnummer borttaget]"

# Every dash a word processor or keyboard may produce; mapped to "-" before matching.
DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d")

_SEP = r"[ \t]{0,3}[-+]?[ \t]{0,3}"
_PNR = re.compile(
    r"(?<!\d)"
    r"(?P<century>18|19|20)?(?P<yy>\d{2})(?P<dsep1>-?)(?P<mm>\d{2})(?P=dsep1)(?P<dd>\d{2})"
    rf"(?P<sep>{_SEP})"
    r"(?P<tail>\d{4})"
    # No digit after, and not the start of another date ("2021-01-01 - 2023-12-31").
    r"(?!\d|[-/.]\d{1,2}[-/.]\d)"
)
# Words after which a 10-digit run is a personnummer even when its check digit is wrong.
_CONTEXT = re.compile(r"\b(person|samordnings|p|s)[- ]?(nummer|nr|nr\.)\s*[:.]?\s*-?\s*$", re.IGNORECASE)


def normalise(text: str) -> Tuple[str, List[int]]:
    """The text as it is matched, and for each of its characters the index in `text`."""
    out: List[str] = []
    origin: List[int] = []
    for index, char in enumerate(text):
        if char in DASHES:
            out.append("-")
            origin.append(index)
            continue
        if unicodedata.category(char) == "Cf":
            continue
        for piece in unicodedata.normalize("NFKC", char):
            out.append("-" if piece in DASHES else piece)
            origin.append(index)
    return "".join(out), origin


def _real_date(year: int, month: int, day: int) -> bool:
    if day > 60:  # samordningsnummer
        day -= 60
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _is_personnummer(match: re.Match, before: str) -> bool:
    month, day = int(match["mm"]), int(match["dd"])
    if match["century"]:
        if not _real_date(int(match["century"] + match["yy"]), month, day):
            return False
        return True
    yy = int(match["yy"])
    if not (_real_date(1900 + yy, month, day) or _real_date(2000 + yy, month, day)):
        return False
    separated = bool(match["sep"]) or bool(match["dsep1"])
    if separated:
        return True
    digits = match["yy"] + match["mm"] + match["dd"] + match["tail"]
    return _check_digit_ok(digits) or bool(_CONTEXT.search(before[-30:]))


def _check_digit_ok(digits: str) -> bool:
    """Luhn over the ten digits; a samordningsnummer is checked the same way."""
    if int(digits[4:6]) <= 31:
        return personnummer.is_valid(digits)
    return luhn.is_valid(digits)


def redact_personnummer(text: str) -> Tuple[str, int]:
    """Return the text with every personnummer replaced, and how many were found."""
    if not text:
        return text, 0
    shadow, origin = normalise(text)
    spans = []
    for match in _PNR.finditer(shadow):
        if _is_personnummer(match, shadow[: match.start()]):
            spans.append((origin[match.start()], origin[match.end() - 1] + 1))
    if not spans:
        return text, 0
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], PLACEHOLDER]
        last = end
    pieces.append(text[last:])
    return "".join(pieces), len(spans)


def contains_redaction(text: str) -> bool:
    return PLACEHOLDER in (text or "")
