"""Delete conversations and drafts older than the retention period (the privacy notice
promises 90 days). Run it daily, e.g. from cron: `make purge`.

Environment: RETENTION_DAYS (90), TRACKER_DB (SQLite file), DRAFTS_DIR.
With the PostgreSQL tracker store, run the same DELETE there (see README).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from finsam.draft import drafts_dir, is_reference  # noqa: E402


def purge(tracker_db: Path, drafts: Path, retention_days: float, now: float | None = None) -> tuple[int, int]:
    cutoff = (now or time.time()) - retention_days * 86400
    conversations = 0
    if tracker_db.exists():
        with sqlite3.connect(tracker_db) as db:
            stale = [row[0] for row in db.execute(
                "select sender_id from events group by sender_id having max(timestamp) < ?", (cutoff,))]
            db.executemany("delete from events where sender_id = ?", [(s,) for s in stale])
            conversations = len(stale)
    removed = 0
    if drafts.exists():
        for folder in drafts.iterdir():
            if folder.is_dir() and is_reference(folder.name) and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed += 1
    return conversations, removed


def main() -> None:
    days = float(os.environ.get("RETENTION_DAYS", "90"))
    tracker_db = Path(os.environ.get("TRACKER_DB", ".rasa/tracker.db"))
    conversations, drafts = purge(tracker_db, drafts_dir(), days)
    print(f"Gallrat: {conversations} samtal och {drafts} utkast äldre än {days:g} dagar.")


if __name__ == "__main__":
    main()
