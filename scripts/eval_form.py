"""How the idea-sketch form reads what is typed while it asks (`make eval-form`).

Loads the trained Rasa model in-process and runs the form's own reading (finsam.sketch.interpret_turn)
on tests/data/form_turns.yml and form_turns_blind.yml (answers, rules questions and steering messages
written blind; the reading was tuned on the first, the second is the untouched check) and on the
answers of the pre-review's labelled sketches (tests/data/prereview). Prints, per kind: kept as the
answer, answered as a question, steered; and the turns read wrongly.

    python scripts/eval_form.py [--model PATH]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import yaml  # noqa: E402

from finsam.knowledge import get_knowledge  # noqa: E402
from finsam.sketch import QUESTION_SLOTS, interpret_turn  # noqa: E402

TURNS = ROOT / "tests" / "data" / "form_turns.yml"  # the form's reading was tuned on these
BLIND_TURNS = ROOT / "tests" / "data" / "form_turns_blind.yml"  # written afterwards, never looked at in tuning
PREREVIEW = ROOT / "tests" / "data" / "prereview"
# What the form does with each kind of turn when it reads it right.
RIGHT = {"answer": {"answer", "retry"}, "question": {"interrupt"}}
STEERED = {"stay", "back", "interrupt", "skip", "ignore"}
EARLIER = {"title": "Navet", "background": "Unga bollas mellan myndigheterna.", "solution": "Ett team.",
           "target_group": "Unga vuxna.", "coordination": "Möten varje vecka.", "measurement": "Enkäter.",
           "governance": "En styrgrupp.", "anchoring": "Ledningsgrupperna."}


def prereview_answers() -> List[Tuple[str, str, str]]:
    turns = []
    for path in sorted(PREREVIEW.glob("*.yml")):
        for sketch in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sketches") or []:
            answers = sketch.get("answers") or {}
            turns += [(slot, "answer", answers[slot].strip()) for slot in QUESTION_SLOTS
                      if isinstance(answers.get(slot), str) and answers[slot].strip() and "\n" not in answers[slot]]
    return turns


def read(parse: Dict, slot: str, text: str, faq_intents) -> str:
    examples = parse.get("example_ranking") or []
    answer_confidence = next((r["confidence"] for r in parse.get("intent_ranking") or []
                              if r["name"] == "inform_sketch"), 0.0)
    turn = interpret_turn(slot, text, parse["intent"]["name"], parse["intent"]["confidence"],
                          entities=parse.get("entities") or [], digression_intents=faq_intents,
                          limits={"min_words": 3, "max_answer_chars": 5000},
                          answers={name: value for name, value in EARLIER.items() if name != slot},
                          answer_confidence=answer_confidence,
                          example_intent=examples[0]["name"] if examples else None,
                          example_confidence=examples[0]["confidence"] if examples else 0.0)
    return turn.kind


async def evaluate(agent, title: str, turns: List[Tuple[str, str, str]], faq_intents) -> None:
    right, total, wrong = Counter(), Counter(), []
    for slot, expect, text in turns:
        parse = await agent.parse_message(text)
        kind = read(parse, slot, text, faq_intents)
        group = expect if expect in RIGHT else "steering"
        total[group] += 1
        if kind in RIGHT.get(expect, STEERED):
            right[group] += 1
        else:
            wrong.append(f"  {expect:9} {slot:13} {text!r} -> {kind} "
                         f"({parse['intent']['name']} {parse['intent']['confidence']:.2f})")
    print(f"\n{title}")
    labels = {"answer": "svar sparade som svar", "question": "frågor besvarade", "steering": "styrande förstådda"}
    for group in ("answer", "question", "steering"):
        if total[group]:
            print(f"  {labels[group]:24} {right[group]:4} av {total[group]:4} "
                  f"({100 * right[group] / total[group]:.1f} %)")
    if wrong:
        print("  Fel lästa:")
        print("\n".join(wrong))


async def main_async(args) -> int:
    import structlog
    from rasa.core.agent import Agent
    from rasa_model import latest_model

    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    model = Path(args.model) if args.model else latest_model()
    print(f"Modell: {model.relative_to(ROOT) if model.is_relative_to(ROOT) else model}", flush=True)
    agent = Agent.load(str(model))
    faq_intents = set(get_knowledge().intents) | {"ask_not_covered"}
    for path, title in [(TURNS, "skriven blint, läsningen finjusterad på den"),
                        (BLIND_TURNS, "skriven blint efteråt, aldrig använd för justering")]:
        written = yaml.safe_load(path.read_text(encoding="utf-8"))["turns"]
        await evaluate(agent, f"{path.relative_to(ROOT)} ({title})",
                       [(t["slot"], t["expect"], t["text"]) for t in written], faq_intents)
    await evaluate(agent, "Svaren i förgranskningens skisser (tests/data/prereview)", prereview_answers(), faq_intents)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
