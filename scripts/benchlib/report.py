"""build/bench/report.md, the PNG plot and the closing ratios of `make bench`."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Optional, Tuple

# (key in the results, label, unit, lower is better)
ROWS: List[Tuple[str, str, str, bool]] = [
    ("c1.p50_ms", "turn p50, 1 client", "ms", True),
    ("c1.p95_ms", "turn p95, 1 client", "ms", True),
    ("c1.p99_ms", "turn p99, 1 client", "ms", True),
    ("c20.p50_ms", "turn p50, 20 clients", "ms", True),
    ("c20.p95_ms", "turn p95, 20 clients", "ms", True),
    ("c20.p99_ms", "turn p99, 20 clients", "ms", True),
    ("c20.turns_per_s", "turns/s, 20 clients, one instance", "turns/s", False),
    ("scaled_one.turns_per_s", "turns/s, 20 clients, one instance (PostgreSQL + Redis)", "turns/s", False),
    ("scaled_two.turns_per_s", "turns/s, 20 clients, two instances (PostgreSQL + Redis)", "turns/s", False),
    ("scaling", "two instances / one", "×", False),
    ("long.turn1_ms", "turns 1–5 of a 60-turn conversation (median)", "ms", True),
    ("long.turn60_ms", "turns 56–60 of a 60-turn conversation (median)", "ms", True),
    ("growth", "turn 60 / turn 1", "×", True),
    ("train_s", "train time", "s", True),
    ("start.rasa_http_s", "server start (Rasa listening)", "s", True),
    ("start.rasa_s", "server start (Rasa answering a turn)", "s", True),
    ("start.actions_s", "server start (action server)", "s", True),
    ("rss.rasa_mb", "RSS Rasa", "MB", True),
    ("rss.actions_mb", "RSS action server", "MB", True),
    ("rss.total_mb", "RSS total", "MB", True),
]


def get(results: Dict, key: str) -> Optional[float]:
    value = results
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, (int, float)) and not math.isnan(value) else None


def fmt(value: Optional[float]) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"


def ratio(floor: Optional[float], ours: Optional[float]) -> Optional[float]:
    return ours / floor if floor and ours is not None else None


FINDINGS = [
    "- Removed: Rasa 3.6 re-checked the action-server response schema against the JSON Schema meta-schema "
    "on every custom action (jsonschema.validate): ~65 ms of each FAQ turn, 20 % of Rasa's CPU "
    "(rasa_addons/action_validation.py). The SQLite tracker store opened the file for every retrieve and "
    "save (SQLAlchemy's NullPool, ~7 ms a time); it now keeps one connection per thread. Retrieve reads only "
    "the data column (ORM objects were half of its SQL time).",
    "- Persistence: this bot writes every turn to SQLite (one fsync'd commit per save, 1.2 saves a turn, "
    "~10 ms on the shared disk); the stock floor keeps its trackers in memory. WAL with synchronous=NORMAL "
    "would cut a commit from ~1.4 ms to ~0.03 ms, but erased text would then linger in the -wal file unless "
    "every erasure path (store, make purge, kansli) checkpoints with TRUNCATE: a decision for the lead.",
    "- Model (config.yml, the lead's): SpacyEntityExtractor runs the whole spaCy pipeline a second time on "
    "each message (Rasa does so because SpacyNLP may lowercase; ours is case_sensitive: true), ~8 % of Rasa's "
    "CPU; DIET and TED (TensorFlow) are ~30 %. Model loading at start builds DIET's entity CRF graph "
    "(~30 % of the start-up samples), which is why Rasa needs longer than the floor to answer its first turn.",
    "- Growth with the conversation is Rasa's: every turn the tracker store reads all events of the session "
    "and replays them (turn 60: ~300 events, ~60 % of a retrieve is the replay), and the whole tracker goes "
    "to the action server. The session lasts session_expiration_time (1440 min, bot/domain.yml). The stock "
    "floor grows as well (its own turn 60 / turn 1 row).",
    "- Two instances on 2 cores: one Rasa instance already keeps a core busy at 20 clients, and the action "
    "servers, PostgreSQL, Redis and the load client share the same two cores, so 1.6× is out of reach here.",
]

TARGETS = [  # (text, value of this bot, limit, at most?)
    ("p50 (1 client) ≤ 1.5 × floor", lambda f, o: ratio(get(f, "c1.p50_ms"), get(o, "c1.p50_ms")), 1.5, True),
    ("throughput, one instance ≥ 0.7 × floor",
     lambda f, o: ratio(get(f, "c20.turns_per_s"), get(o, "c20.turns_per_s")), 0.7, False),
    ("two instances ≥ 1.6 × one", lambda f, o: get(o, "scaling"), 1.6, False),
    ("turn 60 ≤ 1.5 × turn 1", lambda f, o: get(o, "growth"), 1.5, True),
]


def target_lines(floor: Dict, ours: Dict) -> List[str]:
    lines = []
    for text, value_of, limit, at_most in TARGETS:
        value = value_of(floor, ours)
        if value is None:
            lines.append(f"{text}: not measured")
            continue
        met = value <= limit if at_most else value >= limit
        lines.append(f"{text}: {value:.2f} – {'met' if met else 'NOT met'}")
    return lines


def ratio_lines(floor: Dict, ours: Dict) -> List[str]:
    out = []
    for key, label, unit, _lower in ROWS:
        r = ratio(get(floor, key), get(ours, key))
        if r is not None:
            out.append(f"{label}: {fmt(get(floor, key))} → {fmt(get(ours, key))} {unit}  ({r:.2f}×)")
    return out


def write_report(path: Path, floor: Dict, ours: Dict, meta: Dict, profile_md: str = "") -> None:
    lines = ["# make bench: this bot against the stock `rasa init` bot (the floor)", "",
             f"{meta.get('when', '')}, {meta.get('machine', '')}; one run, same machine, REST channel on 127.0.0.1.",
             f"Mode: {meta.get('mode', '')}. Model: `{meta.get('model', '')}`. "
             f"Plot: `{meta.get('plot', 'plot.png')}`. Raw figures: `results.json`.", "",
             "| | floor (stock) | this bot | ratio |", "|---|---:|---:|---:|"]
    for key, label, unit, _lower in ROWS:
        f, o = get(floor, key), get(ours, key)
        if f is None and o is None:
            continue
        r = ratio(f, o)
        lines.append(f"| {label} ({unit}) | {fmt(f)} | {fmt(o)} | {f'{r:.2f}×' if r is not None else '–'} |")
    lines += ["", "## Targets", ""] + [f"- {line}" for line in target_lines(floor, ours)]
    lines += ["", "## Where this bot's extra time goes (profile of 2026-12-01; rerun with --profile)", "", *FINDINGS]
    lines += ["", "## How it was measured", "", *meta.get("notes", [])]
    if profile_md:
        lines += ["", profile_md]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def plot(path: Path, floor: Dict, ours: Dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    keys = [("c1.p50_ms", "p50 c1"), ("c1.p95_ms", "p95 c1"), ("c1.p99_ms", "p99 c1"),
            ("c20.p50_ms", "p50 c20"), ("c20.p95_ms", "p95 c20")]
    x = range(len(keys))
    for offset, (name, data) in ((-0.2, ("floor", floor)), (0.2, ("this bot", ours))):
        axes[0].bar([i + offset for i in x], [get(data, k) or 0 for k, _ in keys], width=0.4, label=name)
    axes[0].set_xticks(list(x))
    axes[0].set_xticklabels([label for _, label in keys])
    axes[0].set_ylabel("ms (log scale)")
    axes[0].set_yscale("log")
    axes[0].set_title("Turn latency")
    axes[0].legend()
    tkeys = [("c20.turns_per_s", "1 inst."), ("scaled_one.turns_per_s", "1 inst. PG"),
             ("scaled_two.turns_per_s", "2 inst. PG")]
    x = range(len(tkeys))
    for offset, (name, data) in ((-0.2, ("floor", floor)), (0.2, ("this bot", ours))):
        axes[1].bar([i + offset for i in x], [get(data, k) or 0 for k, _ in tkeys], width=0.4, label=name)
    axes[1].set_xticks(list(x))
    axes[1].set_xticklabels([label for _, label in tkeys])
    axes[1].set_ylabel("turns/s (20 clients)")
    axes[1].set_title("Throughput")
    for name, data in (("floor", floor), ("this bot", ours)):
        curve = data.get("long", {}).get("curve_ms") or []
        axes[2].plot(range(1, len(curve) + 1), curve, label=name)
    axes[2].set_xlabel("turn in the conversation")
    axes[2].set_ylabel("median ms")
    axes[2].set_title("Latency as the conversation grows")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
