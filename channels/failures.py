"""Notice the failures Rasa 3.6 swallows inside a turn, so the channel can apologise.

Rasa catches a failed custom action (the action server is down or answered 500) in
MessageProcessor._run_action, logs it and carries on with the action's events lost; the
idea maker would get silence. Its FailSafeTrackerStore does the same for the tracker
store: a failed read gives a brand-new conversation, a failed write goes to memory only.
Both only log. While a channel hands a message to Rasa it watches those log records
(same asyncio task, so a ContextVar ties them to this turn) and answers with the apology
instead of a half-done turn; nothing of the turn reached the store, so the idea maker
can simply send the message again, and the form carries on at the same question.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, List, Optional

# The messages of rasa/core/processor.py and rasa/core/tracker_store.py (Rasa 3.6, pinned);
# tests/test_faults_live.py fails if an upgrade changes them.
WATCHED = {
    "rasa.core.processor": ("Encountered an exception while running action",),
    "rasa.core.tracker_store": ("Error happened when trying to retrieve conversation tracker",
                                "Error happened when trying to save conversation tracker"),
}

_failures: ContextVar[Optional[List[str]]] = ContextVar("finsam_turn_failures", default=None)


class _FailureWatch(logging.Handler):
    def __init__(self, prefixes):
        super().__init__(level=logging.ERROR)
        self.prefixes = prefixes

    def emit(self, record: logging.LogRecord) -> None:
        failures = _failures.get()
        if failures is not None and str(record.msg).startswith(self.prefixes):
            failures.append(record.name)


def install() -> None:
    """Attach the watch to Rasa's loggers (once per process)."""
    for name, prefixes in WATCHED.items():
        log = logging.getLogger(name)
        if not any(isinstance(handler, _FailureWatch) for handler in log.handlers):
            log.addHandler(_FailureWatch(prefixes))


@contextmanager
def watching_turn() -> Iterator[List[str]]:
    """A list that fills with the names of the Rasa loggers that reported a swallowed failure."""
    install()
    failures: List[str] = []
    token = _failures.set(failures)
    try:
        yield failures
    finally:
        _failures.reset(token)
