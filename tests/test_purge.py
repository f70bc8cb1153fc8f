"""Retention: conversations and drafts older than the promised 90 days are deleted."""
import os
import sqlite3
import sys
import time

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from purge import purge  # noqa: E402

DAY = 86400


def test_old_conversations_and_drafts_go_recent_ones_stay(tmp_path):
    now = time.time()
    db_path = tmp_path / "tracker.db"
    with sqlite3.connect(db_path) as db:
        db.execute("create table events (id integer primary key, sender_id text, timestamp real, data text)")
        db.executemany("insert into events (sender_id, timestamp, data) values (?, ?, '{}')",
                       [("old", now - 100 * DAY), ("old", now - 95 * DAY), ("recent", now - 100 * DAY),
                        ("recent", now - DAY)])
    drafts = tmp_path / "drafts"
    old = drafts / "IDS-20260101-AAAAAAAAAAAAAAAA"
    new = drafts / "IDS-20261120-BBBBBBBBBBBBBBBB"
    other = drafts / "not-a-draft"
    for folder in (old, new, other):
        folder.mkdir(parents=True)
        os.utime(folder, (now - 100 * DAY, now - 100 * DAY))
    os.utime(new, (now - DAY, now - DAY))

    assert purge(db_path, drafts, 90, now=now) == (1, 1)
    with sqlite3.connect(db_path) as db:
        assert [r[0] for r in db.execute("select distinct sender_id from events")] == ["recent"]
    assert sorted(p.name for p in drafts.iterdir()) == [new.name, other.name]
