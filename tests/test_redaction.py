import pytest

from finsam.redaction import PLACEHOLDER, contains_redaction, redact_personnummer


@pytest.mark.parametrize("number", [
    "851231-1234", "19851231-1234", "8512311234", "198512311234", "851231 1234",
    "851231+1234", "20010101-0000", "850761-1234",  # samordningsnummer (day + 60)
    "851231 - 1234",
])
def test_every_common_format_is_redacted(number):
    text, count = redact_personnummer(f"Deltagaren har nummer {number} enligt FK.")
    assert count == 1
    assert number not in text
    assert text == f"Deltagaren har nummer {PLACEHOLDER} enligt FK."


@pytest.mark.parametrize("text", [
    "Budget 2 000 000 kr under 2021-2022", "Ring 0455-123456", "070-123 45 67",
    "Ansök senast 20201002", "Projektet pågår 2021 till 2023", "12345678901234",
])
def test_ordinary_numbers_are_kept(text):
    assert redact_personnummer(text) == (text, 0)


def test_several_numbers_are_all_redacted():
    text, count = redact_personnummer("A: 900101-1234, B: 19751212-9876")
    assert count == 2
    assert text.count(PLACEHOLDER) == 2
    assert contains_redaction(text)


def test_empty_text():
    assert redact_personnummer("") == ("", 0)
