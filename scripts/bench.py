"""Benchmarks (not tests): NLU cross-validation and turn latency through the REST channel.

    python scripts/bench.py               # both
    python scripts/bench.py --skip-cv     # latency only
Prints the figures; nothing here fails on a threshold.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

import rasa_model  # noqa: E402
from live import LiveBot  # noqa: E402

QUESTIONS = [
    "Vem kan söka medel?", "vilka kriterier gäller", "när är sista ansökningsdag", "hur går ansökan till",
    "vad händer efter att vi skickat in", "hur finansieras förbundet", "vilka målgrupper prioriteras",
    "vad ska stå i en idéskiss", "kan en förening få pengar", "hur mycket kan man max söka",
]
SKETCH_TURNS = ["jag har en idé", "Gemensam väg", "Unga vuxna hamnar mellan stolarna hos FK och kommunen.",
                "Ett gemensamt team med coach och arbetsterapeut.", "Unga vuxna 18-29 år med aktivitetsersättning."]


def cross_validation(folds: int) -> None:
    out = Path(tempfile.mkdtemp(prefix="cv-"))
    print(f"== NLU cross-validation, {folds} folds (trains DIET {folds} times) …", flush=True)
    started = time.monotonic()
    with open(out / "rasa.log", "w") as log:
        subprocess.run([sys.executable, "-m", "rasa", "test", "nlu", "--nlu", "nlu_data/nlu.yml", "--config",
                        "config.yml", "--cross-validation", "--folds", str(folds), "--out", str(out)],
                       cwd=ROOT, check=True, stdout=log, stderr=subprocess.STDOUT)
    report = json.loads((out / "intent_report.json").read_text())
    print(f"intent macro F1 {report['macro avg']['f1-score']:.3f}, weighted F1 "
          f"{report['weighted avg']['f1-score']:.3f}, accuracy {report['accuracy']:.3f} "
          f"({time.monotonic() - started:.0f} s)")
    worst = sorted((v["f1-score"], k) for k, v in report.items() if isinstance(v, dict) and "support" in v
                   and k not in {"macro avg", "weighted avg", "micro avg"})[:5]
    print("weakest intents: " + ", ".join(f"{name} {f1:.2f}" for f1, name in worst))


def latency(rounds: int) -> None:
    model = rasa_model.model_path()
    if not model.exists():
        sys.exit("Ingen tränad modell: kör make train först.")
    print("== Turn latency through the REST channel (starting the servers) …", flush=True)
    with tempfile.TemporaryDirectory() as workdir:
        bot = LiveBot(Path(workdir), model).start()
        try:
            bot.say("warm-up", "hej")
            faq, form = [], []
            for round_number in range(rounds):
                for index, question in enumerate(QUESTIONS):
                    started = time.perf_counter()
                    bot.say(f"bench-faq-{round_number}-{index}", question)  # fresh conversation each
                    faq.append(time.perf_counter() - started)
                for turn in SKETCH_TURNS:
                    started = time.perf_counter()
                    bot.say(f"bench-form-{round_number}", turn)
                    form.append(time.perf_counter() - started)
        finally:
            bot.stop()
    for name, samples in (("question", faq), ("idea-sketch turn", form)):
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(f"{name}: n={len(samples)} p50 {statistics.median(samples) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true")
    args = parser.parse_args()
    if not args.skip_cv:
        cross_validation(args.folds)
    latency(args.rounds)


if __name__ == "__main__":
    main()
