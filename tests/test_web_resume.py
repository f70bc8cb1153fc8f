"""The fortsättningskod (issue 9 item 6 for the web widget, without a lasting browser key):
finsam/resume_codes.py on its own, and the routes of channels/web_resume.py on a real Sanic
server with a fake Rasa (tests/channel_server.py). The real stack, a day later, is in
tests/test_live_web_resume.py."""
from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest
import sqlalchemy as sa
from channel_server import ChannelServer

from finsam import erasure, resume_codes
from finsam.resume_codes import CodeStore

CODE_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


# --- the codes ---------------------------------------------------------------------------------
def test_a_code_has_80_random_bits_in_four_groups():
    codes = {resume_codes.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE_SHAPE.match(code) for code in codes)
    assert len(resume_codes.ALPHABET) ** resume_codes.CODE_LENGTH == 2 ** 80


def test_a_code_is_read_as_people_type_it():
    code = "K7QM-4XTR-9PZD-2HWN"
    canonical = "K7QM4XTR9PZD2HWN"
    for typed in (code, code.lower(), " k7qm 4xtr 9pzd 2hwn ", "K7QM–4XTR–9PZD–2HWN", "K7QM4XTR9PZD2HWN"):
        assert resume_codes.normalise(typed) == canonical, typed
    assert resume_codes.normalise("K7QM-4XTR-9PZD-2HWo") == "K7QM4XTR9PZD2HW0"  # O read as 0
    for wrong in ("", "K7QM-4XTR", "K7QM-4XTR-9PZD-2HWN-AAAA", "K7QM-4XTR-9PZD-2HWU", None, 12, "x" * 500):
        assert resume_codes.normalise(wrong) is None, wrong


@pytest.fixture
def engine(tmp_path):
    return sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")


@pytest.mark.parametrize("sql", [True, False])
def test_a_code_opens_its_conversation_once_and_only_its_hash_is_stored(engine, tmp_path, sql):
    store = CodeStore(engine if sql else None)
    code = store.issue("conversation-a", days=14, now=1000.0)
    if sql:
        rows = sqlite3.connect(tmp_path / "tracker.db").execute("select * from finsam_resume_codes").fetchall()
        assert rows == [(resume_codes.digest(code), "conversation-a", 1000.0, 1000.0 + 14 * 86400)]
        assert resume_codes.normalise(code) not in str(rows) and code not in str(rows)
    assert store.redeem("nonsense", now=1001.0) is None
    assert store.redeem(code.lower().replace("-", " "), now=1001.0) == "conversation-a"
    assert store.redeem(code, now=1002.0) is None  # used up


@pytest.mark.parametrize("sql", [True, False])
def test_a_code_expires_and_a_new_code_replaces_the_old(engine, sql):
    store = CodeStore(engine if sql else None)
    old = store.issue("conversation-a", days=14, now=0.0)
    new = store.issue("conversation-a", days=14, now=10.0)
    assert store.redeem(old, now=20.0) is None
    late = store.issue("conversation-b", days=1, now=0.0)
    assert store.redeem(late, now=86400.0 + 1) is None
    assert store.redeem(new, now=20.0) == "conversation-a"


def test_the_code_lives_no_longer_than_the_conversation():
    assert resume_codes.days_from_env({}) == 14
    assert resume_codes.days_from_env({"WEB_RESUME_DAYS": "30"}) == 30
    assert resume_codes.days_from_env({"WEB_RESUME_DAYS": "30", "RETENTION_DAYS": "7"}) == 7
    assert resume_codes.days_from_env({"WEB_RESUME_DAYS": "noll"}) == 14


def test_only_an_unfinished_sketch_can_be_continued_with_a_code():
    assert resume_codes.resumable({"title": "Pass till arbete"})
    assert not resume_codes.resumable({})
    assert not resume_codes.resumable({"title": "Pass till arbete", "draft_reference": "IDS-20250101-ABCDEFGHIJKLMNOP"})


def _events_table(engine):
    erasure.EVENTS.metadata.create_all(engine, tables=[erasure.EVENTS])
    with engine.begin() as connection:
        for sender in ("conversation-a", "conversation-b"):
            connection.execute(erasure.EVENTS.insert().values(sender_id=sender, type_name="user", timestamp=1.0,
                                                              data="{}"))


def test_erasing_a_conversation_erases_its_code(engine):
    _events_table(engine)
    store = CodeStore(engine)
    code_a = store.issue("conversation-a", days=14)
    code_b = store.issue("conversation-b", days=14)
    erasure.erase_sender("conversation-a", engine)  # "radera mina uppgifter", a confirmed "avbryt"
    assert store.redeem(code_a) is None
    assert store.redeem(code_b) == "conversation-b"


def test_make_purge_removes_expired_codes_and_those_of_purged_conversations(engine, tmp_path):
    _events_table(engine)
    store = CodeStore(engine)
    store.issue("conversation-a", days=14, now=0.0)
    store.issue("conversation-b", days=400, now=0.0)
    erasure.purge(engine, tmp_path / "drafts", retention_days=90, now=200 * 86400.0)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(resume_codes.CODES)).scalar() == 0


# --- the routes (fake Rasa) -------------------------------------------------------------------
from channels.web import SESSION_HEADER, WebChatInput  # noqa: E402


@pytest.fixture
def web(monkeypatch):
    for name in ("TRUSTED_PROXY", "REDIS_URL", "REDIS_HOST", "WEB_SESSION_IDLE_MINUTES", "WEB_RESUME_DAYS",
                 "RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WEB_RESUME_RATE_LIMIT", "5/hour")
    server = ChannelServer([WebChatInput()]).start()
    yield server
    server.stop()


def session(web) -> str:
    return web.call("POST", "/webhooks/web/session", {})[2]["session"]


def post(web, path, key, payload=None):
    return web.call("POST", f"/webhooks/web/{path}", payload if payload is not None else {}, {SESSION_HEADER: key})


def with_answers(web, key, **slots):
    """Pretend the bot stored these answers (the fake Rasa only echoes)."""
    from rasa.shared.core.events import SlotSet

    async def update():
        store = web.agent.tracker_store
        tracker = await store.get_or_create_tracker(key)
        for name, value in slots.items():
            tracker.update(SlotSet(name, value))
        await store.save(tracker)

    asyncio.run_coroutine_threadsafe(update(), web._loop).result(10)


def test_no_code_without_an_unfinished_sketch(web):
    key = session(web)
    post(web, "message", key, {"message": "vem kan söka?"})
    status, _, body = post(web, "resume-code", key)
    assert status == 409 and "ingen påbörjad idéskiss" in body["error"]


def test_a_code_moves_the_conversation_to_a_new_key_once(web):
    key = session(web)
    assert post(web, "message", key, {"message": "Pass till arbete"})[0] == 200
    with_answers(web, key, title="Pass till arbete", background="Unga bollas mellan FK och kommunen.")
    status, _, body = post(web, "resume-code", key)
    assert status == 200
    code = body["messages"][0]["resume_code"]
    assert CODE_SHAPE.match(code) and code in body["messages"][0]["text"]
    # Shown once: never in the stored conversation.
    history = web.call("GET", "/webhooks/web/history", headers={SESSION_HEADER: key})[2]["messages"]
    assert code not in str(history)

    new = session(web)
    status, _, body = post(web, "resume", new, {"code": code.lower()})
    assert status == 200, body
    assert [m["text"] for m in body["history"]] == ["Pass till arbete", "Svar från den falska boten."]
    assert body["messages"][0]["text"] == ("Välkommen tillbaka – vi var på fråga 3. "
                                           "Alla dina tidigare svar finns kvar.")
    assert web.received[-1].text == "/sketch_resume" and web.received[-1].sender_id == new
    # The conversation is the new key's now; the old key is ended, the code used up.
    history = web.call("GET", "/webhooks/web/history", headers={SESSION_HEADER: new})[2]["messages"]
    assert [m["text"] for m in history][:3] == ["Pass till arbete", "Svar från den falska boten.",
                                                "Fortsätt med en kod"]
    status, _, body = post(web, "message", key, {"message": "hallå?"})
    assert status == 400 and "avslutat" in body["error"]
    status, _, body = post(web, "resume", session(web), {"code": code})
    assert status == 404 and "stämmer inte" in body["error"]


def test_a_code_opens_only_in_a_new_conversation(web):
    key = session(web)
    with_answers(web, key, title="Pass till arbete")
    code = post(web, "resume-code", key)[2]["messages"][0]["resume_code"]
    busy = session(web)
    post(web, "message", busy, {"message": "hej"})
    status, _, body = post(web, "resume", busy, {"code": code})
    assert status == 409
    assert post(web, "resume", session(web), {"code": code})[0] == 200  # not used up by the refusal


def test_guessing_codes_is_rate_limited(web):
    for attempt in range(5):
        status, _, _ = post(web, "resume", session(web), {"code": resume_codes.new_code()})
        assert status == 404, attempt
    status, headers, body = post(web, "resume", session(web), {"code": resume_codes.new_code()})
    assert status == 429 and int(headers["Retry-After"]) > 0 and "För många försök" in body["error"]


def test_end_and_forget_also_ends_the_code(web):
    key = session(web)
    with_answers(web, key, title="Pass till arbete")
    code = post(web, "resume-code", key)[2]["messages"][0]["resume_code"]
    assert post(web, "end", key)[0] == 200
    status, _, _ = post(web, "resume", session(web), {"code": code})
    assert status == 404


def test_radera_mina_uppgifter_in_the_tracker_store_also_ends_the_code(tmp_path):
    from conftest import ROOT
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered

    from rasa_addons.tracker_store import ErasingSQLTrackerStore

    store = ErasingSQLTrackerStore(Domain.load(str(ROOT / "bot" / "domain.yml")), dialect="sqlite",
                                   db=str(tmp_path / "tracker.db"))
    codes = CodeStore(store.engine)

    async def run():
        tracker = await store.get_or_create_tracker("conversation-a")
        tracker.update(UserUttered("Pass till arbete"))
        await store.save(tracker)
        code = codes.issue("conversation-a", days=14)
        tracker.update(UserUttered("radera mina uppgifter"))
        tracker.update(ActionExecuted("action_erase_conversation"))
        await store.save(tracker)
        return code

    code = asyncio.run(run())
    assert codes.redeem(code) is None
