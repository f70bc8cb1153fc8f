"""How one user turn is read while the idea-sketch form asks a question."""
import pytest

from finsam.redaction import PLACEHOLDER
from finsam.sketch import OPEN, field_from_message, interpret_turn

FAQ = {"ask_who_can_apply", "ask_deadline", "ask_criteria"}
LIMITS = {"min_words": 3, "max_answer_chars": 5000}


def turn(slot, text, intent="inform_sketch", confidence=0.9, **kwargs):
    return interpret_turn(slot, text, intent, confidence, digression_intents=FAQ, limits=LIMITS, **kwargs)


def test_a_real_answer_fills_the_slot():
    result = turn("background", "Unga med psykisk ohälsa hamnar mellan stolarna hos FK och kommunen.")
    assert result.kind == "answer"
    assert result.slots == {"background": "Unga med psykisk ohälsa hamnar mellan stolarna hos FK och kommunen."}
    assert result.responses == []


@pytest.mark.parametrize("text", ["", "   ", "ja", "bra idé"])
def test_empty_or_too_short_answers_are_asked_again_with_help(text):
    result = turn("solution", text)
    assert result.kind == "retry"
    assert result.slots == {"solution": None}
    assert result.responses == [("utter_help_solution", {})]


def test_a_short_title_is_fine():
    assert turn("title", "Navet").slots == {"title": "Navet"}


@pytest.mark.parametrize("text", ["vet inte", "Hoppa över", "vet ej", "jag vet inte än", "skippa", "pass"])
def test_skip_marks_the_question_open(text):
    result = turn("measurement", text, intent="skip_question")
    assert result.kind == "skip"
    assert result.slots == {"measurement": OPEN}
    assert result.responses == [("utter_question_skipped", {})]


def test_a_question_mid_form_is_a_digression_not_an_answer():
    result = turn("target_group", "Vem får söka pengar?", intent="ask_who_can_apply", confidence=0.95)
    assert result.kind == "interrupt"
    assert result.slots == {}


def test_an_answer_classified_as_a_faq_intent_is_still_an_answer():
    # A statement about target groups is an answer, even if NLU thinks of the FAQ topic.
    text = "Unga vuxna som står utanför arbetsmarknaden och har aktivitetsersättning."
    result = turn("target_group", text, intent="ask_target_groups", confidence=0.8)
    assert result.kind == "answer"
    assert result.slots == {"target_group": text}


def test_stop_and_cancel_confirmation_interrupt():
    assert turn("governance", "avbryt", intent="stop").kind == "interrupt"
    assert turn("governance", "ja", intent="affirm", confirming_cancel=True).kind == "interrupt"


def test_edit_request_interrupts_when_it_names_a_field():
    entities = [{"entity": "sketch_field", "value": "background"}]
    assert turn("role", "ändra bakgrunden", intent="edit_answer", entities=entities).kind == "interrupt"
    assert field_from_message("kan jag ändra målgruppen", []) == "target_group"


def test_long_answers_are_cut_with_a_message():
    text = "ord " * 3000
    result = turn("background", text)
    assert result.kind == "answer"
    assert len(result.slots["background"]) <= 5000
    assert result.responses == [("utter_answer_shortened", {"max_chars": 5000})]


def test_personnummer_are_removed_and_the_user_told():
    result = turn("background", "Deltagaren 850101-1234 har fått avslag från FK flera gånger.")
    assert "850101-1234" not in result.slots["background"]
    assert PLACEHOLDER in result.slots["background"]
    assert ("utter_personnummer_removed", {}) in result.responses


@pytest.mark.parametrize("text,expected", [
    ("anna.svensson@ronneby.se", "anna.svensson@ronneby.se"),
    ("  Anna.Svensson@Ronneby.SE. ", "anna.svensson@ronneby.se"),
])
def test_valid_email(text, expected):
    assert turn("email", text).slots == {"email": expected}


@pytest.mark.parametrize("text", ["anna", "anna@", "anna@ronneby", "<script>@x.se", "a b@c.se"])
def test_invalid_email_is_asked_again(text):
    result = turn("email", text)
    assert result.kind == "retry"
    assert result.responses == [("utter_invalid_email", {})]


def test_name_prefix_and_person_entity():
    assert turn("contact_name", "Jag heter Anna Svensson").slots == {"contact_name": "Anna Svensson"}
    entities = [{"entity": "PER", "value": "Karin Holm"}]
    assert turn("contact_name", "det är Karin Holm här", entities=entities).slots == {"contact_name": "Karin Holm"}


def test_the_user_is_told_when_the_channel_already_removed_a_personnummer():
    result = turn("background", "Deltagaren [personnummer borttaget] har fått avslag från FK flera gånger.")
    assert ("utter_personnummer_removed", {}) in result.responses
