"""A SQL tracker store that really forgets a conversation when the idea maker asks.

Rasa saves the tracker after every turn and only appends the events it thinks are new
(SQLTrackerStore.save counts the stored rows of the latest session), so an action
cannot delete rows itself: Rasa would write the text back. This store sees the
erasure in the turn it is saved (an ActionExecuted of an action in
finsam.erasure.ERASURE_ACTIONS), deletes every row of that sender (all sessions) and
stores a fresh session holding only the bot's replies after the erasure – no user
text. Every save of that turn does the same, so a repeated save cannot re-add text;
the next turn starts from the fresh session, where the marker is gone.

Configure it in bot/endpoints*.yml with `type: rasa_addons.tracker_store.ErasingSQLTrackerStore`
and the usual SQL settings (dialect, db, url, …).
"""
from __future__ import annotations

import json
import logging
from typing import Any, List, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import SingletonThreadPool

from finsam import resume_codes
from finsam.erasure import ERASURE_ACTIONS, enable_secure_delete

logger = logging.getLogger(__name__)


def erasure_index(events: List[Event]) -> Optional[int]:
    """Position of the last erasure action in these events, or None."""
    for position in range(len(events) - 1, -1, -1):
        event = events[position]
        if isinstance(event, ActionExecuted) and event.action_name in ERASURE_ACTIONS:
            return position
    return None


def fresh_session(events: List[Event], erased_at: int) -> List[Event]:
    """A new session with only the bot's replies after the erasure (e.g. "raderat")."""
    when = events[erased_at].timestamp
    replies = [BotUttered(e.text, e.data, e.metadata, timestamp=e.timestamp)
               for e in events[erased_at + 1:] if isinstance(e, BotUttered)]
    last = max([when] + [r.timestamp for r in replies])
    return [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=when), SessionStarted(timestamp=when),
            *replies, ActionExecuted(ACTION_LISTEN_NAME, timestamp=last)]


class ErasingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQLTrackerStore, plus: an erasure action in the turn deletes the whole conversation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 gives a SQLite file no pool (NullPool): every retrieve and save opened
            # the file anew, ~7 ms a time on the bench's disk against ~1.5 ms on an open connection
            # (`make bench --profile`). One connection per thread is kept instead; it holds no
            # lock between turns, so the kansli and `make purge` can still open the file.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=SingletonThreadPool)
            self.sessionmaker = sessionmaker(bind=self.engine)
        enable_secure_delete(self.engine)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        """Rasa's query, but only the `data` column: building an ORM object per stored event took half
        of the SQL time of a retrieve, ~6 ms at turn 60 of a conversation (`make bench --profile`)."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
                                     ).with_entities(self.SQLEvent.data).all()
        events = [json.loads(data) for (data,) in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        events = list(tracker.events)
        erased_at = erasure_index(events)
        if erased_at is None:
            await super().save(tracker)
            return
        # No stream_events here: an event broker would get the very text being erased.
        kept = fresh_session(events, erased_at)
        with self.session_scope() as session:
            removed = session.query(self.SQLEvent).filter(
                self.SQLEvent.sender_id == tracker.sender_id).delete(synchronize_session=False)
            for event in kept:
                data = event.as_dict()
                session.add(self.SQLEvent(sender_id=tracker.sender_id, type_name=event.type_name,
                                          timestamp=data.get("timestamp"), intent_name=None,
                                          action_name=data.get("name"), data=json.dumps(data)))
            session.commit()
        # A web fortsättningskod must not open an erased conversation (finsam/resume_codes.py).
        resume_codes.forget(self.engine, [tracker.sender_id])
        logger.info("Erased conversation %s on request (%d stored events removed).", tracker.sender_id, removed)
