"""Shared fixtures: the knowledge base, trackers for action tests, service checks."""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def knowledge():
    from finsam.knowledge import load_knowledge

    return load_knowledge()


@pytest.fixture
def knowledge_copy(tmp_path, monkeypatch):
    """A private copy of knowledge/ that a test may edit; actions read it via KNOWLEDGE_DIR."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(target))
    return target


@pytest.fixture
def drafts_dir(tmp_path, monkeypatch):
    target = tmp_path / "drafts"
    monkeypatch.setenv("DRAFTS_DIR", str(target))
    return target


def make_tracker(
    text: str = "",
    intent: Optional[str] = None,
    confidence: float = 1.0,
    slots: Optional[Dict[str, Any]] = None,
    entities: Optional[List[dict]] = None,
    active_loop: Optional[str] = None,
    intent_ranking: Optional[List[dict]] = None,
    sender_id: str = "test-conversation",
    example_ranking: Optional[List[dict]] = None,
):
    from rasa_sdk import Tracker

    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence} if intent else {},
        "entities": entities or [],
        "intent_ranking": intent_ranking or ([{"name": intent, "confidence": confidence}] if intent else []),
    }
    if example_ranking is not None:
        latest["example_ranking"] = example_ranking
    return Tracker(
        sender_id=sender_id,
        slots=dict(slots or {}),
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def tracker_factory():
    return make_tracker


@pytest.fixture
def dispatcher():
    from rasa_sdk.executor import CollectingDispatcher

    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain():
    import yaml

    with open(ROOT / "bot" / "domain.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip with a clear message when a service is absent, unless REQUIRE_SERVICES=1."""
    if service_available(host, port):
        return
    message = f"{name} svarar inte på {host}:{port}"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message}, men REQUIRE_SERVICES=1 kräver den")
    pytest.skip(f"{message}; testet hoppas över (sätt REQUIRE_SERVICES=1 för att kräva den)")


def trained_model() -> Path:
    """The Rasa model for the current training data (make test trains it first).

    FINSAM_DEV_ANY_MODEL=1 accepts the newest model on disk instead, for working on
    channels while the training data is being changed elsewhere.
    """
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import rasa_model

    path = rasa_model.model_path()
    if path.exists():
        return path
    if os.environ.get("FINSAM_DEV_ANY_MODEL") == "1" and rasa_model.latest_model().exists():
        return rasa_model.latest_model()
    pytest.fail(f"Ingen tränad modell för aktuell data ({path.name}); kör `make train` (make test gör det).")
