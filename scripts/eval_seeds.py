"""The answer figures over several retrained models (`make eval-seeds`).

DIET's random seed alone moves the held-out third by several points, so one model's figures are no
basis for changing a threshold or the training data. This trains the model once per seed, exactly
as `make train` does but with DIET's `random_seed` replaced (the seed of config.yml is the model
`make train` made), keeps the models in models/seeds/ under the fingerprint of the training inputs
(NLU data, domain, rules, stories, config), and prints per seed and on average what
`make eval-questions` prints for one model: correct, clarified, different topic, honest and other
on the held-out third, the blind sets and tests/nlu_heldout.yml, and the unanswerable questions that
got a topic or a passage.

    python scripts/eval_seeds.py [--seeds 42,7,13,1,2]

About two minutes of training per seed on two cores; models already trained are reused, those of
older training inputs are removed once the new ones are trained.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import yaml  # noqa: E402
from eval_questions import evaluate, heldout_nlu_questions  # noqa: E402
from rasa_model import fingerprint, model_path  # noqa: E402

from finsam.knowledge import get_knowledge  # noqa: E402
from finsam.questions import BLIND_FILES, NOT_IN_DOCUMENTS, heldout_questions, load_questions  # noqa: E402

SEEDS_DIR = ROOT / "models" / "seeds"
DEFAULT_SEEDS = (42, 7, 13, 1, 2)
COLUMNS = ("correct", "clarified", "different topic", "honest", "other")


def seeded_config(config: dict, seed: int) -> dict:
    """config.yml with DIET's random seed replaced (nothing else changes)."""
    pipeline = [dict(component, random_seed=seed) if component.get("name") == "DIETClassifier" else component
                for component in config.get("pipeline") or []]
    if not any(component.get("name") == "DIETClassifier" for component in pipeline):
        raise ValueError("config.yml har ingen DIETClassifier")
    return {**config, "pipeline": pipeline}


def summarise(results: Sequence[tuple]) -> Dict[str, float]:
    """Per cent of each category, and how many unanswerable questions got a topic or a passage."""
    total = max(len(results), 1)
    figures = {column: 100.0 * sum(1 for _, _, category in results if category == column) / total
               for column in COLUMNS}
    figures["unanswerable answered"] = sum(1 for question, decision, _ in results
                                           if question.expect == NOT_IN_DOCUMENTS
                                           and decision.kind in ("topic", "passage"))
    return figures


def mean(rows: List[Dict[str, float]]) -> Dict[str, float]:
    return {key: sum(row[key] for row in rows) / len(rows) for key in rows[0]}


def train(seed: int, key: str, number: int, count: int) -> Path:
    model = SEEDS_DIR / f"finsam-{key}-seed{seed}.tar.gz"
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    if seed in config_seeds(config) and model_path().exists():
        print(f"[{number}/{count}] seed {seed}: modellen från make train ({model_path().relative_to(ROOT)})",
              flush=True)
        return model_path()
    if model.exists():
        print(f"[{number}/{count}] seed {seed}: modellen finns redan ({model.relative_to(ROOT)})", flush=True)
        return model
    print(f"[{number}/{count}] seed {seed}: tränar modellen (ungefär två minuter) …", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as directory:
        config_file = Path(directory) / "config.yml"
        config_file.write_text(yaml.safe_dump(seeded_config(config, seed), allow_unicode=True, sort_keys=False),
                               encoding="utf-8")
        # The same command as `make train` (scripts/rasa_model.py), so that one seed gives one model.
        result = subprocess.run(
            [sys.executable, "-m", "rasa", "train", "--config", str(config_file), "--domain", "bot/domain.yml",
             "--data", "nlu_data", "bot/rules.yml", "bot/stories.yml", "--out", directory, "--skip-validation",
             "--fixed-model-name", "model"],
            cwd=ROOT, capture_output=True, text=True)
        trained = Path(directory) / "model.tar.gz"
        if result.returncode != 0 or not trained.exists():
            sys.exit(f"Träningen med seed {seed} misslyckades:\n{(result.stdout + result.stderr)[-3000:]}")
        # Moved only when complete: an interrupted run leaves no half-written model to reuse.
        shutil.move(str(trained), model)
    print(f"[{number}/{count}] seed {seed}: klar på {time.monotonic() - started:.0f} s", flush=True)
    return model


def config_seeds(config: dict) -> List[int]:
    return [c.get("random_seed") for c in config.get("pipeline") or [] if c.get("name") == "DIETClassifier"]


def remove_stale(key: str) -> None:
    """Models of older training inputs are never evaluated again (about 30 MB each)."""
    for stale in SEEDS_DIR.glob("*-seed*.tar.gz"):
        if not stale.name.startswith(f"finsam-{key}-"):
            stale.unlink()
            print(f"tog bort {stale.relative_to(ROOT)} (äldre träningsdata)", flush=True)


def print_table(title: str, rows: Dict[int, Dict[str, float]]) -> None:
    print(f"\n== {title}")
    print("  seed   rätt  Menar du  annat ämne  ärligt  annat  obesvarbara med svar")
    for label, row in [(str(seed), row) for seed, row in rows.items()] + [("medel", mean(list(rows.values())))]:
        print(f"  {label:>5} {row['correct']:5.1f} {row['clarified']:9.1f} {row['different topic']:11.1f} "
              f"{row['honest']:7.1f} {row['other']:6.1f} {row['unanswerable answered']:8.1f}")


async def main_async(seeds: Sequence[int]) -> int:
    logging.disable(logging.WARNING)
    import structlog
    from rasa.core.agent import Agent

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    SEEDS_DIR.mkdir(parents=True, exist_ok=True)
    key = fingerprint()
    models = {seed: train(seed, key, n, len(seeds)) for n, seed in enumerate(seeds, 1)}
    remove_stale(key)
    knowledge = get_knowledge()
    questions = load_questions()
    sets = {"Undanhållen tredjedel av tests/data/questions.yml": heldout_questions(questions),
            **{f"tests/data/{path.name}": load_questions(path) for path in BLIND_FILES},
            "tests/nlu_heldout.yml (FAQ-ämnen)": heldout_nlu_questions(knowledge)}
    tables: Dict[str, Dict[int, Dict[str, float]]] = {title: {} for title in sets}
    for seed, model in models.items():
        print(f"utvärderar seed {seed} …", flush=True)
        agent = Agent.load(str(model))
        for title, subset in sets.items():
            tables[title][seed] = summarise(await evaluate(agent, subset, knowledge))
    for title, rows in tables.items():
        print_table(title, rows)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default=",".join(str(seed) for seed in DEFAULT_SEEDS),
                        help="DIET:s random_seed, kommaseparerade (standard: %(default)s)")
    args = parser.parse_args()
    try:
        seeds = [int(seed) for seed in args.seeds.split(",") if seed.strip()]
    except ValueError:
        parser.error(f"--seeds ska vara heltal med komma emellan, till exempel 42,7,13 (fick {args.seeds!r})")
    if not seeds:
        parser.error("--seeds behöver minst ett tal")
    return asyncio.run(main_async(seeds))


if __name__ == "__main__":
    sys.exit(main())
