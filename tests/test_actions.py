"""Custom actions, run with a CollectingDispatcher and trackers built in fixtures.

Assertions are on events and response names, so the wording can change freely.
"""
import asyncio
import json

import docx
import pytest
from rasa_sdk.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet, UserUtteranceReverted
from sketch_samples import COMPLETE_SKETCH

from actions import answers, privacy, sketch_form
from finsam.privacy import get_privacy, short_notice
from finsam.sketch import OPEN, SKETCH_SLOTS

COMPLETE = COMPLETE_SKETCH
# An idea described outside the sketch (the sketch offer keeps it for the question about the solution).
IDEA = "Vi vill starta ett samarbete mellan vuxenpsykiatrin och kommunen för unga vuxna"


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def test_action_names_match_the_domain(domain):
    names = {cls().name() for module in (answers, privacy, sketch_form) for cls in vars(module).values()
             if isinstance(cls, type) and cls.__module__ == module.__name__ and hasattr(cls, "name")
             and cls.__name__.startswith(("Action", "Validate"))}
    assert names == set(domain["actions"])


def test_answer_question_renders_the_knowledge_topic(dispatcher, tracker_factory, domain, knowledge):
    tracker = tracker_factory("när är sista dagen att söka", intent="ask_deadline")
    assert run(answers.ActionAnswerQuestion(), dispatcher, tracker, domain) == [
        SlotSet("last_topic", "deadline"), SlotSet("last_topic_turns", 0.0)]
    [message] = dispatcher.messages
    assert message["text"] == knowledge.render_answer(knowledge.topic_for_intent("ask_deadline"))


def test_answer_question_weighs_the_example_ranking_of_the_parse_data(dispatcher, tracker_factory, domain, knowledge):
    # DIET is sure of the deadline; the example ranking, in the same parse data, is sure of the contact.
    tracker = tracker_factory("när kan man senast höra av sig till er", intent="ask_deadline", confidence=0.9,
                              example_ranking=[{"name": "ask_contact", "confidence": 0.97}])
    events = run(answers.ActionAnswerQuestion(), dispatcher, tracker, domain)
    assert SlotSet("last_topic", "deadline") not in events
    assert [m["text"] for m in dispatcher.messages] != [
        knowledge.render_answer(knowledge.topic_for_intent("ask_deadline"))]


@pytest.mark.parametrize("intent,key", [("ask_not_covered", "not_in_documents"), ("out_of_scope", "out_of_scope")])
def test_questions_the_documents_do_not_answer_get_the_honest_message(intent, key, dispatcher, tracker_factory,
                                                                      domain, knowledge):
    run(answers.ActionAnswerQuestion(), dispatcher, tracker_factory("hur mycket kan man max få", intent=intent),
        domain)
    assert [m["text"] for m in dispatcher.messages] == [knowledge.message(key)]


def test_ask_affirmation_offers_only_related_topics(dispatcher, tracker_factory, domain, knowledge):
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_deadline", "confidence": 0.3},
               {"name": "greet", "confidence": 0.1}, {"name": "ask_decision", "confidence": 0.05},
               {"name": "ask_criteria", "confidence": 0.03}, {"name": "ask_budget", "confidence": 0.02}]
    tracker = tracker_factory("sista datum?", intent="nlu_fallback", intent_ranking=ranking)
    run(answers.ActionDefaultAskAffirmation(), dispatcher, tracker, domain)
    [message] = dispatcher.messages
    payloads = [b["payload"] for b in message["buttons"]]
    # greet is no topic; criteria and budget are too unlikely and share no word with the question.
    assert payloads[0] == "/ask_deadline" and payloads[-1] == "/ask_not_covered"
    assert not {"/greet", "/ask_criteria", "/ask_budget"} & set(payloads)
    assert message["buttons"][0]["title"] == knowledge.topic_for_intent("ask_deadline").title


def test_answer_sets_the_last_topic_and_a_follow_up_uses_it(dispatcher, tracker_factory, domain, knowledge):
    tracker = tracker_factory("när är sista dagen att söka", intent="ask_deadline")
    events = run(answers.ActionAnswerQuestion(), dispatcher, tracker, domain)
    assert events == [SlotSet("last_topic", "deadline"), SlotSet("last_topic_turns", 0.0)]
    follow_up = tracker_factory("och när är det?", intent="ask_follow_up", slots={"last_topic": "deadline"})
    run(answers.ActionAnswerQuestion(), dispatcher, follow_up, domain)
    assert "2 oktober 2020" in dispatcher.messages[-1]["text"]


@pytest.mark.parametrize("text,intent", [("ok", "affirm"), ("nej", "deny"), ("vet ej", "skip_question"),
                                         ("👍", "nlu_fallback")])
def test_acknowledgements_outside_the_form_get_a_short_reply(text, intent, dispatcher, tracker_factory, domain,
                                                             knowledge):
    run(answers.ActionAnswerQuestion(), dispatcher, tracker_factory(text, intent=intent, confidence=0.9), domain)
    assert [m["text"] for m in dispatcher.messages] == [knowledge.message("small_talk")]


def test_english_gets_an_english_sentence_first(dispatcher, tracker_factory, domain, knowledge):
    tracker = tracker_factory("who can apply for funding", intent="ask_who_can_apply", confidence=0.99)
    run(answers.ActionAnswerQuestion(), dispatcher, tracker, domain)
    assert [m["text"] for m in dispatcher.messages] == [
        knowledge.message("english"), knowledge.render_answer(knowledge.topic_for_intent("ask_who_can_apply"))]


def test_default_fallback_hands_over_to_the_kansli(dispatcher, tracker_factory, domain, knowledge):
    events = run(answers.ActionDefaultFallback(), dispatcher, tracker_factory("xyz"), domain)
    assert events == [UserUtteranceReverted()]
    assert dispatcher.messages[0]["text"] == knowledge.message("handoff")


def test_start_sketch_shows_privacy_notice_and_resets_after_a_submitted_sketch(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("jag har en idé", intent="start_sketch", slots=dict(COMPLETE, draft_reference="IDS-x"))
    events = run(sketch_form.ActionStartSketch(), dispatcher, tracker, domain)
    # The short privacy notice for the channel, from knowledge/privacy.yml (tests/test_privacy.py).
    [notice] = dispatcher.messages
    assert notice["text"] == short_notice(get_privacy(), tracker.get_latest_input_channel())
    assert SlotSet("title", None) in events and SlotSet("draft_reference", None) in events


def test_a_new_sketch_after_a_submitted_one_keeps_the_idea_just_described(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("/start_sketch", intent="start_sketch",
                              slots=dict(COMPLETE, draft_reference="IDS-x", offered_idea=IDEA))
    events = run(sketch_form.ActionStartSketch(), dispatcher, tracker, domain)
    assert events[-1] == SlotSet("offered_idea", IDEA) and SlotSet("title", None) in events


def test_cancel_erase_and_restart_forget_an_idea_described_before_the_sketch():
    assert SlotSet("offered_idea", None) in sketch_form._reset_sketch_events()
    assert SlotSet("offered_idea", None) in privacy.erased_slots()


def test_editing_a_submitted_sketch_offers_no_idea_described_for_a_new_one(dispatcher, tracker_factory, domain):
    tracker = form_tracker(tracker_factory, "", slot="solution",
                           slots=dict(COMPLETE, draft_reference="IDS-x", offered_idea=IDEA))
    run(sketch_form.ActionAskSolution(), dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_solution"]


def test_form_validation_fills_the_requested_slot(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("Unga med psykisk ohälsa faller mellan stolarna.", intent="inform_sketch",
                              slots={"requested_slot": "background"}, active_loop="idea_sketch_form")
    events = run(sketch_form.ValidateIdeaSketchForm(), dispatcher, tracker, domain)
    assert events == [SlotSet("background", "Unga med psykisk ohälsa faller mellan stolarna.")]
    assert dispatcher.messages == []


def test_form_validation_lets_a_question_through(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("vem kan vara huvudman?", intent="ask_who_can_apply", confidence=0.97,
                              slots={"requested_slot": "governance"}, active_loop="idea_sketch_form")
    assert run(sketch_form.ValidateIdeaSketchForm(), dispatcher, tracker, domain) == []


def test_form_validation_reasks_a_one_word_answer(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("jobb", intent="inform_sketch", slots={"requested_slot": "solution"},
                              active_loop="idea_sketch_form")
    events = run(sketch_form.ValidateIdeaSketchForm(), dispatcher, tracker, domain)
    assert events == [SlotSet("solution", None)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_help_solution"]


def test_form_validation_reads_the_example_ranking_of_the_parse_data(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("jag vill ändra ett tidigare svar", intent="edit_answer", confidence=0.62,
                              slots={"requested_slot": "solution"}, active_loop="idea_sketch_form",
                              example_ranking=[{"name": "edit_answer", "confidence": 0.99}])
    events = run(sketch_form.ValidateIdeaSketchForm(), dispatcher, tracker, domain)
    assert events == [SlotSet("solution", None)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_which_field"]


def test_summary_lists_answers_suggestions_and_buttons(dispatcher, tracker_factory, domain):
    tracker = tracker_factory(slots=COMPLETE)
    events = run(sketch_form.ActionSketchSummary(), dispatcher, tracker, domain)
    assert events == [SlotSet("confirming_cancel", False)]
    summary, suggestions, buttons = dispatcher.messages
    assert "Gemensam väg" in summary["text"] and "(öppen fråga)" in summary["text"]
    assert "plan för utvärdering" in suggestions["text"]
    assert buttons["response"] == "utter_summary_buttons"


def test_submit_writes_one_draft_and_gives_the_reference(dispatcher, tracker_factory, domain, drafts_dir,
                                                         monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    tracker = tracker_factory("skicka", intent="confirm_submit", slots=COMPLETE)
    events = run(sketch_form.ActionSubmitSketch(), dispatcher, tracker, domain)
    [event] = events
    assert event["event"] == "slot" and event["name"] == "draft_reference"
    reference = event["value"]
    assert dispatcher.messages[0]["custom"] == {"draft_reference": reference, "draft_version": 1}
    draft = json.loads((drafts_dir / reference / "draft.json").read_text(encoding="utf-8"))
    assert draft["open_questions"] == [6]
    assert draft["contact"]["name"] == "Anna Svensson"
    # A second click (or a Teams retry) gives the same draft, not a new one.
    again = run(sketch_form.ActionSubmitSketch(), dispatcher, tracker, domain)
    assert again == events
    assert [p.name for p in drafts_dir.iterdir() if not p.name.startswith(".")] == [reference]


def test_submit_without_a_finished_sketch(dispatcher, tracker_factory, domain, drafts_dir):
    events = run(sketch_form.ActionSubmitSketch(), dispatcher, tracker_factory("skicka", slots={"title": "X"}), domain)
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_sketch"]
    assert not drafts_dir.exists()


def test_edit_answer_clears_the_named_field(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("ändra bakgrunden", intent="edit_answer", slots=dict(COMPLETE, sketch_field="background"))
    events = run(sketch_form.ActionEditAnswer(), dispatcher, tracker, domain)
    # The draft reference stays, so submitting again makes a new version of the same draft.
    assert events == [SlotSet("background", None), SlotSet("sketch_field", None)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_editing"]


def test_submit_edit_submit_gives_version_2_of_the_same_draft(dispatcher, tracker_factory, domain, drafts_dir,
                                                              monkeypatch, knowledge):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    submit = sketch_form.ActionSubmitSketch()
    [first] = run(submit, dispatcher, tracker_factory("skicka", intent="confirm_submit", slots=COMPLETE), domain)
    reference = first["value"]
    submitted = dict(COMPLETE, draft_reference=reference)
    edit = tracker_factory("ändra bakgrunden", intent="edit_answer", slots=dict(submitted, sketch_field="background"))
    edit_events = run(sketch_form.ActionEditAnswer(), dispatcher, edit, domain)
    assert SlotSet("draft_reference", None) not in edit_events
    edited = dict(submitted, background="Många unga bollas mellan FK, vården och kommunen.")
    again = run(submit, dispatcher, tracker_factory("skicka", intent="confirm_submit", slots=edited), domain)
    assert again == [SlotSet("draft_reference", reference)]
    assert dispatcher.messages[-1]["custom"] == {"draft_reference": reference, "draft_version": 2}
    assert "version 2" in dispatcher.messages[-1]["text"]
    folder = drafts_dir / reference
    draft = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
    assert (draft["version"], draft["replaces"], draft["changed_fields"]) == (2, 1, ["background"])
    assert json.loads((folder / "v1" / "draft.json").read_text(encoding="utf-8"))["questions"][1]["answer"] == \
        COMPLETE["background"]
    # The Word document names the förbund as its author.
    assert docx.Document(str(folder / "draft.docx")).core_properties.author == \
        knowledge.documents["sok-finansiering"].publisher
    # The same answers once more (a double click): no version 3.
    run(submit, dispatcher, tracker_factory("skicka", intent="confirm_submit", slots=edited), domain)
    assert dispatcher.messages[-1]["custom"] == {"draft_reference": reference, "draft_version": 2}
    assert "redan inskickad" in dispatcher.messages[-1]["text"]
    assert sorted(p.name for p in folder.glob("v*")) == ["v1", "v2"]
    assert [p.name for p in drafts_dir.iterdir() if not p.name.startswith(".")] == [reference]


def test_edit_answer_mid_form_requests_that_field(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("jag vill ändra titeln", intent="edit_answer",
                              slots={"title": "A", "requested_slot": "role"},
                              active_loop="idea_sketch_form")
    events = run(sketch_form.ActionEditAnswer(), dispatcher, tracker, domain)
    assert SlotSet("title", None) in events and SlotSet("requested_slot", "title") in events


def test_edit_answer_without_a_field_asks_which(dispatcher, tracker_factory, domain):
    events = run(sketch_form.ActionEditAnswer(), dispatcher, tracker_factory("kan jag ändra", intent="edit_answer",
                                                                             slots=COMPLETE), domain)
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_which_field"]


def test_cancel_flow_events(dispatcher, tracker_factory, domain, drafts_dir):
    assert run(sketch_form.ActionAskCancelConfirmation(), dispatcher, tracker_factory(), domain) == [
        SlotSet("confirming_cancel", True)]
    cancelled = run(sketch_form.ActionCancelSketch(), dispatcher,
                    tracker_factory(slots=dict(COMPLETE, offered_idea=IDEA)), domain)
    assert cancelled == [SlotSet(slot, None) for slot in SKETCH_SLOTS] + [
        SlotSet("confirming_cancel", False), SlotSet("sketch_field", None), SlotSet("requested_slot", None),
        SlotSet("offered_idea", None), SlotSet("draft_reference", None)]
    assert run(sketch_form.ActionResumeSketch(), dispatcher, tracker_factory(), domain) == [
        SlotSet("confirming_cancel", False)]
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_ask_confirm_cancel", "utter_sketch_cancelled", "utter_continue_sketch"]


# --- Issue 9: the form keeps only real answers ----------------------------------------------
def form_tracker(tracker_factory, text, intent="inform_sketch", confidence=0.95, slot="title", slots=None,
                 events=None, **kwargs):
    tracker = tracker_factory(text, intent=intent, confidence=confidence,
                              slots=dict(slots or {}, requested_slot=slot), active_loop="idea_sketch_form", **kwargs)
    tracker.events = events if events is not None else [
        {"event": "action", "name": "action_listen"}, {"event": "user", "text": text, "timestamp": 1000.0}]
    return tracker


def validate(tracker, dispatcher, domain):
    return run(sketch_form.ValidateIdeaSketchForm(), dispatcher, tracker, domain)


@pytest.mark.parametrize("text,intent,response", [
    ("tack", "thank", "utter_form_you_are_welcome"),
    ("ok", "affirm", "utter_form_ack"),
    ("hej då", "goodbye", "utter_sketch_saved"),
    ("jag vill ändra ett tidigare svar", "edit_answer", "utter_ask_which_field"),
    ("jag vill fortsätta med min idéskiss", "sketch_resume", "utter_continue_sketch"),
])
def test_steering_messages_are_not_stored(text, intent, response, dispatcher, tracker_factory, domain):
    events = validate(form_tracker(tracker_factory, text, intent, slot="organisation"), dispatcher, domain)
    assert events == [SlotSet("organisation", None)]
    assert [m["response"] for m in dispatcher.messages] == [response]


def test_pass_till_arbete_is_a_title(dispatcher, tracker_factory, domain):
    events = validate(form_tracker(tracker_factory, "Pass till arbete", "skip_question", 0.9), dispatcher, domain)
    assert events == [SlotSet("title", "Pass till arbete")]
    assert dispatcher.messages == []


def test_a_title_with_a_steering_word_is_stored_and_the_user_told(dispatcher, tracker_factory, domain):
    tracker = form_tracker(tracker_factory, "Gå tillbaka till studier", "sketch_back", 0.93, slot="title")
    assert validate(tracker, dispatcher, domain) == [SlotSet("title", "Gå tillbaka till studier")]
    assert [m["response"] for m in dispatcher.messages] == ["utter_taken_as_answer"]


def test_going_back_clears_the_previous_answer_and_shows_it(dispatcher, tracker_factory, domain):
    tracker = form_tracker(tracker_factory, "gå tillbaka till förra frågan", "sketch_back", slot="solution",
                           slots={"title": "Navet", "background": "Unga bollas runt mellan myndigheterna."})
    assert validate(tracker, dispatcher, domain) == [SlotSet("background", None), SlotSet("solution", None)]
    [message] = dispatcher.messages
    assert message["response"] == "utter_going_back"
    assert message["previous_answer"] == "Unga bollas runt mellan myndigheterna."


def test_the_email_is_taken_from_a_sentence(dispatcher, tracker_factory, domain):
    tracker = form_tracker(tracker_factory, "min e-post är Karin@Example.se ", slot="email")
    assert validate(tracker, dispatcher, domain) == [SlotSet("email", "karin@example.se")]


def test_the_email_cannot_be_skipped(dispatcher, tracker_factory, domain):
    tracker = form_tracker(tracker_factory, "hoppa över", "skip_question", slot="email")
    assert validate(tracker, dispatcher, domain) == [SlotSet("email", None)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_email_required"]


def test_the_same_message_twice_within_seconds_is_ignored(dispatcher, tracker_factory, domain):
    text = "Unga vuxna med psykisk ohälsa bollas mellan FK och kommunen."
    events = [{"event": "user", "text": text, "timestamp": 1000.0},
              {"event": "action", "name": "idea_sketch_form"}, {"event": "slot", "name": "background", "value": text},
              {"event": "action", "name": "action_listen"}, {"event": "user", "text": text, "timestamp": 1001.5}]
    tracker = form_tracker(tracker_factory, text, slot="solution", slots={"background": text}, events=events)
    assert validate(tracker, dispatcher, domain) == [SlotSet("solution", None)]
    assert dispatcher.messages == []
    # The same text a minute later is a real answer.
    events[-1] = {"event": "user", "text": text, "timestamp": 1060.0}
    assert validate(tracker, dispatcher, domain) == [SlotSet("solution", text)]


def test_after_a_digression_the_question_is_not_read_as_the_answer(dispatcher, tracker_factory, domain):
    events = [{"event": "user", "text": "nej", "timestamp": 1.0}, {"event": "action", "name": "action_resume_sketch"},
              {"event": "action", "name": "idea_sketch_form"}]
    tracker = form_tracker(tracker_factory, "nej", "deny", slot="background", events=events)
    assert validate(tracker, dispatcher, domain) == []
    assert dispatcher.messages == []


def test_an_over_long_answer_is_refused_with_the_limit(dispatcher, tracker_factory, domain):
    text = "ord " * 2600
    tracker = form_tracker(tracker_factory, text, slot="background")
    assert validate(tracker, dispatcher, domain) == [SlotSet("background", None)]
    [message] = dispatcher.messages
    assert (message["response"], message["length"], message["max_chars"]) == ("utter_answer_too_long", 10399, 5000)


def test_an_answer_after_avbryt_ends_the_confirmation(dispatcher, tracker_factory, domain):
    text = "Unga vuxna med psykisk ohälsa bollas mellan FK och kommunen."
    tracker = form_tracker(tracker_factory, text, slot="background", slots={"confirming_cancel": True})
    assert validate(tracker, dispatcher, domain) == [SlotSet("confirming_cancel", False), SlotSet("background", text)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_cancel_not_confirmed"]


def test_restart_asks_then_clears_every_answer(dispatcher, tracker_factory, domain):
    assert run(sketch_form.ActionAskRestartConfirmation(), dispatcher, tracker_factory(), domain) == [
        SlotSet("confirming_cancel", True)]
    events = run(sketch_form.ActionRestartSketch(), dispatcher, tracker_factory(slots=COMPLETE), domain)
    assert events == [SlotSet(slot, None) for slot in SKETCH_SLOTS] + [
        SlotSet("confirming_cancel", False), SlotSet("sketch_field", None), SlotSet("requested_slot", None),
        SlotSet("offered_idea", None), SlotSet("draft_reference", None)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_confirm_restart", "utter_sketch_restarted"]


HALF_DONE = {"title": "Navet", "background": "Unga bollas runt.", "solution": "Ett team.",
             "target_group": OPEN, "requested_slot": "coordination"}


def test_start_sketch_with_a_half_done_sketch_welcomes_back(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("jag har en idé", intent="start_sketch", slots=HALF_DONE)
    events = run(sketch_form.ActionStartSketch(), dispatcher, tracker, domain)
    assert events == [SlotSet("confirming_cancel", False), SlotSet("requested_slot", None)]
    [message] = dispatcher.messages
    assert (message["response"], message["where"]) == ("utter_welcome_back", "fråga 5")


def test_session_start_carries_the_form_over(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("", slots=HALF_DONE, active_loop="idea_sketch_form")
    events = run(sketch_form.ActionSessionStart(), dispatcher, tracker, domain)
    assert events == [SessionStarted()] + [SlotSet(k, v) for k, v in HALF_DONE.items()] + [
        ActiveLoop("idea_sketch_form"), ActionExecuted("action_listen")]
    [message] = dispatcher.messages
    assert (message["response"], message["where"]) == ("utter_welcome_back", "fråga 5")


def test_session_start_without_a_sketch_only_carries_slots(dispatcher, tracker_factory, domain):
    events = run(sketch_form.ActionSessionStart(), dispatcher, tracker_factory("", slots={"draft_reference": "X"}),
                 domain)
    assert events == [SessionStarted(), SlotSet("draft_reference", "X"), ActionExecuted("action_listen")]
    assert dispatcher.messages == []


def test_a_likely_question_without_a_question_mark_is_let_through(dispatcher, tracker_factory, domain):
    ranking = [{"name": "ask_who_can_apply", "confidence": 0.51}, {"name": "ask_target_groups", "confidence": 0.1},
               {"name": "inform_sketch", "confidence": 0.0004}]
    tracker = form_tracker(tracker_factory, "undrar om regionen måste vara med", "ask_who_can_apply", 0.51,
                           slot="solution", intent_ranking=ranking)
    assert validate(tracker, dispatcher, domain) == []
    # Not a question by its form, with a real chance of being an answer: it is the answer.
    ranking[-1]["confidence"] = 0.3
    statement = form_tracker(tracker_factory, "regionen ska vara med i teamet", "ask_who_can_apply", 0.51,
                             slot="solution", intent_ranking=ranking)
    assert validate(statement, dispatcher, domain) == [SlotSet("solution", "regionen ska vara med i teamet")]


def test_continue_right_after_the_welcome_back_only_asks_the_question(dispatcher, tracker_factory, domain):
    text = "jag vill fortsätta med min idéskiss"
    events = [{"event": "bot", "text": "Välkommen tillbaka", "metadata": {"utter_action": "utter_welcome_back"}},
              {"event": "action", "name": "action_listen"}, {"event": "user", "text": text, "timestamp": 5.0}]
    tracker = form_tracker(tracker_factory, text, "sketch_resume", slot="coordination", events=events)
    assert validate(tracker, dispatcher, domain) == [SlotSet("coordination", None)]
    assert dispatcher.messages == []


def test_edit_answer_reads_the_text_when_the_entity_is_no_field(dispatcher, tracker_factory, domain):
    # The entity extractor may tag a whole unseen compound; the slot then holds that text, not a field.
    tracker = tracker_factory("jag vill ändra målgruppsbeskrivningen", intent="edit_answer",
                              slots=dict(COMPLETE, sketch_field="målgruppsbeskrivningen"))
    events = run(sketch_form.ActionEditAnswer(), dispatcher, tracker, domain)
    assert events == [SlotSet("target_group", None), SlotSet("sketch_field", None)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_editing"]


def test_edit_answer_without_any_field_asks_which_and_forgets_the_stray_value(dispatcher, tracker_factory, domain):
    tracker = tracker_factory("jag vill ändra ledningen", intent="edit_answer",
                              slots=dict(COMPLETE, sketch_field="ledningen"))
    events = run(sketch_form.ActionEditAnswer(), dispatcher, tracker, domain)
    assert events == [SlotSet("sketch_field", None)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_which_field"]


@pytest.mark.parametrize("slots,payload,kept", [({}, "/start_sketch", [SlotSet("offered_idea", IDEA)]),
                                                ({"title": "Unga vuxna i arbete"}, "/sketch_resume", [])])
def test_a_sketch_statement_outside_the_form_is_offered_the_sketch(slots, payload, kept, dispatcher, tracker_factory,
                                                                  domain):
    tracker = tracker_factory(IDEA, intent="inform_sketch", confidence=0.95, slots=slots)
    # A new sketch keeps the idea for its question about the solution; an unfinished one has its own answers.
    assert run(answers.ActionAnswerQuestion(), dispatcher, tracker, domain) == kept
    [message] = dispatcher.messages
    assert [b["payload"] for b in message["buttons"]] == [payload]


def test_the_question_about_the_solution_offers_the_idea_described_before(dispatcher, tracker_factory, domain):
    tracker = form_tracker(tracker_factory, "", slot="solution", slots={"offered_idea": IDEA})
    assert run(sketch_form.ActionAskSolution(), dispatcher, tracker, domain) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_solution", "utter_offer_earlier_idea"]
    assert dispatcher.messages[1]["offered_idea"] == IDEA


def test_without_an_earlier_idea_the_question_about_the_solution_is_only_asked(dispatcher, tracker_factory, domain):
    run(sketch_form.ActionAskSolution(), dispatcher, form_tracker(tracker_factory, "", slot="solution"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_solution"]


def test_yes_to_the_earlier_idea_makes_it_the_answer_and_it_is_not_offered_again(dispatcher, tracker_factory, domain):
    tracker = form_tracker(tracker_factory, "/affirm", "affirm", 1.0, slot="solution", slots={"offered_idea": IDEA})
    assert validate(tracker, dispatcher, domain) == [SlotSet("solution", IDEA), SlotSet("offered_idea", None)]


def test_a_new_answer_on_the_solution_replaces_the_earlier_idea(dispatcher, tracker_factory, domain):
    answer = "Vi bygger ett gemensamt team med en coach från AF och en arbetsterapeut från regionen."
    tracker = form_tracker(tracker_factory, answer, slot="solution", slots={"offered_idea": IDEA})
    assert validate(tracker, dispatcher, domain) == [SlotSet("solution", answer), SlotSet("offered_idea", None)]
