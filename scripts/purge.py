"""Retention: delete what is older than RETENTION_DAYS, on SQLite or PostgreSQL. Run it daily
(e.g. from cron): `make purge`.

Removes conversations whose last event is older than the limit (every session of them),
submitted drafts whose folder is older than that, the draft index entries of removed
drafts, and every `.staging-*` folder (a draft half-written when the bot crashed). On
SQLite, deleted rows are overwritten (secure_delete) and the file is rewritten (VACUUM);
on PostgreSQL, VACUUM marks the space for reuse. Prints what it removed.

Environment: RETENTION_DAYS (90); RASA_ENDPOINTS (bot/endpoints.yml) names the tracker
store, with its own variables (TRACKER_DB for SQLite; DB_HOST, DB_PORT, DB_NAME, DB_USER,
DB_PASSWORD for PostgreSQL with bot/endpoints.scaled.yml); DRAFTS_DIR.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from finsam import erasure  # noqa: E402
from finsam.draft import drafts_dir  # noqa: E402
from finsam.privacy import DEFAULT_RETENTION_DAYS  # noqa: E402


def purge(tracker: erasure.TrackerLocation, drafts: Optional[Path], retention_days: float,
          now: Optional[float] = None) -> erasure.ErasureReport:
    """`tracker`: a SQLite file (Path), a database URL, or None (no stored conversations)."""
    return erasure.purge(tracker, drafts, retention_days, now=now if now is not None else time.time())


def main() -> None:
    days = float(os.environ.get("RETENTION_DAYS") or DEFAULT_RETENTION_DAYS)
    env = dict(os.environ)
    env.setdefault("TRACKER_DB", str(Path(".rasa/tracker.db").resolve()))
    url = erasure.tracker_url_from_endpoints(env=env)
    report = purge(url, drafts_dir(), days)
    store = "ingen samtalsdatabas" if url is None else url.render_as_string(hide_password=True)
    print(f"Gallrat ({store}), äldre än {days:g} dagar: {len(report.conversations)} samtal "
          f"({report.events} händelser), {len(report.drafts)} utkast, {report.index_entries} indexposter, "
          f"{report.feedback} omdömen (👍/👎) och {report.staging} tillfälliga mappar.")


if __name__ == "__main__":
    main()
