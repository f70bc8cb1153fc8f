"""End to end: after a confirmed "avbryt" or "radera mina uppgifter" the answers are gone from
the database itself (SQLite file, PostgreSQL) and from the web channel's /history."""
import json
import sqlite3
import urllib.request
import uuid

import pytest
from conftest import require_service, trained_model
from live import LiveBot, texts

TITLE = "Hemlig-arbetstitel-Lyckeby-4412"
QUESTION = "Vem kan söka medel för Hemlig-fraga-Tving-9921?"


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    bot = LiveBot(tmp_path_factory.mktemp("erasure"), trained_model()).start()
    yield bot
    bot.stop()


# The web channel takes the session key in a header (and, in older versions, in the body/query).
SESSION_HEADER = "X-Finsam-Session"


def get(bot, path, session):
    request = urllib.request.Request(f"{bot.url}{path}?session={session}", headers={SESSION_HEADER: session})
    with urllib.request.urlopen(request, timeout=120) as reply:
        return json.loads(reply.read().decode("utf-8"))


def web_session(bot):
    status, body = bot.post("/webhooks/web/session", {})
    assert status == 200, body
    return body["session"]


def web_say(bot, session, text):
    status, body = bot.post("/webhooks/web/message", {"session": session, "message": text},
                            headers={SESSION_HEADER: session})
    assert status == 200, body
    return body["messages"]


def sqlite_rows(bot, sender):
    with sqlite3.connect(bot.workdir / "tracker.db") as db:
        return [json.loads(r[0]) for r in db.execute("select data from events where sender_id = ? order by id",
                                                     (sender,))]


def test_a_confirmed_cancel_erases_the_answers_from_sqlite_and_history(bot):
    session = web_session(bot)
    web_say(bot, session, "jag har en idé")
    web_say(bot, session, TITLE)
    assert TITLE in json.dumps(sqlite_rows(bot, session))  # stored while the sketch is under way
    assert "avbryta" in texts(web_say(bot, session, "avbryt"))
    reply = texts(web_say(bot, session, "ja"))
    assert "avbruten" in reply

    stored = sqlite_rows(bot, session)
    assert stored and TITLE not in json.dumps(stored)
    assert not [e for e in stored if e["event"] in ("user", "slot")]
    assert TITLE.encode() not in (bot.workdir / "tracker.db").read_bytes()  # not even in free pages
    history = get(bot, "/webhooks/web/history", session)["messages"]
    assert TITLE not in json.dumps(history, ensure_ascii=False)
    assert [m["sender"] for m in history] == ["bot"] and "avbruten" in history[0]["text"]

    # The conversation goes on normally afterwards.
    assert "Fråga 1" in texts(web_say(bot, session, "jag har en idé"))


def test_radera_mina_uppgifter_asks_first_then_erases_at_any_time(bot):
    sender = f"erase-{uuid.uuid4().hex}"
    bot.say(sender, QUESTION)
    reply = texts(bot.say(sender, "radera mina uppgifter"))
    assert "radera" in reply.lower() and "Hemlig" in json.dumps(sqlite_rows(bot, sender))
    assert "Okej" in texts(bot.say(sender, "nej"))  # a no keeps everything
    assert "Hemlig-fraga" in json.dumps(sqlite_rows(bot, sender))

    bot.say(sender, "radera mina uppgifter")
    assert "raderat" in texts(bot.say(sender, "ja"))
    stored = json.dumps(sqlite_rows(bot, sender))
    assert "Hemlig-fraga" not in stored and "radera mina uppgifter" not in stored


def test_postgres_forgets_too(tmp_path):
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    import psycopg2
    from test_scale_out import SCALED_ENV

    bot = LiveBot(tmp_path, trained_model(), extra_env=SCALED_ENV, endpoints="bot/endpoints.scaled.yml").start()
    try:
        sender = f"erase-pg-{uuid.uuid4().hex}"
        bot.say(sender, "jag har en idé")
        bot.say(sender, TITLE)
        bot.say(sender, "avbryt")
        assert "avbruten" in texts(bot.say(sender, "ja"))
    finally:
        bot.stop()
    with psycopg2.connect(host="127.0.0.1", port=5432, dbname="test", user="postgres") as db:
        with db.cursor() as cursor:
            cursor.execute("select type_name, data from events where sender_id = %s order by id", (sender,))
            stored = cursor.fetchall()
    assert stored and not any(TITLE in data for _, data in stored)
    assert not [t for t, _ in stored if t in ("user", "slot")]
