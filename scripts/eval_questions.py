"""Evaluate the answers on the questions written from the seeds (`make eval-questions`).

Loads the trained Rasa model in-process (rasa.core.agent.Agent, no server), parses each held-out
question (the held-out third of tests/data/questions.yml and the blind sets tests/data/questions_blind*.yml)
and runs the bot's own decision (finsam.answering.decide) on the result. Prints:
correct, clarified, answered with a different topic, honest "not in the documents", and the confusions.

    python scripts/eval_questions.py [--model PATH] [--all] [--heldout-nlu]

--all also evaluates the trainable two thirds (not a fair test: the model has seen them);
--heldout-nlu also runs tests/nlu_heldout.yml (FAQ intents only), another set never trained on.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections import Counter
from pathlib import Path
from typing import List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import yaml  # noqa: E402

from finsam.answering import decide  # noqa: E402
from finsam.knowledge import get_knowledge  # noqa: E402
from finsam.passages import fold, get_index  # noqa: E402
from finsam.questions import BLIND_FILES, NOT_IN_DOCUMENTS, Question, heldout_questions, load_questions  # noqa: E402

CATEGORIES = ("correct", "clarified", "different topic", "honest", "other")


def _flat(text: str) -> str:
    return " ".join(fold(text).replace("”", '"').split())


def grade(question: Question, decision) -> str:
    """One of CATEGORIES. For an unanswerable question, only the honest answer is correct."""
    if question.expect == NOT_IN_DOCUMENTS:
        if decision.kind == "honest":
            return "correct"
        if decision.kind == "clarify":
            return "clarified"
        return "different topic" if decision.kind in ("topic", "passage") else "other"
    if decision.kind == "topic":
        return "correct" if decision.topic.intent == question.expect else "different topic"
    if decision.kind == "passage":
        passage, source = _flat(decision.hit.passage.text), _flat(question.source)
        return "correct" if source in passage or passage in source else "different topic"
    if decision.kind == "clarify":
        return "clarified"
    if decision.kind == "honest":
        return "honest"
    return "other"


def describe(decision) -> str:
    if decision.kind == "topic":
        return f"ämnet {decision.topic.intent}"
    if decision.kind == "passage":
        return f"stycket ”{decision.hit.passage.text[:70]}…”"
    if decision.kind == "clarify":
        return "Menar du: " + ", ".join(t.intent for t in decision.options)
    return decision.kind


async def evaluate(agent, questions: List[Question], knowledge) -> List[Tuple[Question, object, str]]:
    index = get_index(knowledge)
    results = []
    for question in questions:
        parsed = await agent.parse_message(question.text)
        decision = decide(question.text, parsed.get("intent_ranking") or [parsed["intent"]], knowledge,
                          index=index, example_ranking=parsed.get("example_ranking") or ())
        results.append((question, decision, grade(question, decision)))
    return results


def report(title: str, results) -> Counter:
    counts = Counter(category for _, _, category in results)
    answerable = [r for r in results if r[0].expect != NOT_IN_DOCUMENTS]
    unanswerable = [r for r in results if r[0].expect == NOT_IN_DOCUMENTS]
    total = len(results)
    print(f"\n== {title}: {total} frågor ({len(answerable)} som dokumenten svarar på, "
          f"{len(unanswerable)} som de inte svarar på)")
    for category in CATEGORIES:
        print(f"  {category:16} {counts[category]:4}  {100 * counts[category] / max(total, 1):5.1f} %")
    answered_unanswerable = sum(1 for _, d, _ in unanswerable if d.kind in ("topic", "passage"))
    print(f"  obesvarbara som fick ett svar (ämne eller stycke): {answered_unanswerable}")
    print(f"  obesvarbara som fick ”Menar du …?”: {sum(1 for _, d, _ in unanswerable if d.kind == 'clarify')}")
    kinds = Counter(d.kind for _, d, _ in results)
    print("  svarstyp: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    confusions = [r for r in results if r[2] != "correct"]
    if confusions:
        print("  kvarstående förväxlingar:")
        for question, decision, category in confusions:
            print(f"    [{category}] {question.text!r} väntat {question.expect} -> {describe(decision)}"
                  f" ({decision.reason})")
    return counts


def heldout_nlu_questions(knowledge) -> List[Question]:
    data = yaml.safe_load((ROOT / "tests" / "nlu_heldout.yml").read_text(encoding="utf-8"))
    questions = []
    for block in data["nlu"]:
        intent = block.get("intent")
        if knowledge.topic_for_intent(intent) or intent == "ask_not_covered":
            expect = NOT_IN_DOCUMENTS if intent == "ask_not_covered" else intent
            for line in str(block["examples"]).splitlines():
                if line.strip().startswith("- "):
                    questions.append(Question(text=line.strip()[2:], expect=expect))
    return questions


async def main_async(args) -> int:
    logging.disable(logging.WARNING)
    import structlog
    from rasa.core.agent import Agent

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from rasa_model import latest_model

    model = Path(args.model) if args.model else latest_model()
    print(f"Modell: {model.relative_to(ROOT) if model.is_relative_to(ROOT) else model}")
    agent = Agent.load(str(model))
    knowledge = get_knowledge()
    questions = load_questions()
    counts = report("Undanhållen tredjedel av tests/data/questions.yml",
                    await evaluate(agent, heldout_questions(questions), knowledge))
    for path in BLIND_FILES:
        report(f"tests/data/{path.name} (skriven blint ur dokumenten, aldrig tränad)",
               await evaluate(agent, load_questions(path), knowledge))
    unseen_unanswerable = [q for q in questions if q.expect == NOT_IN_DOCUMENTS]
    report("Alla frågor som dokumenten inte svarar på (två tredjedelar tränade)",
           await evaluate(agent, unseen_unanswerable, knowledge))
    if args.heldout_nlu:
        report("tests/nlu_heldout.yml (FAQ-ämnen)", await evaluate(agent, heldout_nlu_questions(knowledge), knowledge))
    if args.all:
        report("Hela frågesetet (inte ett rättvist test)", await evaluate(agent, questions, knowledge))
    return 0 if counts else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--heldout-nlu", action="store_true")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
