"""Issue 9, the interview, through the real stack (REST channel, Rasa, action server, SQLite).

Each test asserts what the bot did (the actions and responses stored in the tracker) and
what it stored (slot values), so a regression fails whatever the wording.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import docx
import pytest
from conftest import ROOT, trained_model
from live import LiveBot, buttons, texts
from test_live_bot import FORM_ANSWERS, QUESTION_MARKERS
from tracker_events import last_turn, move_back_in_time, responses_of_last_turn, slot_value

TWO_DAYS = 2 * 24 * 3600
TRANSCRIPT = ROOT / "artifacts" / "interview-transcript.txt"


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    live = LiveBot(tmp_path_factory.mktemp("interview"), trained_model()).start()
    yield live
    live.stop()


def db(bot) -> str:
    return bot.env["TRACKER_DB"]


def start(bot, sender):
    reply = texts(bot.say(sender, "jag har en idé"))
    assert QUESTION_MARKERS["title"] in reply
    return reply


def answer(bot, sender, slots):
    """Answers the form's questions for these slots with the happy-path answers."""
    given = dict(FORM_ANSWERS)
    for slot in slots:
        bot.say(sender, given[slot])
        assert slot_value(db(bot), sender, slot) == given[slot], slot


def test_a_title_with_a_skip_word_is_kept(bot):
    sender = "iv-skipword"
    start(bot, sender)
    reply = texts(bot.say(sender, "Pass till arbete"))
    assert QUESTION_MARKERS["background"] in reply
    assert slot_value(db(bot), sender, "title") == "Pass till arbete"
    bot.say(sender, "Vet inte om FK vill vara med")
    assert slot_value(db(bot), sender, "background") == "Vet inte om FK vill vara med"
    # The whole message "vet inte" does skip.
    bot.say(sender, "vet inte")
    assert slot_value(db(bot), sender, "solution") == "__open__"
    assert responses_of_last_turn(db(bot), sender) == ["utter_question_skipped", "utter_ask_target_group"]


def test_small_talk_back_which_field_question_and_goodbye_are_not_stored(bot):
    sender = "iv-steer"
    start(bot, sender)
    answer(bot, sender, ["title"])
    bot.say(sender, "tack så mycket för hjälpen!")
    assert responses_of_last_turn(db(bot), sender) == ["utter_form_you_are_welcome", "utter_ask_background"]
    assert slot_value(db(bot), sender, "background") is None
    answer(bot, sender, ["background"])

    reply = texts(bot.say(sender, "kan jag gå tillbaka till förra frågan?"))
    assert responses_of_last_turn(db(bot), sender) == ["utter_going_back", "utter_ask_background"]
    assert dict(FORM_ANSWERS)["background"] in reply  # the earlier answer is shown, not lost
    assert slot_value(db(bot), sender, "background") is None
    answer(bot, sender, ["background"])

    messages = bot.say(sender, "jag vill ändra ett tidigare svar")
    assert responses_of_last_turn(db(bot), sender) == ["utter_ask_which_field", "utter_ask_solution"]
    assert '/edit_answer{"sketch_field": "background"}' in [b["payload"] for b in buttons(messages)]
    assert slot_value(db(bot), sender, "solution") is None

    reply = texts(bot.say(sender, "undrar om regionen måste vara med"))
    steps = last_turn(db(bot), sender)
    assert "action_answer_question" in steps and steps[-2:] == ["utter:utter_ask_solution", "action_listen"]
    assert reply.strip() and slot_value(db(bot), sender, "solution") is None

    bot.say(sender, "ok")
    assert responses_of_last_turn(db(bot), sender) == ["utter_form_ack", "utter_ask_solution"]
    bot.say(sender, "hej då")
    assert responses_of_last_turn(db(bot), sender) == ["utter_sketch_saved", "utter_ask_solution"]
    assert slot_value(db(bot), sender, "solution") is None
    answer(bot, sender, ["solution"])


def test_a_title_with_steering_words_is_kept_and_the_user_told_how_to_steer(bot):
    sender = "iv-steering-title"
    start(bot, sender)
    reply = texts(bot.say(sender, "Gå tillbaka till studier"))
    assert slot_value(db(bot), sender, "title") == "Gå tillbaka till studier"
    assert QUESTION_MARKERS["background"] in reply
    # Plain steering still steers.
    bot.say(sender, "gå tillbaka")
    assert responses_of_last_turn(db(bot), sender)[0] == "utter_going_back"
    assert slot_value(db(bot), sender, "title") is None


def test_a_statement_that_reads_like_a_rules_question_is_the_answer(bot):
    sender = "iv-statement"
    start(bot, sender)
    answer(bot, sender, ["title", "background", "solution", "target_group", "coordination"])
    reply = texts(bot.say(sender, "Deltagarna ska få jobb efter projektet"))
    assert slot_value(db(bot), sender, "measurement") == "Deltagarna ska få jobb efter projektet"
    assert QUESTION_MARKERS["governance"] in reply
    bot.say(sender, "Kommunen är huvudman.")
    assert slot_value(db(bot), sender, "governance") == "Kommunen är huvudman."


def test_a_question_by_its_form_is_answered_mid_form_whatever_the_model_makes_of_it(bot):
    sender = "iv-unsure-question"
    start(bot, sender)
    answer(bot, sender, ["title", "background"])
    for question in ["Måste FK vara med i projektet?", "hur lång får projektperioden vara"]:
        reply = texts(bot.say(sender, question))
        steps = last_turn(db(bot), sender)
        assert "action_answer_question" in steps and steps[-2:] == ["utter:utter_ask_solution", "action_listen"]
        assert reply.strip() and slot_value(db(bot), sender, "solution") is None


def test_starting_over_asks_first_then_clears_the_answers(bot):
    sender = "iv-restart"
    start(bot, sender)
    answer(bot, sender, ["title", "background"])
    messages = bot.say(sender, "nej vänta jag vill börja om från början")
    assert last_turn(db(bot), sender) == ["action_ask_restart_confirmation", "utter:utter_ask_confirm_restart",
                                          "action_listen"]
    assert [b["payload"] for b in buttons(messages)] == ["/affirm", "/deny"]
    assert slot_value(db(bot), sender, "title") == dict(FORM_ANSWERS)["title"]
    reply = texts(bot.say(sender, "ja"))
    assert QUESTION_MARKERS["title"] in reply
    assert responses_of_last_turn(db(bot), sender) == ["utter_sketch_restarted", "utter_ask_title"]
    assert slot_value(db(bot), sender, "title") is None and slot_value(db(bot), sender, "background") is None


def test_a_new_idea_instead_also_asks_before_clearing(bot):
    sender = "iv-newidea"
    start(bot, sender)
    answer(bot, sender, ["title"])
    bot.say(sender, "jag har en ny idé istället")
    assert responses_of_last_turn(db(bot), sender) == ["utter_ask_confirm_restart"]
    bot.say(sender, "nej")
    assert responses_of_last_turn(db(bot), sender) == ["utter_continue_sketch", "utter_ask_background"]
    assert slot_value(db(bot), sender, "title") == dict(FORM_ANSWERS)["title"]


def test_the_email_is_required_and_taken_from_a_sentence(bot):
    sender = "iv-email"
    start(bot, sender)
    answer(bot, sender, [slot for slot, _ in FORM_ANSWERS[:-1]])
    bot.say(sender, "hoppa över")
    assert responses_of_last_turn(db(bot), sender) == ["utter_email_required", "utter_ask_email"]
    assert slot_value(db(bot), sender, "email") is None
    summary = texts(bot.say(sender, "min e-post är Karin@Example.se "))
    assert "Här är din idéskiss" in summary
    assert slot_value(db(bot), sender, "email") == "karin@example.se"


def test_text_word_cannot_hold_is_removed_when_taken_and_the_draft_is_written(bot):
    sender = "iv-word"
    start(bot, sender)
    answer(bot, sender, ["title"])
    bot.say(sender, "Unga\ufffe vuxna\uffff bollas\x0b mellan\x85 FK och kommunen utan samordning.")
    assert slot_value(db(bot), sender, "background") == "Unga vuxna bollas mellan FK och kommunen utan samordning."
    answer(bot, sender, [slot for slot, _ in FORM_ANSWERS[2:]])
    messages = bot.say(sender, "skicka in den till kansliet")
    reference = next(m["custom"]["draft_reference"] for m in messages if m.get("custom"))
    folder = Path(bot.env["DRAFTS_DIR"]) / reference
    body = "\n".join(p.text for p in docx.Document(str(folder / "draft.docx")).paragraphs)
    assert "Unga vuxna bollas mellan FK och kommunen utan samordning." in body


def test_an_answer_after_avbryt_that_is_neither_yes_nor_no_goes_on(bot):
    sender = "iv-avbryt"
    start(bot, sender)
    answer(bot, sender, ["title"])
    bot.say(sender, "avbryt")
    assert responses_of_last_turn(db(bot), sender) == ["utter_ask_confirm_cancel"]
    text = dict(FORM_ANSWERS)["background"]
    reply = texts(bot.say(sender, text))
    assert QUESTION_MARKERS["solution"] in reply
    assert responses_of_last_turn(db(bot), sender) == ["utter_cancel_not_confirmed", "utter_ask_solution"]
    assert slot_value(db(bot), sender, "background") == text
    assert slot_value(db(bot), sender, "confirming_cancel") is False


def test_the_same_message_twice_at_once_answers_one_question(bot):
    sender = "iv-twice"
    start(bot, sender)
    answer(bot, sender, ["title"])
    text = dict(FORM_ANSWERS)["background"]
    replies = []
    threads = [threading.Thread(target=lambda: replies.append(texts(bot.say(sender, text)))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert slot_value(db(bot), sender, "background") == text
    assert slot_value(db(bot), sender, "solution") is None
    assert all(QUESTION_MARKERS["solution"] in reply for reply in replies), replies


def test_one_length_limit_stated_and_nothing_cut(bot):
    sender = "iv-long"
    start(bot, sender)
    answer(bot, sender, ["title"])
    long_answer = ("Unga vuxna bollas mellan myndigheterna. " * 200).strip()
    assert 5000 < len(long_answer) < 10_000
    reply = texts(bot.say(sender, long_answer))
    assert responses_of_last_turn(db(bot), sender) == ["utter_answer_too_long", "utter_ask_background"]
    assert f"{len(long_answer)} tecken" in reply and "5000 tecken" in reply
    assert slot_value(db(bot), sender, "background") is None
    # A message longer than the channel takes states the same answer limit, never "split it".
    refused = texts(bot.say(sender, "a" * 20_000))
    assert "5000 tecken" in refused and "åt gången" not in refused
    assert slot_value(db(bot), sender, "background") is None


# --- coming back after Rasa's session expiry (24 h) -------------------------------------------
def half_done(bot, sender):
    start(bot, sender)
    answer(bot, sender, ["title", "background", "solution", "target_group"])
    assert move_back_in_time(db(bot), sender, TWO_DAYS) > 0


def assert_answers_kept(bot, sender):
    for slot, text in FORM_ANSWERS[:4]:
        assert slot_value(db(bot), sender, slot) == text, slot


def test_coming_back_and_asking_to_continue_resumes_at_question_5(bot):
    sender = "iv-return-continue"
    half_done(bot, sender)
    reply = texts(bot.say(sender, "jag vill fortsätta med min idéskiss"))
    assert "Välkommen tillbaka – vi var på fråga 5" in reply
    assert QUESTION_MARKERS["coordination"] in reply
    # The welcome back came from action_session_start, before the message; then only the question.
    assert responses_of_last_turn(db(bot), sender) == ["utter_ask_coordination"]
    assert_answers_kept(bot, sender)
    assert slot_value(db(bot), sender, "coordination") is None
    answer(bot, sender, ["coordination"])


def test_coming_back_with_jag_har_en_ide_resumes_instead_of_restarting(bot):
    sender = "iv-return-idea"
    half_done(bot, sender)
    reply = texts(bot.say(sender, "jag har en idé"))
    assert "Välkommen tillbaka – vi var på fråga 5" in reply and QUESTION_MARKERS["coordination"] in reply
    assert "personuppgifter" not in reply  # no new privacy notice, no new sketch
    assert slot_value(db(bot), sender, "coordination") is None  # not stored as the answer
    assert_answers_kept(bot, sender)


def test_coming_back_with_the_next_answer_stores_it(bot):
    sender = "iv-return-answer"
    half_done(bot, sender)
    text = dict(FORM_ANSWERS)["coordination"]
    reply = texts(bot.say(sender, text))
    assert "Välkommen tillbaka – vi var på fråga 5" in reply and QUESTION_MARKERS["measurement"] in reply
    assert slot_value(db(bot), sender, "coordination") == text
    assert_answers_kept(bot, sender)


# --- the transcript for the closing note ----------------------------------------------
class Recorder:
    def __init__(self, bot, sender):
        self.bot, self.sender, self.lines = bot, sender, []

    def say(self, text, note=""):
        messages = self.bot.say(self.sender, text)
        shown = text if len(text) < 200 else text[:80] + f"… ({len(text)} tecken)"
        self.lines.append(f"\nDU: {shown}" + (f"    [{note}]" if note else ""))
        for message in messages:
            if message.get("text"):
                self.lines.append("BOT: " + message["text"].replace("\n", "\n     "))
            if message.get("buttons"):
                self.lines.append("     [" + " | ".join(b["title"] for b in message["buttons"]) + "]")
        return messages

    def note(self, text):
        self.lines.append(f"\n--- {text} ---")


def test_write_the_interview_transcript(bot):
    sender = "iv-transcript"
    record = Recorder(bot, sender)
    given = dict(FORM_ANSWERS)
    record.say("jag har en idé")
    record.say("Pass till arbete", "punkt 1: en titel med ett skip-ord är ett svar")
    record.say("tack så mycket för hjälpen!", "punkt 2: artighet sparas inte")
    record.say(given["background"])
    record.say("kan jag gå tillbaka till förra frågan?", "punkt 2: tillbaka")
    record.say(given["background"])
    record.say("jag vill ändra ett tidigare svar", "punkt 2: ändra utan fält")
    record.say("undrar om regionen måste vara med", "punkt 2: fråga utan frågetecken")
    record.say(given["solution"])
    record.say(given["target_group"])
    record.say("hej då", "punkt 2: hej då")
    moved = move_back_in_time(db(bot), sender, TWO_DAYS)
    record.note(f"två dygn senare ({moved} lagrade händelser flyttade 48 h bakåt; Rasas session har gått ut)")
    record.say("jag vill fortsätta med min idéskiss", "punkt 6: tillbaka nästa dag")
    for slot in ["coordination", "measurement", "governance", "anchoring", "parties", "contact_name",
                 "organisation", "role"]:
        record.say(given[slot])
    record.say("min e-post är Karin@Example.se ", "punkt 3: adressen ur en mening")
    messages = record.say("skicka in den till kansliet")
    reference = next(m["custom"]["draft_reference"] for m in messages if m.get("custom"))
    record.say('/edit_answer{"sketch_field": "background"}', "punkt 4: ändra efter inskick")
    record.say("Många unga bollas mellan myndigheterna i flera år utan samordnat stöd.")
    again = record.say("skicka in den till kansliet")
    new_reference = next((m["custom"]["draft_reference"] for m in again if m.get("custom")), None)
    stored = {slot: slot_value(db(bot), sender, slot) for slot, _ in FORM_ANSWERS}
    record.note("sparade svar: " + json.dumps(stored, ensure_ascii=False, indent=1))
    TRANSCRIPT.parent.mkdir(exist_ok=True)
    TRANSCRIPT.write_text("Idéskiss över REST, riktig stack (tests/test_live_interview.py)\n"
                          + "\n".join(record.lines) + "\n", encoding="utf-8")
    assert stored["title"] == "Pass till arbete"
    assert stored["email"] == "karin@example.se"
    assert stored["coordination"] == given["coordination"]
    assert stored["background"].startswith("Många unga bollas")
    assert reference and new_reference
