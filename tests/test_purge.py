"""Retention (issue 10, item 4): `make purge` removes old conversations on SQLite and
PostgreSQL, leaves nothing readable in the SQLite file, removes old drafts, their index
entries and staging folders, and reports what it removed."""
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest
from conftest import ROOT, require_service

sys.path.insert(0, str(ROOT / "scripts"))
from purge import purge  # noqa: E402

DAY = 86400
SECRET = "Gammal-hemlighet-Olofstrom-5512"


def make_sqlite_store(db_path, rows):
    with sqlite3.connect(db_path) as db:
        db.execute("create table events (id integer primary key, sender_id varchar(255) not null, "
                   "type_name varchar(255) not null, timestamp float, intent_name varchar(255), "
                   "action_name varchar(255), data text)")
        db.executemany("insert into events (sender_id, type_name, timestamp, data) values (?, 'user', ?, ?)",
                       rows)


def make_drafts(drafts, now):
    old = drafts / "IDS-20260101-AAAAAAAAAAAAAAAA"
    new = drafts / "IDS-20261120-BBBBBBBBBBBBBBBB"
    other = drafts / "not-a-draft"
    staging = drafts / ".staging-0123456789abcdef-xyz"
    version_staging = new / ".staging-9876"
    for folder in (old, new, other, staging, version_staging):
        folder.mkdir(parents=True)
        (folder / "draft.json").write_text(json.dumps({"contact": {"email": "a@b.se"}, "title": SECRET}))
        os.utime(folder, (now - 100 * DAY, now - 100 * DAY))
    os.utime(new, (now - DAY, now - DAY))
    (drafts / ".index.json").write_text(json.dumps({"keys": {"k-old": old.name, "k-new": new.name},
                                                    "owners": {old.name: "o1", new.name: "o2"}}))
    return old, new, other


def test_old_conversations_drafts_index_entries_and_staging_go_recent_ones_stay(tmp_path):
    now = time.time()
    db_path = tmp_path / "tracker.db"
    make_sqlite_store(db_path, [("old", now - 100 * DAY, SECRET), ("old", now - 95 * DAY, SECRET),
                                ("recent", now - 100 * DAY, "x"), ("recent", now - DAY, "y")])
    drafts = tmp_path / "drafts"
    old, new, other = make_drafts(drafts, now)

    report = purge(db_path, drafts, 90, now=now)

    assert report.conversations == ["old"] and report.events == 2
    assert report.drafts == [old.name] and report.staging == 2 and report.index_entries == 2
    with sqlite3.connect(db_path) as db:
        assert [r[0] for r in db.execute("select distinct sender_id from events")] == ["recent"]
    assert sorted(p.name for p in drafts.iterdir() if not p.name.startswith(".")) == [new.name, other.name]
    assert not list(drafts.glob(".staging-*")) and not list(new.glob(".staging-*"))
    index = json.loads((drafts / ".index.json").read_text())
    assert index == {"keys": {"k-new": new.name}, "owners": {new.name: "o2"}}


def test_deleted_conversations_are_not_left_readable_in_the_sqlite_file(tmp_path):
    now = time.time()
    db_path = tmp_path / "tracker.db"
    make_sqlite_store(db_path, [(f"s{i}", now - 100 * DAY, f"{SECRET} {i} " + "x" * 500) for i in range(50)]
                      + [("recent", now, "kvar")])
    assert SECRET.encode() in db_path.read_bytes()
    purge(db_path, tmp_path / "drafts", 90, now=now)
    assert SECRET.encode() not in db_path.read_bytes()
    # VACUUM: no free pages left holding old rows (this SQLite build also defaults to
    # secure_delete, which purge sets explicitly for builds that do not).
    with sqlite3.connect(db_path) as db:
        assert db.execute("pragma freelist_count").fetchone()[0] == 0


def test_make_purge_reports_what_it_removed_in_swedish(tmp_path):
    now = time.time()
    db_path = tmp_path / "tracker.db"
    make_sqlite_store(db_path, [("old", now - 100 * DAY, SECRET)])
    drafts = tmp_path / "drafts"
    make_drafts(drafts, now)
    env = dict(os.environ, TRACKER_DB=str(db_path), DRAFTS_DIR=str(drafts), RETENTION_DAYS="30",
               RASA_ENDPOINTS=str(ROOT / "bot/endpoints.yml"), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "scripts/purge.py"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1 samtal (1 händelser)" in result.stdout and "1 utkast" in result.stdout
    assert "2 tillfälliga mappar" in result.stdout and "äldre än 30 dagar" in result.stdout


def test_purge_works_on_the_postgresql_tracker_store():
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import sqlalchemy as sa
    from test_scale_out import SCALED_ENV

    from finsam.erasure import EVENTS, tracker_url_from_endpoints

    url = tracker_url_from_endpoints(ROOT / "bot/endpoints.scaled.yml", SCALED_ENV)
    engine = sa.create_engine(url)
    EVENTS.metadata.create_all(engine, checkfirst=True)
    now = time.time()
    old, recent = f"purge-old-{uuid.uuid4().hex}", f"purge-recent-{uuid.uuid4().hex}"
    with engine.begin() as connection:
        connection.execute(sa.insert(EVENTS), [
            {"sender_id": old, "type_name": "user", "timestamp": now - 400 * DAY, "data": SECRET},
            {"sender_id": recent, "type_name": "user", "timestamp": now - 400 * DAY, "data": "x"},
            {"sender_id": recent, "type_name": "user", "timestamp": now, "data": "y"}])

    report = purge(url, None, 365, now=now)

    assert old in report.conversations and recent not in report.conversations
    with engine.connect() as connection:
        left = {row[0] for row in connection.execute(
            sa.select(EVENTS.c.sender_id).where(EVENTS.c.sender_id.in_([old, recent])))}
    assert left == {recent}


def test_the_readme_tells_the_förbund_to_decide_on_retention():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for phrase in ("allmänna handlingar", "gallringsbeslut", "RETENTION_DAYS"):
        assert phrase in readme, phrase


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


def test_old_feedback_ratings_go_with_the_same_retention(tmp_path):
    import sqlalchemy as sa

    from finsam import feedback

    now = time.time()
    db_path = tmp_path / "tracker.db"
    make_sqlite_store(db_path, [("recent", now, "kvar")])
    engine = sa.create_engine(f"sqlite:///{db_path}")
    feedback.record(engine, "web", "down", "en gammal fråga", "ett svar")
    feedback.record(engine, "teams", "up", "en ny fråga", "ett svar")
    with engine.begin() as connection:  # age the first rating past the limit
        connection.execute(sa.update(feedback.FEEDBACK).where(feedback.FEEDBACK.c.question == "en gammal fråga")
                           .values(created=now - 100 * DAY))

    report = purge(db_path, tmp_path / "drafts", 90, now=now)

    assert report.feedback == 1
    assert [row["question"] for row in feedback.read(engine)] == ["en ny fråga"]
