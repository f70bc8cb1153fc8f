"""Remove Swedish personnummer and samordningsnummer from free text.

Pure module. Used by the input channel (before Rasa stores a message) and again by
the form and the draft writer, so text from any channel is covered. Errs on the side
of redacting: any number shaped like a personnummer with a possible date is removed,
whether or not its check digit is right (a mistyped number is still personal data).
"""
from __future__ import annotations

import re
from typing import Tuple

PLACEHOLDER = "[personnummer borttaget]"

# (19|20)YYMMDD or YYMMDD, optional separator (-, +, space), four digits.
_PNR = re.compile(
    r"(?<![\d-])"
    r"(?P<century>19|20)?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})"
    r"\s?(?P<sep>[-+‐–]?)\s?"
    r"(?P<tail>\d{4})"
    r"(?![\d])"
)


def _plausible(match: re.Match) -> bool:
    month, day = int(match["mm"]), int(match["dd"])
    if not 1 <= month <= 12:
        return False
    if day > 60:  # samordningsnummer: day + 60
        day -= 60
    return 1 <= day <= 31


def redact_personnummer(text: str) -> Tuple[str, int]:
    """Return the text with every personnummer replaced, and how many were found."""
    if not text:
        return text, 0
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        if not _plausible(match):
            return match.group(0)
        count += 1
        return PLACEHOLDER

    return _PNR.sub(replace, text), count


def contains_redaction(text: str) -> bool:
    return PLACEHOLDER in (text or "")
