"""The NLU examples of nlu_data/ per intent: the one reader for the modules and scripts that need the
examples' words (finsam.vocabulary, finsam.steering, scripts/sync_faq_intents.py). Pure module."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import yaml

NLU_DIR = Path(__file__).resolve().parent.parent / "nlu_data"
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")
# What becomes of an entity annotation ('ändra [målgruppen]{"entity": …}'): left as written, the text as it
# was typed ('ändra målgruppen'), or dropped with what it names ('ändra').
ANNOTATIONS = ("keep", "typed", "drop")


def examples_by_intent(annotations: str = "typed", nlu_dir: Path = NLU_DIR) -> Dict[str, List[str]]:
    if annotations not in ANNOTATIONS:
        raise ValueError(f"annotations must be one of {ANNOTATIONS}, not {annotations!r}")
    examples: Dict[str, List[str]] = {}
    for path in sorted(Path(nlu_dir).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if not block.get("intent"):
                continue
            lines = [line.strip()[2:] for line in str(block.get("examples") or "").splitlines()
                     if line.strip().startswith("- ")]
            if annotations != "keep":
                lines = [_ANNOTATION.sub(r"\1" if annotations == "typed" else " ", line) for line in lines]
            examples.setdefault(block["intent"], []).extend(lines)
    return examples
