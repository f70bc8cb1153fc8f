"""The kansli store without the web layer: migrations, recording and import of the bot's drafts
(versions too), the action server's best-effort call, erasure, accounts and login throttling.
Each test runs on SQLite and on the local PostgreSQL."""
from __future__ import annotations

import json
import logging
import shutil
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from kansli_fixtures import db_url  # noqa: F401 (fixture)
from kansli_samples import PEOPLE, XSS, answers, populate, write
from sqlalchemy import create_engine, func, insert, inspect, select

from finsam.erasure import EVENTS
from kansli import auth, erasure, mail, records
from kansli.db import engine_for, migrate, session_scope
from kansli.models import AuditEntry, Case, CaseEvent, DraftVersion, LoginThrottle, User

ANNA = "anna.svensson@karlshamn.se"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("written") / "drafts"
    return root, populate(root)


@pytest.fixture
def drafts(written, tmp_path):
    """A fresh copy of the drafts written once by the bot's DraftStore (writing them takes seconds)."""
    root = tmp_path / "drafts"
    shutil.copytree(written[0], root)
    return root, written[1]


def count(url, model) -> int:
    with session_scope(url) as session:
        return session.execute(select(func.count()).select_from(model)).scalar()


def test_migrations_create_every_table_and_run_twice(db_url):  # noqa: F811
    migrate(db_url)  # already at head: nothing to do, no error
    tables = set(inspect(engine_for(db_url)).get_table_names())
    assert {"kansli_users", "kansli_cases", "kansli_draft_versions", "kansli_case_events", "kansli_audit",
            "kansli_settings", "kansli_login_throttle", "alembic_version"} <= tables


def test_the_models_and_the_migrations_agree(db_url):  # noqa: F811
    from alembic import command

    from kansli.db import alembic_config

    command.check(alembic_config(db_url))  # raises when autogenerate would find a difference


def test_import_records_every_draft_once_with_its_version_chain(db_url, drafts):  # noqa: F811
    root, refs = drafts
    assert records.import_drafts(db_url, root) == len(PEOPLE) + 2  # 4 people, Anna's v2, the HTML one
    assert records.import_drafts(db_url, root) == 0  # idempotent
    with session_scope(db_url) as session:
        anna = session.execute(select(Case).where(Case.reference == refs[ANNA])).scalar_one()
        assert [v.version for v in anna.versions] == [1, 2]
        assert anna.versions[1].replaces == "1" and anna.versions[1].folder == f"{refs[ANNA]}/v2"
        assert anna.contact_email == ANNA and anna.contact_name == "Anna Svensson"
        assert anna.open_questions == 0  # v2 answered the open question of v1
        assert json.loads(anna.versions[1].data)["changed_fields"] == ["measurement"]
        assert [e.kind for e in anna.events] == ["version"]
        erik = session.execute(select(Case).where(Case.reference == refs["erik.lind@ronneby.se"])).scalar_one()
        assert erik.parties == "Ronneby kommun, Region Blekinge" and erik.status == "ny"
        assert erik.suggestions == len(json.loads(erik.versions[0].data)["suggestions"])
        assert "hälsolotsar i ronneby" in erik.search_text  # lower-cased in Python, å/ä/ö too


def test_a_draft_written_while_the_store_is_down_is_imported_later(db_url, drafts, tmp_path, caplog,  # noqa: F811
                                                                   monkeypatch):
    root, refs = drafts
    records.import_drafts(db_url, root)
    stored, _ = write(root, "conv-late", answers(title="Sent inkommen idé", email="sen@example.se"),
                      datetime(2026, 11, 28, tzinfo=timezone.utc))
    # The action server's call with the store unreachable: logged, never raised.
    monkeypatch.setenv("KANSLI_DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    with caplog.at_level(logging.WARNING, logger="kansli.records"):
        records.record_after_submit(stored)
    assert "will be imported later" in caplog.text
    assert count(db_url, Case) == 5
    assert records.import_drafts(db_url, root) == 1
    with session_scope(db_url) as session:
        assert session.execute(select(Case.title).where(Case.reference == stored.reference)).scalar() == \
            "Sent inkommen idé"


def test_the_action_servers_call_records_at_once_and_is_idempotent(db_url, drafts, monkeypatch):  # noqa: F811
    root, refs = drafts
    monkeypatch.setenv("KANSLI_DATABASE_URL", db_url)
    stored = SimpleNamespace(files=root / refs[ANNA] / "v2")
    records.record_after_submit(stored)
    records.record_after_submit(stored)
    assert count(db_url, DraftVersion) == 1
    assert records.import_drafts(db_url, root) == 5


def test_schema_1_flat_drafts_are_read_too(db_url, tmp_path):  # noqa: F811
    root = tmp_path / "old"
    (root / "IDS-20250101-AAAAAAAAAAAAAAAA").mkdir(parents=True)
    (root / "IDS-20250101-AAAAAAAAAAAAAAAA" / "draft.json").write_text(json.dumps({
        "schema_version": 1, "reference": "IDS-20250101-AAAAAAAAAAAAAAAA", "created": "2025-01-01T10:00:00+00:00",
        "title": "Gammal skiss", "contact": {"email": "gammal@example.se"}, "parties": None, "questions": [],
        "open_questions": [], "suggestions": []}))
    assert records.import_drafts(db_url, root) == 1
    with session_scope(db_url) as session:
        version = session.execute(select(DraftVersion)).scalar_one()
        assert (version.version, version.folder) == (1, "IDS-20250101-AAAAAAAAAAAAAAAA")


def tracker_db(tmp_path, conversations):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url, future=True)
    EVENTS.metadata.create_all(engine)
    with engine.begin() as connection:
        for sender, text in conversations:
            connection.execute(insert(EVENTS).values(sender_id=sender, type_name="user", timestamp=1.0,
                                                     data=json.dumps({"event": "user", "text": text})))
    engine.dispose()
    return url


def senders(url):
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        result = sorted(set(connection.execute(select(EVENTS.c.sender_id)).scalars()))
    engine.dispose()
    return result


def test_erasure_by_email_removes_drafts_rows_and_conversations(db_url, drafts, tmp_path):  # noqa: F811
    root, refs = drafts
    records.import_drafts(db_url, root)
    tracker = tracker_db(tmp_path, [("conv-0", f"min adress är {ANNA.upper()}"), ("conv-0", "hej"),
                                    ("conv-ref", f"jag vill ändra {refs[ANNA]}"), ("conv-1", "erik@ronneby.se")])
    with session_scope(db_url) as session:
        case = session.execute(select(Case).where(Case.reference == refs[ANNA])).scalar_one()
        session.add(CaseEvent(case=case, kind="comment", actor="Kansliet", text="Intern kommentar"))
    with session_scope(db_url) as session:
        result = erasure.erase_email(session, " Anna.Svensson@Karlshamn.se ", root, tracker)
        auth.audit(session, "handlaggare", "raderade_person", None, result.summary())
    assert result.references == [refs[ANNA]] and result.conversations == 2
    assert not (root / refs[ANNA]).exists() and (root / refs["erik.lind@ronneby.se"]).exists()
    assert senders(tracker) == ["conv-1"]
    with session_scope(db_url) as session:
        assert session.execute(select(Case).where(Case.reference == refs[ANNA])).first() is None
        assert session.execute(select(func.count()).select_from(DraftVersion).where(
            DraftVersion.data.contains("anna.svensson"))).scalar() == 0
        assert session.execute(select(func.count()).select_from(CaseEvent)).scalar() == 0
        log = " ".join(f"{a.actor} {a.action} {a.target} {a.detail}" for a in session.execute(select(AuditEntry))
                       .scalars())
    assert "anna" not in log.lower() and "1 utkast, 2 konversationer" in log
    assert records.import_drafts(db_url, root) == 0  # nothing comes back


def test_erasure_of_one_draft_leaves_the_others(db_url, drafts, tmp_path):  # noqa: F811
    root, refs = drafts
    records.import_drafts(db_url, root)
    tracker = tracker_db(tmp_path, [("conv-x", f"referens {refs['xss']}"), ("conv-1", "hej")])
    with session_scope(db_url) as session:
        result = erasure.erase_draft(session, refs["xss"], root, tracker)
    assert result.conversations == 1 and result.folders == 1
    assert not (root / refs["xss"]).exists() and senders(tracker) == ["conv-1"]
    assert count(db_url, Case) == 4
    index = json.loads((root / ".index.json").read_text())
    assert refs["xss"] not in json.dumps(index)


def test_erasure_reaches_drafts_not_yet_imported(db_url, drafts):  # noqa: F811
    root, refs = drafts
    with session_scope(db_url) as session:
        result = erasure.erase_email(session, "erik.lind@ronneby.se", root, None)
    assert result.references == [refs["erik.lind@ronneby.se"]]
    assert not (root / refs["erik.lind@ronneby.se"]).exists()


def test_passwords_are_argon2_hashes_and_too_short_ones_are_refused(db_url):  # noqa: F811
    with session_scope(db_url) as session:
        user = auth.create_user(session, " Kerstin@Finsam.se ", "Kerstin", "ett långt lösenord!")
        assert user.username == "kerstin@finsam.se" and user.password_hash.startswith("$argon2id$")
        with pytest.raises(ValueError):
            auth.create_user(session, "kort", "Kort", "kort")


def test_repeated_failed_logins_lock_the_account(db_url):  # noqa: F811
    settings = SimpleNamespace(max_failed_logins=3, lockout_minutes=15)
    with session_scope(db_url) as session:
        auth.create_user(session, "kerstin", "Kerstin", "ett långt lösenord!")
    outcomes = []
    for password in ["fel1", "fel2", "fel3", "ett långt lösenord!"]:
        with session_scope(db_url) as session:
            user, reason = auth.check_login(session, settings, "kerstin", password)
            outcomes.append(reason or user.username)
    assert outcomes == ["wrong", "wrong", "locked", "locked"]  # even the right password waits
    with session_scope(db_url) as session:
        assert session.get(LoginThrottle, "kerstin").locked_until is not None
        # Unknown names are throttled the same way: nothing tells which accounts exist.
        assert auth.check_login(session, settings, "finns-inte", "x") == (None, "wrong")
    with session_scope(db_url) as session:
        session.get(LoginThrottle, "kerstin").locked_until = None
    with session_scope(db_url) as session:
        user, reason = auth.check_login(session, settings, "KERSTIN", "ett långt lösenord!")
        assert reason == "" and user.username == "kerstin"
    with session_scope(db_url) as session:  # a successful login clears the failures
        assert session.get(LoginThrottle, "kerstin") is None
        assert session.execute(select(func.count()).select_from(User)).scalar() == 1


def test_reply_template_fills_known_placeholders_only():
    text = mail.fill("Hej {namn}! {titel} {referens} {avsandare} {namn.__class__} {0}",
                     {"namn": "Anna", "titel": XSS, "referens": "IDS-1", "avsandare": "Kansliet"})
    assert text == f"Hej Anna! {XSS} IDS-1 Kansliet {{namn.__class__}} {{0}}"


def test_no_draft_folder_is_lost_when_a_file_is_broken(db_url, drafts):  # noqa: F811
    root, refs = drafts
    (root / refs["xss"] / "v1" / "draft.json").write_text("{inte json")
    shutil.rmtree(root / refs["erik.lind@ronneby.se"] / "v1")  # schema-1 style: only the top copy
    assert records.import_drafts(db_url, root) == 5
