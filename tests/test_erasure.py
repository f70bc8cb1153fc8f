""""Avbryt" and "radera mina uppgifter" really forget (issue 10, item 2): the tracker store,
staging files, and the Rasa-free erasure API the kansli uses."""
import asyncio
import json
import sqlite3

import pytest
import yaml
from conftest import ROOT, make_tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

SECRET = "Hemlig-ide-om-Ronneby-7731"  # ASCII: json.dumps escapes the rest
EMAIL = "anna.exempel@ronneby.se"


def configured_store_class(endpoints="bot/endpoints.yml"):
    from rasa.shared.utils.common import class_from_module_path

    store = yaml.safe_load((ROOT / endpoints).read_text())["tracker_store"]
    assert store["type"] != "SQL", "bot/endpoints.yml uses Rasa's plain SQL store, which never forgets"
    return class_from_module_path(store["type"])


def rasa_domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(str(ROOT / "bot" / "domain.yml"))


def conversation_events(sender_text=SECRET, erase_with=None):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

    events = [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.0),
              ActionExecuted("action_listen", timestamp=1.0),
              UserUttered(sender_text, {"name": "inform_sketch", "confidence": 1.0}, timestamp=2.0),
              SlotSet("title", sender_text, timestamp=2.1), SlotSet("email", EMAIL, timestamp=2.2),
              ActionExecuted("action_listen", timestamp=2.3)]
    if erase_with:
        events += [UserUttered("ja", {"name": "affirm", "confidence": 1.0}, timestamp=3.0),
                   ActionExecuted(erase_with, timestamp=3.1),
                   BotUttered("Klart. Samtalet är raderat.", timestamp=3.2),
                   SlotSet("title", None, timestamp=3.3), ActionExecuted("action_listen", timestamp=3.4)]
    return events


def tracker_of(sender, events, domain):
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker.from_events(sender, events, domain.slots)


@pytest.fixture
def sqlite_store(tmp_path):
    domain = rasa_domain()
    store = configured_store_class()(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    return store, domain, tmp_path / "tracker.db"


def rows(db_path, sender):
    with sqlite3.connect(db_path) as db:
        return [json.loads(r[0]) for r in db.execute("select data from events where sender_id = ? order by id",
                                                     (sender,))]


@pytest.mark.parametrize("action", ["action_cancel_sketch", "action_erase_conversation"])
def test_the_configured_store_erases_every_stored_word_on_cancel_or_erase(sqlite_store, action):
    store, domain, db_path = sqlite_store
    before = conversation_events()
    asyncio.run(store.save(tracker_of("s1", before, domain)))
    asyncio.run(store.save(tracker_of("other", before, domain)))
    assert SECRET.encode() in db_path.read_bytes()

    after = conversation_events(erase_with=action)
    tracker = tracker_of("s1", after, domain)
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # Rasa may save the same turn twice: nothing comes back

    kept = rows(db_path, "s1")
    assert [e["event"] for e in kept] == ["action", "session_started", "bot", "action"]
    assert kept[2]["text"] == "Klart. Samtalet är raderat."
    assert all(e["event"] not in ("user", "slot") for e in kept)
    assert len(rows(db_path, "other")) == len(before)  # other conversations untouched
    # The text is gone from the file itself, not only from the query (secure_delete).
    with sqlite3.connect(db_path) as db:
        db.execute("delete from events where sender_id = 'other'")
    assert SECRET.encode() not in db_path.read_bytes()
    assert EMAIL.encode() not in db_path.read_bytes()

    retrieved = asyncio.run(store.retrieve("s1"))
    assert retrieved.get_slot("title") is None and retrieved.latest_message.text is None
    assert [e.get("text") for e in retrieved.as_dialogue().as_dict()["events"] if e["event"] == "bot"] == [
        "Klart. Samtalet är raderat."]


def test_a_turn_without_erasure_is_stored_as_rasa_does(sqlite_store):
    store, domain, db_path = sqlite_store
    events = conversation_events()
    asyncio.run(store.save(tracker_of("s2", events, domain)))
    asyncio.run(store.save(tracker_of("s2", events, domain)))
    assert len(rows(db_path, "s2")) == len(events)


def test_the_scaled_endpoints_use_the_erasing_store_too():
    assert configured_store_class("bot/endpoints.scaled.yml") is configured_store_class("bot/endpoints.yml")


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher, events


def test_erasing_removes_this_conversations_staging_files_only(drafts_dir):
    from actions.privacy import ActionEraseConversation
    from finsam.draft import staging_tag

    mine = drafts_dir / f".staging-{staging_tag('s3')}-abc"
    theirs = drafts_dir / f".staging-{staging_tag('someone-else')}-def"
    for folder in (mine, theirs):
        folder.mkdir(parents=True)
        (folder / "draft.md").write_text(SECRET)
    dispatcher, events = run(ActionEraseConversation(), make_tracker("ja", intent="affirm", sender_id="s3",
                                                                     slots={"title": SECRET}))
    assert not mine.exists() and theirs.exists()
    assert [m["response"] for m in dispatcher.messages] == ["utter_conversation_erased"]
    assert SlotSet("title", None) in events and SlotSet("draft_reference", None) in events


def test_a_submitted_draft_stays_with_the_kansli_and_the_bot_says_so(drafts_dir):
    from actions.privacy import ActionEraseConversation
    from actions.sketch_form import ActionCancelSketch

    for action, first in ((ActionEraseConversation(), "utter_conversation_erased"),
                          (ActionCancelSketch(), "utter_sketch_cancelled")):
        tracker = make_tracker("ja", intent="affirm", slots={"draft_reference": "IDS-20261201-AAAAAAAAAAAAAAAA"})
        dispatcher, _ = run(action, tracker)
        assert [m["response"] for m in dispatcher.messages] == [first, "utter_submitted_draft_kept"]
        assert dispatcher.messages[1]["reference"] == "IDS-20261201-AAAAAAAAAAAAAAAA"
        assert "Wämö Center" in dispatcher.messages[1]["kansli"]


def test_the_erase_request_is_confirmed_first_and_a_no_keeps_everything():
    from actions.privacy import ActionAskEraseConfirmation, ActionKeepData

    dispatcher, events = run(ActionAskEraseConfirmation(), make_tracker("radera mina uppgifter",
                                                                        intent="erase_my_data"))
    assert events == [SlotSet("confirming_cancel", True)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_confirm_erase"]
    dispatcher, events = run(ActionKeepData(), make_tracker("nej", intent="deny"))
    assert events == [SlotSet("confirming_cancel", False)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_nothing_erased"]


def test_in_the_form_an_erase_request_interrupts_instead_of_becoming_an_answer():
    from finsam.sketch import interpret_turn

    assert interpret_turn("background", "radera mina uppgifter", "erase_my_data", 0.9).kind == "interrupt"


# ------------------------------------------------------------- finsam.erasure (kansli API)
def submit_draft(drafts, sender, email):
    from finsam.draft import DraftStore
    from finsam.knowledge import load_knowledge
    from finsam.sketch import SKETCH_SLOTS

    answers = {slot: f"{SECRET} {slot}" for slot in SKETCH_SLOTS}
    answers["email"] = email
    stored, _ = DraftStore(drafts).submit(sender, answers, load_knowledge().idea_sketch, [])
    return stored


def test_erase_by_email_removes_conversations_drafts_and_index_entries(sqlite_store, tmp_path):
    from finsam import erasure

    store, domain, db_path = sqlite_store
    asyncio.run(store.save(tracker_of("anna", conversation_events(), domain)))
    asyncio.run(store.save(tracker_of("bo", conversation_events("Bos idé"), domain)))
    with sqlite3.connect(db_path) as db:  # Bo's conversation has another address
        db.execute("update events set data = replace(data, ?, 'bo@karlshamn.se') where sender_id = 'bo'", (EMAIL,))
    drafts = tmp_path / "drafts"
    annas = submit_draft(drafts, "anna", EMAIL.upper())  # case does not matter
    bos = submit_draft(drafts, "bo", "bo@karlshamn.se")

    report = erasure.erase_email(EMAIL, tracker=db_path, drafts_root=drafts)

    assert report.conversations == ["anna"] and report.drafts == [annas.reference]
    assert report.index_entries >= 1
    assert rows(db_path, "anna") == [] and rows(db_path, "bo")
    assert not annas.folder.exists() and bos.folder.exists()
    index = (drafts / ".index.json").read_text()
    assert annas.reference not in index and bos.reference in index
    assert SECRET.encode() not in db_path.read_bytes().replace(b"Bos id", b"")


def test_erase_sender_forgets_one_conversation(sqlite_store):
    from finsam import erasure

    store, domain, db_path = sqlite_store
    asyncio.run(store.save(tracker_of("s4", conversation_events(), domain)))
    report = erasure.erase_sender("s4", tracker=db_path)
    assert report.conversations == ["s4"] and report.events == len(conversation_events())
    assert rows(db_path, "s4") == []


def test_the_tracker_database_is_read_from_the_endpoints_files():
    from finsam.erasure import tracker_url_from_endpoints

    sqlite_url = tracker_url_from_endpoints(ROOT / "bot/endpoints.yml", {"TRACKER_DB": "/x/tracker.db"})
    assert sqlite_url.drivername == "sqlite" and sqlite_url.database == "/x/tracker.db"
    pg = tracker_url_from_endpoints(ROOT / "bot/endpoints.scaled.yml",
                                    {"DB_HOST": "db.local", "DB_PORT": "5432", "DB_NAME": "rasa", "DB_USER": "u"})
    assert (pg.drivername, pg.host, pg.port, pg.database, pg.username) == ("postgresql", "db.local", 5432, "rasa", "u")
    assert tracker_url_from_endpoints(ROOT / "bot/endpoints.test.yml", {}) is None


def test_rasa_builds_the_erasing_store_from_the_endpoints_file(tmp_path, monkeypatch):
    """Rasa falls back to an in-memory store (with only a warning) when a custom class fails to
    load; make sure it really builds ours from bot/endpoints.yml."""
    from rasa.core.tracker_store import create_tracker_store
    from rasa.utils.endpoints import read_endpoint_config

    from rasa_addons.tracker_store import ErasingSQLTrackerStore

    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    config = read_endpoint_config(str(ROOT / "bot/endpoints.yml"), "tracker_store")
    store = create_tracker_store(config, rasa_domain())
    assert isinstance(store, ErasingSQLTrackerStore)
    assert store.engine.url.database == str(tmp_path / "tracker.db")


def test_the_sqlite_store_keeps_its_connection_between_turns(sqlite_store):
    """Opening the SQLite file for every retrieve and save cost ~7 ms a time (make bench --profile)."""
    import sqlalchemy as sa

    store, domain, _ = sqlite_store
    opened = []
    sa.event.listen(store.engine, "connect", lambda *_: opened.append(1))
    for _ in range(5):
        asyncio.run(store.save(tracker_of("s1", conversation_events(), domain)))
        assert asyncio.run(store.retrieve("s1")).get_slot("title") == SECRET
    assert len(opened) <= 1


def test_retrieve_gives_the_same_trackers_as_rasas_sql_store(sqlite_store):
    """The store reads only the data column; the latest session and the full tracker stay Rasa's."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import EventVerbosity

    store, domain, db_path = sqlite_store
    events = conversation_events() + [ActionExecuted("action_session_start", timestamp=5.0),
                                      SessionStarted(timestamp=5.0), ActionExecuted("action_listen", timestamp=5.1),
                                      UserUttered("hej igen", {"name": "greet", "confidence": 1.0}, timestamp=6.0)]
    asyncio.run(store.save(tracker_of("s2", events, domain)))
    plain = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(db_path))
    for method in ("retrieve", "retrieve_full_tracker"):
        ours, rasas = asyncio.run(getattr(store, method)("s2")), asyncio.run(getattr(plain, method)("s2"))
        assert ours.current_state(EventVerbosity.ALL) == rasas.current_state(EventVerbosity.ALL)
    assert len(asyncio.run(store.retrieve("s2")).events) < len(asyncio.run(store.retrieve_full_tracker("s2")).events)
    assert asyncio.run(store.retrieve("nobody")) is None
