"""How one user turn is read while the idea-sketch form asks a question."""
import pytest

from finsam.redaction import PLACEHOLDER
from finsam.sketch import OPEN, field_from_message, interpret_turn, offered_idea, validate_answer

FAQ = {"ask_who_can_apply", "ask_deadline", "ask_criteria"}
LIMITS = {"min_words": 3, "max_answer_chars": 5000}


def turn(slot, text, intent="inform_sketch", confidence=0.9, **kwargs):
    kwargs.setdefault("digression_intents", FAQ)
    return interpret_turn(slot, text, intent, confidence, limits=LIMITS, **kwargs)


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
    # Yes/no right after the confirmation question go to the rules; reaching the form
    # later (after a digression) they must not trap the user in the confirmation.
    late = turn("governance", "ja", intent="affirm", confirming_cancel=True)
    assert (late.kind, late.slots) == ("stay", {"confirming_cancel": False, "governance": None})
    assert late.responses == [("utter_cancel_not_confirmed", {}), ("utter_form_ack", {})]


def test_edit_request_interrupts_when_it_names_a_field():
    entities = [{"entity": "sketch_field", "value": "background"}]
    assert turn("role", "ändra bakgrunden", intent="edit_answer", entities=entities).kind == "interrupt"
    assert field_from_message("kan jag ändra målgruppen", []) == "target_group"


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


@pytest.mark.parametrize("text", ["anna", "anna@", "anna@ronneby", "<script>@x.se", "min adress är anna(at)ronneby.se"])
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


# --- Issue 9: only real answers are stored --------------------------------------------------
from finsam.sketch import clean_text, is_repeat, resume_point  # noqa: E402


@pytest.mark.parametrize("slot,text", [
    ("title", "Pass till arbete"),
    ("background", "Inget samordnat stöd finns i dag för unga med aktivitetsersättning."),
    ("background", "Vet inte om FK vill vara med"),
    ("title", "Inget barn utanför"),
    ("title", "Hoppa över hindren"),
])
def test_a_skip_word_inside_a_real_answer_is_an_answer(slot, text):
    result = turn(slot, text, intent="skip_question", confidence=0.8)
    assert result.kind == "answer"
    assert result.slots == {slot: text}


@pytest.mark.parametrize("text", ["Vet inte!", "hoppa över.", "  Pass ", "ingen aning...", "/skip_question",
                                  "vet inte riktigt ännu", "hoppa over"])
def test_a_whole_skip_phrase_or_the_skip_button_skips(text):
    result = turn("governance", text, intent="skip_question")
    assert result.kind == "skip"
    assert result.slots == {"governance": OPEN}


@pytest.mark.parametrize("slot,text,intent,response", [
    ("title", "tack", "thank", "utter_form_you_are_welcome"),
    ("contact_name", "tack så mycket för hjälpen!", "thank", "utter_form_you_are_welcome"),
    ("organisation", "ok", "affirm", "utter_form_ack"),
    ("role", "hej", "greet", "utter_form_ack"),
    ("background", "tack så mycket för hjälpen!", "thank", "utter_form_you_are_welcome"),
    # Chat that names something is still chat outside a title: a greeting names a name, thanks what they
    # are for, a goodbye why one leaves; only a title starts with chat words ("Hej framtid").
    ("background", "Tack för förklaringen", "thank", "utter_form_you_are_welcome"),
    ("title", "Tack för förklaringen", "thank", "utter_form_you_are_welcome"),
    ("title", "Hej igen, det är Anna", "greet", "utter_form_ack"),
    ("title", "Hej då, jag har ett möte nu", "goodbye", "utter_sketch_saved"),
    ("background", "Hej igen, vi hade ett möte", "greet", "utter_form_ack"),
])
def test_small_talk_gets_a_short_reply_and_the_same_question(slot, text, intent, response):
    result = turn(slot, text, intent=intent, confidence=0.93)
    assert result.kind == "stay"
    assert result.slots == {slot: None}
    assert result.responses == [(response, {})]


def test_a_goodbye_says_the_sketch_is_saved():
    result = turn("role", "hej då", intent="goodbye", confidence=0.95)
    assert (result.kind, result.slots, result.responses) == ("stay", {"role": None}, [("utter_sketch_saved", {})])


def test_going_back_asks_the_previous_question_again():
    answers = {"title": "Navet", "background": "Unga bollas runt.", "solution": None}
    result = turn("solution", "kan jag gå tillbaka till förra frågan?", intent="sketch_back", confidence=0.96,
                  answers=answers)
    assert result.kind == "back"
    assert result.slots == {"background": None, "solution": None}
    assert result.responses == [("utter_going_back", {"previous_answer": "Unga bollas runt."})]
    first = turn("title", "tillbaka", intent="sketch_back", confidence=0.96, answers={})
    assert (first.kind, first.slots, first.responses) == ("stay", {"title": None}, [("utter_first_question", {})])


def test_a_change_request_without_a_field_asks_which_field():
    result = turn("measurement", "jag vill ändra ett tidigare svar", intent="edit_answer", confidence=0.98)
    assert (result.kind, result.slots, result.responses) == (
        "stay", {"measurement": None}, [("utter_ask_which_field", {})])


@pytest.mark.parametrize("text", ["nej vänta jag vill börja om från början", "jag har en ny idé istället"])
def test_starting_over_is_handed_to_the_confirmation(text):
    result = turn("governance", text, intent="sketch_restart", confidence=0.9)
    assert result.kind == "interrupt" and result.slots == {}


def test_a_confident_question_without_a_question_mark_is_a_digression():
    result = turn("target_group", "undrar om regionen måste vara med", intent="ask_who_can_apply", confidence=0.95)
    assert result.kind == "interrupt" and result.slots == {}


def test_a_likely_question_the_model_does_not_take_for_an_answer_is_a_digression():
    text = "undrar om regionen måste vara med"
    assert turn("solution", text, intent="ask_who_can_apply", confidence=0.51, answer_confidence=0.0).kind == \
        "interrupt"
    # The same confidence with a real chance of being an answer is an answer.
    answer = "Idén är förankrad i ledningsgrupperna och ska bli ordinarie verksamhet."
    result = turn("anchoring", answer, intent="ask_implementation", confidence=0.84, answer_confidence=0.08,
                  digression_intents=FAQ | {"ask_implementation"})
    assert result.kind == "answer" and result.slots == {"anchoring": answer}


def test_resume_right_after_the_welcome_back_says_nothing_more():
    result = turn("coordination", "jag vill fortsätta med min idéskiss", intent="sketch_resume", just_welcomed=True)
    assert (result.kind, result.slots, result.responses) == ("stay", {"coordination": None}, [])


def test_start_or_resume_mid_form_resumes_instead_of_being_stored():
    for text, intent in [("jag har en idé", "start_sketch"), ("jag vill fortsätta med min idéskiss", "sketch_resume")]:
        result = turn("coordination", text, intent=intent, confidence=0.9)
        assert (result.kind, result.slots, result.responses) == (
            "stay", {"coordination": None}, [("utter_continue_sketch", {})])


def test_an_answer_after_avbryt_that_is_neither_yes_nor_no_is_taken_and_ends_the_confirmation():
    text = "Unga bollas mellan FK och kommunen utan samordning."
    result = turn("background", text, confirming_cancel=True)
    assert result.kind == "answer"
    assert result.slots == {"confirming_cancel": False, "background": text}
    assert result.responses == [("utter_cancel_not_confirmed", {})]


# --- e-mail -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ("min e-post är Karin@Example.se ", "karin@example.se"),
    ("Du når mig på karin.holm@Ronneby.se, tack!", "karin.holm@ronneby.se"),
    ("karin @ example.se", "karin@example.se"),
])
def test_the_address_is_taken_from_a_sentence_and_normalised(text, expected):
    result = turn("email", text)
    assert (result.kind, result.slots) == ("answer", {"email": expected})


@pytest.mark.parametrize("text", ["hoppa över", "vet inte", "/skip_question"])
def test_the_email_cannot_be_skipped(text):
    result = turn("email", text, intent="skip_question")
    assert (result.kind, result.slots, result.responses) == ("retry", {"email": None}, [("utter_email_required", {})])


# --- the same message twice -------------------------------------------------------------------
def test_an_identical_message_within_the_window_is_a_repeat():
    assert is_repeat([("Navet", 100.0), ("Navet", 102.5)], window_seconds=10)
    assert not is_repeat([("Navet", 100.0), ("Navet", 130.0)], window_seconds=10)
    assert not is_repeat([("Navet", 100.0), ("Nästa steg", 101.0)], window_seconds=10)
    assert not is_repeat([("Navet", 100.0)], window_seconds=10)


def test_a_repeated_message_is_not_stored():
    result = turn("background", "Gemensam väg till arbete", repeated=True)
    assert (result.kind, result.slots, result.responses) == ("ignore", {"background": None}, [])


# --- one length limit -------------------------------------------------------------------------
def test_an_over_long_answer_is_not_cut_and_the_limit_is_stated():
    text = "ord " * 3000
    result = turn("background", text)
    assert result.kind == "retry"
    assert result.slots == {"background": None}
    assert result.responses == [("utter_answer_too_long", {"length": len(text.strip()), "max_chars": 5000})]


def test_an_answer_at_the_limit_is_kept_whole():
    text = ("a" * 9 + " ") * 500
    result = turn("background", text.strip())
    assert result.kind == "answer" and result.slots == {"background": text.strip()}


# --- text Word cannot hold --------------------------------------------------------------------
def test_characters_word_cannot_hold_are_removed_when_the_answer_is_taken():
    text = "Unga\ufffe vuxna\uffff som\ud800 bollas\x0b runt\x85 mellan FK och kommunen."
    result = turn("background", text)
    assert result.slots == {"background": "Unga vuxna som bollas runt mellan FK och kommunen."}
    assert clean_text("rad 1\nrad 2\tslut") == "rad 1\nrad 2\tslut"


# --- coming back ------------------------------------------------------------------------------
def test_resume_point_names_the_question_where_the_sketch_stopped():
    slots = {"title": "Navet", "background": "b", "solution": "s", "target_group": OPEN}
    assert resume_point(slots) == "fråga 5"
    assert resume_point({"title": "x", "background": "b", "solution": "s", "target_group": "t",
                         "coordination": "c", "measurement": "m", "governance": "g", "anchoring": "a"}) == \
        "frågan om parterna"


def test_a_name_entity_cannot_bring_back_a_redacted_personnummer():
    # Found by the fuzz test: an NER value that does not stand in the redacted message was stored as the name.
    turn = validate_answer("contact_name", "Jag heter Karin Holm 19850101-1234",
                           [{"entity": "PER", "value": "Karin Holm 19850101-1234"}], {})
    assert turn.kind == "answer"
    assert "1234" not in turn.slots["contact_name"]
    assert ("utter_personnummer_removed", {}) in turn.responses


def test_a_steering_intent_diet_is_only_fairly_sure_of_steers_when_the_examples_agree():
    # DIET's confidence of "jag vill ändra ett tidigare svar" moves around 0.7 between retrainings.
    agreed = turn("solution", "jag vill ändra ett tidigare svar", intent="edit_answer", confidence=0.62,
                  example_intent="edit_answer", example_confidence=0.99)
    assert (agreed.kind, agreed.slots) == ("stay", {"solution": None})
    assert agreed.responses == [("utter_ask_which_field", {})]


@pytest.mark.parametrize("example_intent,example_confidence,confidence", [
    ("inform_sketch", 0.98, 0.62), ("edit_answer", 0.6, 0.62), (None, 0.0, 0.62), ("edit_answer", 0.99, 0.45)])
def test_without_the_examples_agreeing_a_fairly_sure_steering_intent_is_an_answer(example_intent,
                                                                                  example_confidence, confidence):
    result = turn("solution", "Vi vill ändra hur handläggarna samarbetar kring unga vuxna", intent="edit_answer",
                  confidence=confidence, example_intent=example_intent, example_confidence=example_confidence)
    assert result.kind == "answer"


@pytest.mark.parametrize("slot,text,intent", [("title", "Stoppa utanförskapet", "stop"),
                                              ("solution", "Ta ett steg tillbaka och se helheten", "sketch_back"),
                                              ("title", "Gå vidare", "sketch_resume")])
def test_a_fairly_sure_steering_intent_that_ends_or_unwinds_the_sketch_needs_diet_alone(slot, text, intent):
    # The examples' keywords ("stopp", "tillbaka", "vidare") would end or unwind the sketch on a real answer.
    result = turn(slot, text, intent=intent, confidence=0.6, example_intent=intent, example_confidence=1.0,
                  answers={"background": "Unga vuxna hamnar mellan stolarna."})
    assert (result.kind, result.slots) == ("answer", {slot: text})


@pytest.mark.parametrize("slot,text,intent", [
    ("title", "Gå tillbaka till studier", "sketch_back"),
    ("title", "Tillbaka till arbetslivet", "sketch_back"),
    ("title", "Hej framtid", "greet"),
    ("title", "Tack vare samverkan", "thank"),  # a field's name steers only a move between the questions
    ("title", "Steget vidare", "sketch_resume"),
    ("solution", "Vi vill ändra hur handläggarna samarbetar", "edit_answer"),
    ("coordination", "Vi fortsätter samverka med kommunerna som tidigare", "sketch_resume"),
])
def test_a_confident_steering_intent_on_a_message_that_names_something_is_an_answer(slot, text, intent):
    # The steering words come first, but a noun that steering never uses says what the answer is about.
    result = turn(slot, text, intent=intent, confidence=0.9, answers={"title": "Navet", "background": "Unga."})
    assert (result.kind, result.slots) == ("answer", {slot: text})
    assert result.responses == [("utter_taken_as_answer", {})]


@pytest.mark.parametrize("slot,text,intent,kind", [
    ("solution", "kan vi gå tillbaka till förra frågorna", "sketch_back", "back"),
    ("solution", "gå tilbaka ett steg", "sketch_back", "back"),
    ("solution", "jag vill justera ett tidigare svar", "edit_answer", "stay"),
    ("solution", "tack för hjälpen, det var allt för idag", "thank", "stay"),
    ("title", "god eftermiddag", "greet", "stay"),
    ("title", "tjenare", "greet", "stay"),
    ("solution", "tillbaka till frågan om bakgrunden", "sketch_back", "back"),
])
def test_a_steering_message_in_other_words_still_steers(slot, text, intent, kind):
    result = turn(slot, text, intent=intent, confidence=0.9, answers={"title": "Navet", "background": "Unga."})
    assert result.kind == kind
    assert result.slots[slot] is None


def test_a_steering_message_that_names_something_but_is_too_short_is_asked_again_without_the_note():
    result = turn("background", "Tillbaka studier", intent="sketch_back", confidence=0.9)
    assert (result.kind, result.slots) == ("retry", {"background": None})
    assert ("utter_taken_as_answer", {}) not in result.responses


def test_stop_and_erase_still_go_to_their_confirmation_whatever_they_name():
    for text, intent in [("Stoppa utanförskapet", "stop"), ("Radera utanförskapet", "erase_my_data")]:
        assert turn("title", text, intent=intent, confidence=0.9).kind == "interrupt"


def test_yes_on_the_solution_takes_the_idea_described_before_the_sketch():
    idea = "Vi vill starta ett samarbete mellan vuxenpsykiatrin och kommunen"
    taken = turn("solution", "ja", intent="affirm", confidence=0.95, answers={"offered_idea": idea})
    assert (taken.kind, taken.slots) == ("answer", {"solution": idea, "offered_idea": None})
    # Elsewhere, or with nothing offered, "ja" is small talk as before.
    assert turn("background", "ja", intent="affirm", confidence=0.95, answers={"offered_idea": idea}).kind == "stay"
    assert turn("solution", "ja", intent="affirm", confidence=0.95, answers={}).kind == "stay"


def test_an_idea_is_kept_for_the_sketch_only_as_an_answer_would_be():
    assert offered_idea("Vi vill starta ett team med 070101-1234 som kontakt", LIMITS) == \
        f"Vi vill starta ett team med {PLACEHOLDER} som kontakt"
    assert offered_idea("ett team", LIMITS) is None


@pytest.mark.parametrize("slot,text,intent,confidence,example_intent,kind,response", [
    ("governance", "ok vi kör vidare", "sketch_resume", 0.67, "sketch_resume", "stay", "utter_continue_sketch"),
    ("anchoring", "jag vill göra om svaret om styrningen", "nlu_fallback", 0.5, "edit_answer", "stay",
     "utter_ask_which_field"),
    ("solution", "vänta, jag vill tillbaka till bakgrunden", "nlu_fallback", 0.5, "sketch_back", "back",
     "utter_going_back"),
    ("anchoring", "kan vi gå tillbaka till frågan om målgruppen", "ask_target_groups", 0.68, "sketch_back", "back",
     "utter_going_back"),
    ("measurement", "jag avslutar här för idag", "nlu_fallback", 0.5, "goodbye", "stay", "utter_sketch_saved"),
])
def test_a_steering_message_diet_is_unsure_of_steers_when_the_examples_are_sure_and_it_names_nothing_else(
        slot, text, intent, confidence, example_intent, kind, response):
    result = turn(slot, text, intent=intent, confidence=confidence, example_intent=example_intent,
                  example_confidence=0.99, answers={"title": "Navet", "background": "Unga.", "solution": "Team.",
                                                    "target_group": "Unga.", "coordination": "Möten.",
                                                    "measurement": "Enkäter.", "governance": "Styrgrupp."},
                  digression_intents=FAQ | {"ask_target_groups"}, answer_confidence=0.0)
    assert (result.kind, result.responses[0][0]) == (kind, response)
    assert result.slots[slot] is None


@pytest.mark.parametrize("slot,text", [("solution", "Vi går tillbaka till grunderna och bygger ett team med coacher"),
                                       ("title", "Gå vidare")])
def test_the_examples_alone_never_steer_an_answer_that_names_something_or_a_title(slot, text):
    result = turn(slot, text, intent="nlu_fallback", confidence=0.5, example_intent="sketch_back",
                  example_confidence=0.99, answers={"background": "Unga."})
    assert (result.kind, result.slots) == ("answer", {slot: text})


@pytest.mark.parametrize("slot,text,intent,confidence", [
    ("governance", "Kommunen är huvudman.", "ask_who_can_apply", 0.96),
    ("measurement", "Deltagarna ska få jobb efter projektet", "ask_individual_goals", 0.98),
    ("governance", "Vi söker pengar för två år", "ask_who_can_apply", 0.78),
    ("target_group", "Sjukskrivna 30-55 år med oklar arbetsförmåga", "ask_target_groups", 0.95),
    ("title", "Gemensam bedömning", "ask_criteria", 0.97),
    ("solution", "Sommarjobb där de unga själva söker arbetsplatser med stöd.", "ask_target_groups", 0.93),
])
def test_a_statement_the_model_reads_as_a_question_is_the_answer(slot, text, intent, confidence):
    result = turn(slot, text, intent=intent, confidence=confidence, answer_confidence=0.0,
                  digression_intents=FAQ | {intent})
    assert (result.kind, result.slots) == ("answer", {slot: text})


@pytest.mark.parametrize("text,intent,confidence", [
    ("vem är huvudman", "ask_who_can_apply", 0.95),
    ("berätta om kriterierna", "ask_criteria", 0.97),
    ("info om sista ansökningsdag", "ask_deadline", 0.99),
    ("jag vill ha veta mer om kriterierna", "ask_criteria", 0.74),
    ("det är väl kommunen som söker", "ask_who_can_apply", 0.9),
    ("Kommunen är huvudman, är det ok?", "ask_who_can_apply", 0.9),
    ("vart skickar man skissen när den är klar", "ask_idea_sketch", 0.9),
    ("regler för lokalhyra", "ask_not_covered", 0.9),
    ("får man söka för flera år", "ask_who_can_apply", 0.9),
])
def test_a_question_or_request_without_a_question_mark_is_still_a_digression(text, intent, confidence):
    result = turn("governance", text, intent=intent, confidence=confidence, answer_confidence=0.0,
                  digression_intents=FAQ | {intent})
    assert result.kind == "interrupt"


@pytest.mark.parametrize("slot,text,intent,confidence", [
    ("coordination", "Måste FK vara med i projektet?", "nlu_fallback", 0.5),
    ("governance", "hur lång får projektperioden vara", "nlu_fallback", 0.5),
    ("anchoring", "måste ansökan vara förankrad hos cheferna", "nlu_fallback", 0.5),
    ("coordination", "vad räknas som samordnat behov", "ask_target_groups", 0.52),
])
def test_a_question_by_its_form_that_the_model_is_unsure_of_is_answered_not_stored(slot, text, intent, confidence):
    result = turn(slot, text, intent=intent, confidence=confidence, answer_confidence=0.1,
                  digression_intents=FAQ | {"ask_target_groups"})
    assert result.kind == "interrupt" and result.slots == {}


@pytest.mark.parametrize("slot,text,intent,confidence", [
    ("anchoring", "Ska bli ordinarie verksamhet.", "ask_implementation", 0.85),
    ("anchoring", "Finns redan ett nätverk som vi bygger på", "nlu_fallback", 0.5),
    ("measurement", "Hur många som går till jobb mäts med enkäter", "ask_not_covered", 0.59),
    ("solution", "När deltagaren börjar får hen en coach", "nlu_fallback", 0.5),
])
def test_an_answer_put_briefly_or_starting_with_a_question_word_is_kept(slot, text, intent, confidence):
    result = turn(slot, text, intent=intent, confidence=confidence, answer_confidence=0.05,
                  digression_intents=FAQ | {"ask_implementation", "ask_not_covered"})
    assert (result.kind, result.slots) == ("answer", {slot: text})


def test_yes_in_own_words_takes_the_offered_idea_and_no_stops_offering_it():
    idea = "Vi vill starta ett samarbete mellan vuxenpsykiatrin och kommunen"
    taken = turn("solution", "Ja, använd den beskrivningen", intent="affirm", confidence=0.9,
                 answers={"offered_idea": idea})
    assert (taken.kind, taken.slots) == ("answer", {"solution": idea, "offered_idea": None})
    declined = turn("solution", "nej", intent="deny", confidence=0.9, answers={"offered_idea": idea})
    assert (declined.kind, declined.slots) == ("stay", {"solution": None, "offered_idea": None})
    own = "Nej, vi vill hellre bygga ett team med coacher från AF"
    answered = turn("solution", own, intent="deny", confidence=0.9, answers={"offered_idea": idea})
    assert (answered.kind, answered.slots) == ("answer", {"solution": own, "offered_idea": None})


@pytest.mark.parametrize("slot,text,intent", [("email", "Tack! karin.svensson@region.se", "thank"),
                                              ("role", "Ja, samordnare", "affirm"),
                                              ("parties", "Ja, FK och AF", "affirm")])
def test_the_examples_alone_never_steer_at_the_contact_details(slot, text, intent):
    result = turn(slot, text, intent="nlu_fallback", confidence=0.5, example_intent=intent, example_confidence=0.99)
    assert result.kind == "answer"


@pytest.mark.parametrize("text", ["var.karlsson@region.se", "Hur-frågan", "Var-dag", "vad+hur", "vad–vem", "hur.se",
                                  "", "???", "😀", "x" * 6000])
def test_odd_text_is_read_without_error_at_every_question(text):
    for slot in ["title", "solution", "email"]:
        for intent in ["nlu_fallback", "ask_criteria", "sketch_back", "greet"]:
            turn(slot, text, intent=intent, confidence=0.6, example_intent=intent, example_confidence=0.99,
                 digression_intents=FAQ | {"ask_criteria"})
