"""What the form of a question asks for (finsam.question_shape), read directly."""
import pytest

from finsam.passages import fold
from finsam.question_shape import DURATION_QUESTION, past_or_outcome, without_self_introduction


@pytest.mark.parametrize("text", ["hur gick det för projektet i Olofström", "vad blev utfallet på individmålen",
                                  "när bildades förbundet", "vem var förbundschef förut",
                                  "hur många fick jobb i fjol", "how did the projects go last year"])
def test_an_outcome_a_past_year_or_history_is_found(text):
    assert past_or_outcome(fold(text))


@pytest.mark.parametrize("text", ["vilka prioriteringar hade ni 2020", "när får vi veta om vi fick pengarna",
                                  "vi skickade in ansökan i fredags, vad händer nu", "vem är huvudman"])
def test_the_preterite_as_such_is_no_outcome(text):
    assert past_or_outcome(fold(text)) == []


@pytest.mark.parametrize("text,asks", [("hur lång tid tar granskningen", True), ("hur länge får projektet pågå", True),
                                       ("hur lång är handläggningstiden", True), ("how long is the review", True),
                                       ("hur långsiktigt kan vi räkna med medlen", False),
                                       ("hur många deltagare ska få jobb", False)])
def test_a_length_of_time_is_told_from_other_amounts(text, asks):
    assert bool(DURATION_QUESTION.search(fold(text))) is asks


@pytest.mark.parametrize("text,subject", [
    ("vi på soc i Ronneby undrar om det finns ett sista datum", "undrar om det finns ett sista datum"),
    ("Jag är enhetschef inom vuxenpsykiatrin och undrar vad målet är", "och undrar vad målet är"),
    ("Hej, jag jobbar som kurator, vem får söka?", ", vem får söka?"),
    ("jobbar ni med IPS?", "jobbar ni med IPS?"),
    ("vi har en klient som inte passar in", "vi har en klient som inte passar in"),
    ("jag är ny", "jag är ny"),
])
def test_the_askers_introduction_is_taken_off_the_question(text, subject):
    assert without_self_introduction(text) == subject
