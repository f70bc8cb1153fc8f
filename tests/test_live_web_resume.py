"""Issue 9 item 6 in the web widget, through the real stack (web channel, Rasa, action server,
SQLite): the session key lives only as long as the tab (issue 10), so the idea maker who leaves
mid-sketch gets a one-time fortsättningskod, and the code opens the conversation in a new
session two days later (the stored timestamps are moved back 48 h, past Rasa's session expiry
and the web key's idle expiry) with "Välkommen tillbaka – vi var på fråga 5", the earlier
messages and every answer kept."""
from __future__ import annotations

import json
import sqlite3
import urllib.request

import pytest
from conftest import trained_model
from live import LiveBot
from test_live_bot import FORM_ANSWERS, QUESTION_MARKERS
from tracker_events import move_back_in_time, responses_of_last_turn, slot_value

from channels.web import SESSION_HEADER

TWO_DAYS = 2 * 24 * 3600
WELCOME = "Välkommen tillbaka – vi var på fråga 5. Alla dina tidigare svar finns kvar."


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    live = LiveBot(tmp_path_factory.mktemp("web-resume"), trained_model()).start()
    yield live
    live.stop()


def db(bot) -> str:
    return bot.env["TRACKER_DB"]


def web(bot, path, key=None, payload=None):
    return bot.post(f"/webhooks/web/{path}", payload if payload is not None else {},
                    {SESSION_HEADER: key} if key else None)


def new_key(bot) -> str:
    status, body = web(bot, "session")
    assert status == 200
    return body["session"]


def say(bot, key, text):
    status, body = web(bot, "message", key, {"message": text})
    assert status == 200, body
    return body["messages"]


def text_of(messages):
    return "\n".join(m.get("text", "") for m in messages)


def half_done(bot) -> str:
    """A web conversation with questions 1-4 answered, waiting at question 5."""
    key = new_key(bot)
    assert QUESTION_MARKERS["title"] in text_of(say(bot, key, "jag har en idé"))
    for slot, answer in FORM_ANSWERS[:4]:
        say(bot, key, answer)
        assert slot_value(db(bot), key, slot) == answer, slot
    return key


def assert_answers_kept(bot, key):
    for slot, answer in FORM_ANSWERS[:4]:
        assert slot_value(db(bot), key, slot) == answer, slot


def history(bot, key):
    request = urllib.request.Request(f"{bot.url}/webhooks/web/history", headers={SESSION_HEADER: key})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.loads(reply.read().decode("utf-8"))["messages"]


def stored_codes(bot):
    with sqlite3.connect(db(bot)) as connection:
        return connection.execute("select code_hash, sender_id from finsam_resume_codes").fetchall()


def test_goodbye_mid_sketch_gives_a_code_that_resumes_two_days_later_in_a_new_session(bot):
    key = half_done(bot)
    messages = say(bot, key, "hej då")
    assert responses_of_last_turn(db(bot), key) == ["utter_sketch_saved", "utter_ask_coordination"]
    # The web chat's own goodbye: typing "jag vill fortsätta" would only work while the tab is open.
    assert any("fortsättningskod" in (m.get("text") or "") and not m.get("resume_code") for m in messages)
    assert not any("jag vill fortsätta med min idéskiss" in (m.get("text") or "") for m in messages)
    [coded] = [m for m in messages if m.get("resume_code")]
    code = coded["resume_code"]
    assert code in coded["text"] and "visas bara den här gången" in coded["text"]
    # Only the hash is stored, never the code, and never in the conversation itself.
    assert [sender for _, sender in stored_codes(bot)] == [key]
    with sqlite3.connect(db(bot)) as connection:
        dump = "\n".join(connection.iterdump())
    assert code not in dump and code.replace("-", "") not in dump

    # Two days later the tab is long closed: the old key has expired on the server too.
    assert move_back_in_time(db(bot), key, TWO_DAYS) > 0
    status, body = web(bot, "message", key, {"message": "hallå?"})
    assert status == 400 and "inaktivt" in body["error"]

    fresh = new_key(bot)
    status, body = web(bot, "resume", fresh, {"code": code.lower().replace("-", " ")})
    assert status == 200, body
    earlier = [m["text"] for m in body["history"]]
    assert earlier[:2] == ["jag har en idé", earlier[1]] and FORM_ANSWERS[3][1] in earlier
    reply = text_of(body["messages"])
    assert reply.count("Välkommen tillbaka") == 1 and WELCOME in reply
    assert QUESTION_MARKERS["coordination"] in reply
    assert_answers_kept(bot, fresh)
    assert slot_value(db(bot), fresh, "coordination") is None  # the resume is not an answer

    # The form goes on in the new session and stores the next answer there.
    text = dict(FORM_ANSWERS)["coordination"]
    assert QUESTION_MARKERS["measurement"] in text_of(say(bot, fresh, text))
    assert slot_value(db(bot), fresh, "coordination") == text
    # The history after a reload shows the whole conversation under the new key.
    shown = [m["text"] for m in history(bot, fresh)]
    assert shown[0] == "jag har en idé" and "Fortsätt med en kod" in shown and text in shown
    # The old key is ended, the code used up and gone.
    assert stored_codes(bot) == []
    assert web(bot, "resume", new_key(bot), {"code": code})[0] == 404
    status, body = web(bot, "message", key, {"message": "hallå?"})
    assert status == 400 and "avslutat" in body["error"]


def test_spara_och_fortsatt_senare_the_same_day_also_welcomes_back_at_question_5(bot):
    key = half_done(bot)
    status, body = web(bot, "resume-code", key)
    assert status == 200
    code = body["messages"][0]["resume_code"]
    # The tab is closed a few hours later (within Rasa's session, past the web key's idle time).
    move_back_in_time(db(bot), key, 3 * 3600)
    fresh = new_key(bot)
    status, body = web(bot, "resume", fresh, {"code": code})
    assert status == 200, body
    reply = text_of(body["messages"])
    assert reply.count("Välkommen tillbaka") == 1 and reply.startswith(WELCOME)
    assert QUESTION_MARKERS["coordination"] in reply
    assert_answers_kept(bot, fresh)
    assert slot_value(db(bot), fresh, "coordination") is None


def test_radera_mina_uppgifter_after_resuming_erases_everything_and_ends_the_code(bot):
    key = half_done(bot)
    code = web(bot, "resume-code", key)[1]["messages"][0]["resume_code"]
    fresh = new_key(bot)
    assert web(bot, "resume", fresh, {"code": code})[0] == 200
    second = web(bot, "resume-code", fresh)[1]["messages"][0]["resume_code"]
    say(bot, fresh, "radera mina uppgifter")
    assert "raderat" in text_of(say(bot, fresh, "ja"))
    assert slot_value(db(bot), fresh, "title") is None
    assert web(bot, "resume", new_key(bot), {"code": second})[0] == 404
