"""Fortsättningskoder: continue a web conversation another day without a lasting browser key.

Pure module (SQLAlchemy and the standard library, no Rasa). The web widget keeps its session
key only for the tab (issue 10), so an idea maker who leaves mid-sketch gets a one-time code
instead (channels/web_resume.py):

- 16 characters of Crockford base32 (80 random bits from `secrets`), shown once, grouped as
  XXXX-XXXX-XXXX-XXXX; typed back case-insensitively, with or without dashes and spaces, and
  O/I/L read as 0/1/1;
- only its SHA-256 is stored (with 80 random bits nobody can guess it back from the hash), in
  the tracker store's database, table `finsam_resume_codes`: hash, conversation id, created,
  expires. A SQL-less (in-memory) tracker store keeps the codes in this process's memory;
- one live code per conversation (a new one replaces the old), valid WEB_RESUME_DAYS days
  (default 14, never longer than the conversation is kept, RETENTION_DAYS), used once;
- erased with the conversation ("Avsluta och glöm", "radera mina uppgifter", avbryt, `make
  purge`), and expired codes go at every issue, use and purge.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import threading
import time
from typing import Dict, Iterable, Mapping, Optional, Tuple

import sqlalchemy as sa

from finsam.sketch import unfinished_sketch

logger = logging.getLogger(__name__)

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 16  # 16 × 5 bits = 80 bits
DEFAULT_DAYS = 14
_TYPED = re.compile(r"[\s\-–—_.]+")
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})

metadata = sa.MetaData()
CODES = sa.Table(
    "finsam_resume_codes", metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("expires", sa.Float, nullable=False, index=True),
)


def new_code() -> str:
    """A fresh code, as shown: XXXX-XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise(typed: object) -> Optional[str]:
    """The code as typed, in canonical form (16 characters), or None when it cannot be one."""
    if not isinstance(typed, str) or len(typed) > 64:
        return None
    text = _TYPED.sub("", typed).upper().translate(_LOOKALIKES)
    if len(text) != CODE_LENGTH or any(c not in ALPHABET for c in text):
        return None
    return text


def digest(code: str) -> str:
    """What is stored: the SHA-256 of the canonical code (hex)."""
    canonical = normalise(code)
    if canonical is None:
        raise ValueError("not a resume code")
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def days_from_env(env: Optional[Mapping[str, str]] = None) -> int:
    """WEB_RESUME_DAYS (default 14), never longer than RETENTION_DAYS: the code must not
    outlive the conversation it opens."""
    env = os.environ if env is None else env
    raw = (env.get("WEB_RESUME_DAYS") or "").strip()
    try:
        days = int(raw) if raw else DEFAULT_DAYS
    except ValueError:
        days = 0
    if days <= 0:
        logger.warning("WEB_RESUME_DAYS=%r is not a positive whole number; using %d", raw, DEFAULT_DAYS)
        days = DEFAULT_DAYS
    try:
        retention = int(float(env.get("RETENTION_DAYS") or 0))
    except ValueError:
        retention = 0
    return min(days, retention) if retention > 0 else days


def resumable(slots: Mapping[str, object]) -> bool:
    """An unfinished sketch: something answered, nothing submitted yet."""
    return unfinished_sketch(slots)  # type: ignore[arg-type]


class CodeStore:
    """The codes, in the tracker store's SQL database (engine) or, without one, in memory."""

    def __init__(self, engine: Optional[sa.engine.Engine] = None) -> None:
        self.engine = engine
        self._memory: Dict[str, Tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._created = False

    def _table(self) -> None:
        if not self._created:
            metadata.create_all(self.engine, tables=[CODES])  # checkfirst
            self._created = True

    def issue(self, sender_id: str, days: int, now: Optional[float] = None) -> str:
        """A new code for this conversation (earlier codes of it stop working)."""
        now = time.time() if now is None else now
        code = new_code()
        expires = now + days * 86400
        if self.engine is None:
            with self._lock:
                self._drop_memory(lambda s, e: s == sender_id or e <= now)
                self._memory[digest(code)] = (sender_id, expires)
            return code
        self._table()
        with self.engine.begin() as connection:
            connection.execute(sa.delete(CODES).where(sa.or_(CODES.c.sender_id == sender_id, CODES.c.expires <= now)))
            connection.execute(sa.insert(CODES).values(code_hash=digest(code), sender_id=sender_id, created=now,
                                                       expires=expires))
        return code

    def redeem(self, typed: object, now: Optional[float] = None) -> Optional[str]:
        """The conversation a valid code opens, or None. The code is used up either way."""
        canonical = normalise(typed)
        if canonical is None:
            return None
        now = time.time() if now is None else now
        key = digest(canonical)
        if self.engine is None:
            with self._lock:
                found = self._memory.pop(key, None)
            return found[0] if found and found[1] > now else None
        self._table()
        with self.engine.begin() as connection:
            row = connection.execute(sa.select(CODES.c.sender_id, CODES.c.expires)
                                     .where(CODES.c.code_hash == key)).first()
            if row is None:
                return None
            # Only the request that deletes the row may use it (two at once: one wins).
            deleted = connection.execute(sa.delete(CODES).where(CODES.c.code_hash == key)).rowcount
            connection.execute(sa.delete(CODES).where(CODES.c.expires <= now))
        return row.sender_id if deleted == 1 and row.expires > now else None

    def forget(self, sender_ids: Iterable[str]) -> int:
        """Delete the codes of these conversations (they were erased); how many went."""
        senders = set(sender_ids)
        if not senders:
            return 0
        if self.engine is None:
            with self._lock:
                return self._drop_memory(lambda s, e: s in senders)
        return forget(self.engine, senders)

    def purge(self, now: Optional[float] = None) -> int:
        """Delete expired codes; how many went."""
        now = time.time() if now is None else now
        if self.engine is None:
            with self._lock:
                return self._drop_memory(lambda s, e: e <= now)
        return purge(self.engine, now)

    def _drop_memory(self, condition) -> int:
        gone = [k for k, (s, e) in self._memory.items() if condition(s, e)]
        for key in gone:
            del self._memory[key]
        return len(gone)


def _has_table(engine: sa.engine.Engine) -> bool:
    return sa.inspect(engine).has_table(CODES.name)


def forget(engine: Optional[sa.engine.Engine], sender_ids: Iterable[str]) -> int:
    """For finsam.erasure: the codes of erased conversations go with them."""
    senders = list(sender_ids)
    if engine is None or not senders or not _has_table(engine):
        return 0
    with engine.begin() as connection:
        return connection.execute(sa.delete(CODES).where(CODES.c.sender_id.in_(senders))).rowcount or 0


def purge(engine: Optional[sa.engine.Engine], now: Optional[float] = None) -> int:
    """For `make purge`: every expired code."""
    if engine is None or not _has_table(engine):
        return 0
    now = time.time() if now is None else now
    with engine.begin() as connection:
        return connection.execute(sa.delete(CODES).where(CODES.c.expires <= now)).rowcount or 0
