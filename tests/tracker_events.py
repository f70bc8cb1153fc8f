"""Read a LiveBot's SQLite tracker store, so live tests can assert exact events and slots."""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Dict, List, Optional

_UNSET = object()


def stored_events(db: str, sender: str) -> List[Dict[str, Any]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("select data from events where sender_id = ? order by id", (sender,)).fetchall()
    return [json.loads(row[0]) for row in rows]


def slot_value(db: str, sender: str, name: str, default: Any = None) -> Any:
    """The slot's value as the tracker holds it now (the last SlotSet, or the default)."""
    value: Any = _UNSET
    for event in stored_events(db, sender):
        if event["event"] == "restart":
            value = _UNSET
        if event["event"] == "slot" and event["name"] == name:
            value = event["value"]
    return default if value is _UNSET else value


def last_turn(db: str, sender: str) -> List[str]:
    """What the bot did after the latest user message: action names and "utter:<response>"
    for each response it sent (an action's free text is "text")."""
    events = stored_events(db, sender)
    start = max((i for i, e in enumerate(events) if e["event"] == "user"), default=-1)
    steps: List[str] = []
    for event in events[start + 1:]:
        if event["event"] == "action":
            steps.append(event["name"])
        elif event["event"] == "bot":
            response: Optional[str] = (event.get("metadata") or {}).get("utter_action")
            steps.append(f"utter:{response}" if response else "text")
    return steps


def responses_of_last_turn(db: str, sender: str) -> List[str]:
    return [step.split(":", 1)[1] for step in last_turn(db, sender) if step.startswith("utter:")]


def move_back_in_time(db: str, sender: str, seconds: float) -> int:
    """Pretend the whole conversation happened `seconds` earlier (to pass Rasa's session expiry)."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute("select id, timestamp, data from events where sender_id = ?", (sender,)).fetchall()
        for row_id, timestamp, data in rows:
            event = json.loads(data)
            if "timestamp" in event and event["timestamp"] is not None:
                event["timestamp"] -= seconds
            connection.execute("update events set timestamp = ?, data = ? where id = ?",
                               ((timestamp or 0) - seconds, json.dumps(event), row_id))
        connection.commit()
    return len(rows)
