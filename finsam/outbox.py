"""The outbox: every draft version that should be e-mailed waits here until the SMTP server took it.

Pure module (no rasa_sdk). Submitting writes the draft first (finsam.draft), then an
entry `<DRAFTS_DIR>/.outbox/<reference>-v<version>.json` holding only where the draft is
(no user text: the draft folder already holds it). `deliver_pending` sends each entry and
moves it to `.outbox/sent/` once the server accepted the mail; the action server calls it
right after a submit, at start and every OUTBOX_RETRY_SECONDS, so an SMTP outage delays
the mail but never loses it.

Never twice: one delivery pass at a time (an exclusive lock on `.outbox/.lock`, shared by
every process using the same drafts folder), an entry moves to `sent/` as soon as its mail
is accepted, and queuing a version already sent does nothing. The one window left – a
crash between the server's "250 OK" and the move – resends with the same Message-ID,
which mail systems use to drop the duplicate.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, List, Optional

from finsam.draft import DraftStore, StoredDraft, drafts_dir, is_reference

logger = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 60.0
# The server is not there (or went away): the rest of the pass would only wait for time-outs.
_SERVER_DOWN = (ConnectionError, socket.timeout, socket.gaierror, smtplib.SMTPConnectError,
                smtplib.SMTPServerDisconnected)


@dataclass(frozen=True)
class Entry:
    reference: str
    version: int
    path: Path


def outbox_dir(root: Optional[Path] = None) -> Path:
    return Path(root or drafts_dir()) / ".outbox"


def retry_seconds(env=os.environ) -> float:
    value = env.get("OUTBOX_RETRY_SECONDS") or ""
    try:
        seconds = float(value) if value else DEFAULT_RETRY_SECONDS
    except ValueError:
        raise ValueError("OUTBOX_RETRY_SECONDS ska vara ett antal sekunder, till exempel 60") from None
    if seconds <= 0:
        raise ValueError("OUTBOX_RETRY_SECONDS ska vara större än 0")
    return seconds


class Outbox:
    """Draft versions waiting to be e-mailed, one small JSON file each, next to the drafts."""

    def __init__(self, drafts_root: Optional[Path] = None):
        self.store = DraftStore(drafts_root)
        self.folder = outbox_dir(self.store.root)

    def _name(self, reference: str, version: int) -> str:
        return f"{reference}-v{version}.json"

    def add(self, stored: StoredDraft) -> Optional[Entry]:
        """Queue this version; None when it was sent already. Queuing it again keeps one entry."""
        name = self._name(stored.reference, stored.version)
        path = self.folder / name
        if (self.folder / "sent" / name).exists():
            return None
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o750)
        if not path.exists():
            entry = {"reference": stored.reference, "version": stored.version,
                     "queued": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            tmp = path.with_name(f".{name}.tmp")
            try:
                with open(tmp, "w", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        return Entry(stored.reference, stored.version, path)

    def is_pending(self, stored: StoredDraft) -> bool:
        return (self.folder / self._name(stored.reference, stored.version)).exists()

    def was_sent(self, stored: StoredDraft) -> bool:
        return (self.folder / "sent" / self._name(stored.reference, stored.version)).exists()

    def pending(self) -> List[Entry]:
        if not self.folder.is_dir():
            return []
        entries = []
        for path in sorted(self.folder.glob("IDS-*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                reference, version = str(data["reference"]), int(data["version"])
            except (OSError, ValueError, KeyError, TypeError):
                logger.error("Outbox entry %s cannot be read; left for a person to look at", path.name)
                continue
            if is_reference(reference) and version >= 1:
                entries.append(Entry(reference, version, path))
        return entries

    def _stored(self, entry: Entry) -> Optional[StoredDraft]:
        for stored in self.store.versions(entry.reference):
            if stored.version == entry.version:
                return stored
        newest = self.store.find(entry.reference)  # a draft in the old flat layout is version 1
        return newest if newest and entry.version == 1 and newest.version_folder is None else None

    def deliver_pending(self, send: Callable[[StoredDraft, dict], None], only: Optional[str] = None,
                        wait: bool = True) -> int:
        """Send the waiting entries with `send(stored, draft)`; returns how many were sent.

        `only` limits the pass to one entry name; `wait=False` returns 0 at once when another
        pass holds the lock (a submit never waits behind a pass that meets time-outs). An
        entry whose sending fails stays for the next pass; when the server is down the pass
        stops there.
        """
        if not self.pending():
            return 0
        sent = 0
        with open(self.folder / ".lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0
            try:
                for entry in self.pending():  # read again under the lock: another pass may have sent some
                    if only and entry.path.name != only:
                        continue
                    stored = self._stored(entry)
                    if stored is None:
                        logger.error("Outbox entry %s: the draft is gone (erased?); entry removed", entry.path.name)
                        entry.path.unlink(missing_ok=True)
                        continue
                    try:
                        draft = json.loads(stored.json.read_text(encoding="utf-8"))
                        send(stored, draft)
                    except _SERVER_DOWN as error:
                        logger.warning("SMTP server unavailable (%s: %s); %s v%d and any others wait for the "
                                       "next attempt", type(error).__name__, error, entry.reference, entry.version)
                        break
                    except Exception as error:
                        logger.warning("Draft %s v%d not e-mailed yet (%s: %s); will retry", entry.reference,
                                       entry.version, type(error).__name__, error)
                        continue
                    (self.folder / "sent").mkdir(exist_ok=True, mode=0o750)
                    os.replace(entry.path, self.folder / "sent" / entry.path.name)
                    sent += 1
                    logger.info("Draft %s v%d e-mailed to the kansli", entry.reference, entry.version)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return sent
