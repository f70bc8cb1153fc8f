"""Drafts written by the bot's own DraftStore (finsam/draft.py), as the action server writes them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, Optional

from sketch_samples import COMPLETE_SKETCH

from finsam.draft import DraftStore
from finsam.knowledge import load_knowledge
from finsam.prereview import review
from finsam.sketch import OPEN

XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script><b>fet</b>'
BASE = {**COMPLETE_SKETCH, "title": "Gemensam väg till arbete"}
PEOPLE = [
    ("Gemensam väg till arbete", "Anna Svensson", "anna.svensson@karlshamn.se",
     "Karlshamns kommun (huvudman), Arbetsförmedlingen, Försäkringskassan"),
    ("Hälsolotsar i Ronneby", "Erik Lind", "erik.lind@ronneby.se", "Ronneby kommun, Region Blekinge"),
    ("Steg för steg – stöd till unga", "Sara Öberg", "sara.oberg@karlskrona.se",
     "Karlskrona kommun, Arbetsförmedlingen"),
    ("Samverkan kring långtidssjukskrivna", "Maria Holm", "maria.holm@regionblekinge.se",
     "Region Blekinge, Försäkringskassan"),
]


def answers(**changes) -> Dict[str, Optional[str]]:
    return {**BASE, **changes}


def write(root: Path, conversation: str, values: Dict[str, Optional[str]], when: datetime,
          reference: Optional[str] = None):
    knowledge = load_knowledge()
    suggestions = review(values, knowledge.prereview)
    return DraftStore(root).submit(conversation, values, knowledge.idea_sketch, suggestions, now=when,
                                   reference=reference)


def populate(root: Path) -> Dict[str, str]:
    """Four people's drafts (one edited after sending: two versions) and one with HTML in its answers.
    Returns references by role."""
    start = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    refs = {}
    for number, (title, name, email, parties) in enumerate(PEOPLE):
        stored, _ = write(root, f"conv-{number}", answers(title=title, contact_name=name, email=email,
                                                          parties=parties, measurement=OPEN if number % 2 else
                                                          "Enkät före och efter, och andel i arbete efter ett år."),
                          start + timedelta(days=number))
        refs[email] = stored.reference
    # Anna edits her sketch after sending it: version 2 with the same reference.
    stored, draft = write(root, "conv-0", answers(measurement="Vi följer upp med deltagarenkät varje halvår."),
                          start + timedelta(days=5), reference=refs["anna.svensson@karlshamn.se"])
    assert draft["version"] == 2, draft
    stored, _ = write(root, "conv-xss", answers(title="Skript" + XSS, background=XSS, contact_name="Elak " + XSS,
                                                email="elak@example.se", parties="Parter " + XSS),
                      start - timedelta(days=2))
    refs["xss"] = stored.reference
    return refs
