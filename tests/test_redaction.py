"""Personnummer and samordningsnummer never survive, in the shapes people and Word write them."""
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from finsam.redaction import PLACEHOLDER, contains_redaction, normalise, redact_personnummer

# Valid check digits (Luhn): 8512311237, 8803200016, 9001011239, 8507611237 (samordningsnummer),
# 0002291235 (29 Feb 2000), 0701011231 (born 2007 – looks like a mobile number, but is a valid one).
REDACTED = [
    "851231-1234", "19851231-1234", "8512311237", "198512311234", "851231 1234",
    "851231+1234", "20010101-0000", "850761-1234", "851231 - 1234", "19900101 -  1234",
    "19900101\u20111234",          # non-breaking hyphen, as Word inserts it
    "19900101\u20141234",          # em dash
    "19900101\u20131234",          # en dash
    "19900101\u22121234",          # minus sign
    "19900101\u20101234",          # hyphen
    "199001\u00ad01-1234",         # soft hyphen inside the number
    "1990\u200b0101-1234",         # zero-width space inside the number
    "900101-\u200b1234",
    "1990-01-01-1234", "90-01-01-1234", "1990-01-01 1234",
    "\uff19\uff10\uff10\uff11\uff10\uff11\uff0d\uff11\uff12\uff13\uff14",  # full-width digits and dash
    "900101\u00a0-\u00a01234",     # no-break spaces around the dash
    "8803200016", "8507611237", "198507611234", "0002291235", "20000229-1234",
    "0701011231",
]
# With the word in front, a 10-digit run is removed even with a wrong check digit.
REDACTED_IN_CONTEXT = ["pnr-900101-1234", "pnr:900101-1234", "personnummer 9001011234",
                       "Pnr. 9001011234", "samordningsnummer: 8507611234", "p-nr 9001011234"]
KEPT = [
    "0701234567",                  # mobile number, check digit wrong
    "070-123 45 67", "0455-123456", "+46701234567", "0708-123456", "070 123 45 67",
    "9001011234",                  # 10 digits together, wrong check digit, no word in front
    "2021-2022", "Budget 2 000 000 kr", "20201002", "2020-10-02", "12345678901234",
    "556677-8899",                 # organisationsnummer (month 67)
    "19901301-1234",               # month 13
    "900132-1234", "900192-1234",  # day 32, day 92
    "19000229-1234",               # 1900 was no leap year
    "271 81 KARLSKRONA", "2021-01-01 - 2023-12-31", "20210101\u201320231231",
    "Dnr 2020/123456", "kl. 10.30-12.00", "1 234 567 890",
    "Arbetsförmedlingens nr 0701234567",  # "…s nr" is no personnummer word
]


@pytest.mark.parametrize("number", REDACTED + REDACTED_IN_CONTEXT)
def test_every_shape_of_a_personnummer_is_redacted(number):
    text, count = redact_personnummer(f"Deltagaren har nummer {number} enligt FK.")
    assert count == 1
    if number in REDACTED_IN_CONTEXT:
        word = re.match(r"[A-Za-z.-]+[ :]?(?=\D*\d)", number).group(0)
        assert text.startswith(f"Deltagaren har nummer {word}")
        assert text.endswith(f"{PLACEHOLDER} enligt FK.")
    else:
        assert text == f"Deltagaren har nummer {PLACEHOLDER} enligt FK."


@pytest.mark.parametrize("text", KEPT)
def test_other_numbers_are_kept(text):
    assert redact_personnummer(f"Ring {text} i dag") == (f"Ring {text} i dag", 0)


def test_the_table_has_at_least_thirty_formats():
    assert len(REDACTED) + len(REDACTED_IN_CONTEXT) + len(KEPT) >= 30


def test_the_rest_of_the_text_is_kept_exactly():
    # Soft hyphens, ligatures and accents outside the number are not normalised away.
    text = "Ef\ufb01cient sam\u00adverkan, café – nummer 19900101\u20111234; ﬁn dag."
    assert redact_personnummer(text) == (f"Ef\ufb01cient sam\u00adverkan, café – nummer {PLACEHOLDER}; ﬁn dag.", 1)


def test_several_numbers_are_all_redacted():
    text, count = redact_personnummer("A: 900101-1234, B: 19751212\u20119876 och C: 8803200016")
    assert count == 3
    assert text == f"A: {PLACEHOLDER}, B: {PLACEHOLDER} och C: {PLACEHOLDER}"
    assert contains_redaction(text)


def test_empty_text():
    assert redact_personnummer("") == ("", 0)
    assert not contains_redaction(None)


def test_normalise_maps_every_character_back():
    shadow, origin = normalise("a\u00ad1\u2212\uff12")
    assert shadow == "a1-2"
    assert origin == [0, 2, 3, 4]


# --- property tests -------------------------------------------------------------------------

DASH_VARIANTS = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"]
INVISIBLE = ["\u00ad", "\u200b", "\u2060", "\ufeff", "\u200c"]


@st.composite
def personnummer(draw):
    """A valid personnummer or samordningsnummer: (12 digits, 10-digit form)."""
    year = draw(st.integers(1920, 2012))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    if draw(st.booleans()):
        day += 60  # samordningsnummer
    serial = draw(st.integers(0, 999))
    nine = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    ten = nine + luhn.calc_check_digit(nine)
    return f"{year // 100}{ten}", ten


def shapes(twelve: str, ten: str, dash: str, space: str):
    century, date6, tail = twelve[:2], ten[:6], ten[6:]
    yy, mm, dd = date6[:2], date6[2:4], date6[4:]
    return [
        f"{date6}{dash}{tail}", f"{century}{date6}{dash}{tail}", ten, twelve,
        f"{date6} {tail}", f"{century}{date6} {tail}", f"{date6}+{tail}",
        f"{century}{date6}{space}{dash}{space}{tail}", f"{date6}{space}{dash}{space}{tail}",
        f"{century}{yy}{dash}{mm}{dash}{dd}{dash}{tail}", f"{yy}{dash}{mm}{dash}{dd}{dash}{tail}",
        f"pnr{dash}{date6}{dash}{tail}",
    ]


# Surrounding text: anything, but the character touching the number is no digit and no
# invisible character (a digit there would make it a longer, different number); after
# the number also no dash, slash or dot, which could start a date ("…-1234-12-31").
surrounding = st.text(max_size=40)


def _touches_digits(char: str, after: bool) -> bool:
    normal = unicodedata.normalize("NFKC", char)
    return any(c.isdigit() for c in normal) or (after and any(c in "-/.\u2010\u2011\u2012\u2013\u2014\u2015"
                                                                   "\u2212\u2043\ufe58\ufe63\uff0d" for c in normal))


left_boundary = st.characters(blacklist_categories=("Nd", "Cf", "Cs")).filter(lambda c: not _touches_digits(c, False))
right_boundary = st.characters(blacklist_categories=("Nd", "Cf", "Cs")).filter(lambda c: not _touches_digits(c, True))


@settings(max_examples=300, deadline=None)
@given(number=personnummer(), shape=st.integers(0, 11), dash=st.sampled_from(DASH_VARIANTS),
       space=st.sampled_from(["", " ", "  ", "\u00a0", "\u202f"]), invisible=st.sampled_from(INVISIBLE),
       at=st.integers(0, 20), insert=st.booleans(),
       before=surrounding, after=surrounding, left=left_boundary, right=right_boundary)
def test_a_generated_personnummer_never_survives(number, shape, dash, space, invisible, at, insert,
                                                  before, after, left, right):
    twelve, ten = number
    written = shapes(twelve, ten, dash, space)[shape]
    if insert:  # a soft hyphen or zero-width space typed (or pasted) inside the number
        at = at % (len(written) + 1)
        written = written[:at] + invisible + written[at:]
    text = f"{before}{left}{written}{right}{after}"

    redacted, count = redact_personnummer(text)

    assert count >= 1
    assert written not in redacted
    # Not even its digits, read the way the matcher reads text.
    assert ten not in re.sub(r"[^\d|]", "", normalise(redacted)[0].replace(PLACEHOLDER, "|"))
    assert redacted.startswith(before) and redacted.endswith(after)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_redaction_is_idempotent_and_never_grows_digits(text):
    once, _ = redact_personnummer(text)
    assert redact_personnummer(once) == (once, 0)
    assert len(re.findall(r"\d", once)) <= len(re.findall(r"\d", text))
