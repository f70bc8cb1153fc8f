"""Precision and recall of the pre-review, per rule, on the labelled sketches.

    make eval-prereview                       # both sets
    .venv/bin/python scripts/eval_prereview.py --set heldout --verbose

tests/data/prereview/tuning.yml is what the rules were tuned on; heldout.yml was written
before tuning and never tuned on. Each sketch lists the suggestions a kansli officer
would make (`expected`); a rule's precision is the share of its suggestions that were
expected, its recall the share of expected suggestions it made.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from finsam.knowledge import get_knowledge  # noqa: E402
from finsam.prereview import review  # noqa: E402
from finsam.sketch import OPEN  # noqa: E402

DATA = ROOT / "tests" / "data" / "prereview"
SETS = ("tuning", "heldout")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: List[str] = field(default_factory=list)
    false_alarms: List[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load_set(name: str) -> List[dict]:
    with open(DATA / f"{name}.yml", encoding="utf-8") as handle:
        sketches = yaml.safe_load(handle)["sketches"]
    for sketch in sketches:
        sketch["answers"] = {slot: (OPEN if value == "__open__" else value)
                             for slot, value in sketch["answers"].items()}
    return sketches


def evaluate(name: str) -> Dict[str, Score]:
    rules = get_knowledge().prereview
    scores = {check["id"]: Score() for check in rules["checks"]}
    for sketch in load_set(name):
        found = {s.check for s in review(sketch["answers"], rules)}
        expected = set(sketch.get("expected") or [])
        unknown = expected - set(scores)
        if unknown:
            raise ValueError(f"{sketch['id']}: okänd regel {sorted(unknown)}")
        for check_id, score in scores.items():
            if check_id in found and check_id in expected:
                score.tp += 1
            elif check_id in found:
                score.fp += 1
                score.false_alarms.append(sketch["id"])
            elif check_id in expected:
                score.fn += 1
                score.misses.append(sketch["id"])
    return scores


def report(name: str, scores: Dict[str, Score], verbose: bool) -> str:
    count = len(load_set(name))
    lines = [f"== {name} ({count} skisser)",
             f"{'regel':<18} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for check_id, s in scores.items():
        lines.append(f"{check_id:<18} {s.precision:>9.2f} {s.recall:>7.2f} {s.tp:>4} {s.fp:>4} {s.fn:>4}")
        if verbose and (s.false_alarms or s.misses):
            lines.append(f"{'':<4}falsklarm: {', '.join(s.false_alarms) or '-'}; missade: {', '.join(s.misses) or '-'}")
    total = Score(tp=sum(s.tp for s in scores.values()), fp=sum(s.fp for s in scores.values()),
                  fn=sum(s.fn for s in scores.values()))
    lines.append(f"{'alla regler':<18} {total.precision:>9.2f} {total.recall:>7.2f} {total.tp:>4} {total.fp:>4} "
                 f"{total.fn:>4}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SETS, action="append", help="which set (default: both)")
    parser.add_argument("--verbose", "-v", action="store_true", help="name the sketches behind each error")
    args = parser.parse_args()
    for name in args.set or SETS:
        print(report(name, evaluate(name), args.verbose))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
