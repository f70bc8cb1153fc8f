"""Custom actions, run with a CollectingDispatcher and trackers built in fixtures.

Assertions are on events and response names, so the wording can change freely.
"""
import asyncio
import json

import pytest
from rasa_sdk.events import SlotSet, UserUtteranceReverted

from actions import answers, sketch_form
from finsam.privacy import get_privacy, short_notice
from finsam.sketch import OPEN, SKETCH_SLOTS

COMPLETE = {
    "title": "Gemensam väg",
    "background": "Unga hamnar mellan stolarna; en kartläggning visar behov av samverkan.",
    "solution": "Ett team som bygger på deltagarnas egna styrkor.",
    "target_group": "Unga vuxna 18-29 år med psykisk ohälsa.",
    "coordination": "Gemensamma möten där deltagaren är delaktig.",
    "measurement": OPEN,
    "governance": "Styrgrupp; Karlshamns kommun är huvudman. Budget 1 miljon per år i två år.",
    "anchoring": "Förankrat i ledningsgrupperna, målet är ordinarie verksamhet.",
    "parties": "Karlshamns kommun (huvudman), Arbetsförmedlingen, Försäkringskassan",
    "contact_name": "Anna Svensson",
    "organisation": "Karlshamns kommun",
    "role": "Samordnare",
    "email": "anna.svensson@karlshamn.se",
}


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def test_action_names_match_the_domain(domain):
    names = {cls().name() for module in (answers, sketch_form) for cls in vars(module).values()
             if isinstance(cls, type) and cls.__module__ == module.__name__ and hasattr(cls, "name")
             and cls.__name__.startswith(("Action", "Validate"))}
    assert names == set(domain["actions"])


def test_answer_question_renders_the_knowledge_topic(dispatcher, tracker_factory, domain, knowledge):
    tracker = tracker_factory("när är sista dagen att söka", intent="ask_deadline")
    assert run(answers.ActionAnswerQuestion(), dispatcher, tracker, domain) == []
    [message] = dispatcher.messages
    assert message["text"] == knowledge.render_answer(knowledge.topic_for_intent("ask_deadline"))


@pytest.mark.parametrize("intent,key", [("ask_not_covered", "not_in_documents"), ("out_of_scope", "out_of_scope")])
def test_questions_the_documents_do_not_answer_get_the_honest_message(intent, key, dispatcher, tracker_factory,
                                                                      domain, knowledge):
    run(answers.ActionAnswerQuestion(), dispatcher, tracker_factory("hur mycket kan man max få", intent=intent),
        domain)
    assert [m["text"] for m in dispatcher.messages] == [knowledge.message(key)]


def test_ask_affirmation_offers_the_likeliest_topics(dispatcher, tracker_factory, domain, knowledge):
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_deadline", "confidence": 0.3},
               {"name": "greet", "confidence": 0.1}, {"name": "ask_decision", "confidence": 0.05},
               {"name": "ask_criteria", "confidence": 0.03}, {"name": "ask_budget", "confidence": 0.02}]
    tracker = tracker_factory("datum?", intent="nlu_fallback", intent_ranking=ranking)
    run(answers.ActionDefaultAskAffirmation(), dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert [b["payload"] for b in message["buttons"]] == ["/ask_deadline", "/ask_decision", "/ask_criteria",
                                                          "/out_of_scope"]
    assert message["buttons"][0]["title"] == knowledge.topic_for_intent("ask_deadline").title


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
    assert dispatcher.messages[0]["custom"] == {"draft_reference": reference}
    draft = json.loads((drafts_dir / reference / "draft.json").read_text(encoding="utf-8"))
    assert draft["open_questions"] == [6]
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
    assert events == [SlotSet("background", None), SlotSet("sketch_field", None), SlotSet("draft_reference", None)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_editing"]


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


def test_cancel_flow_events(dispatcher, tracker_factory, domain):
    assert run(sketch_form.ActionAskCancelConfirmation(), dispatcher, tracker_factory(), domain) == [
        SlotSet("confirming_cancel", True)]
    cancelled = run(sketch_form.ActionCancelSketch(), dispatcher, tracker_factory(slots=COMPLETE), domain)
    assert all(SlotSet(slot, None) in cancelled for slot in SKETCH_SLOTS)
    assert run(sketch_form.ActionResumeSketch(), dispatcher, tracker_factory(), domain) == [
        SlotSet("confirming_cancel", False)]
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_ask_confirm_cancel", "utter_sketch_cancelled", "utter_continue_sketch"]
