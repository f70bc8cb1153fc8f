"""Profile a turn: py-spy samples the Rasa and action-server processes under a steady load (flame graphs
under build/bench/), the wall-clock probe (probe.py) splits a turn into its steps."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

# The first rule that matches a frame, from the innermost frame outwards, names a sample's category;
# so logging inside NLU counts as logging, SQL inside the tracker store as SQL.
RULES: List[Tuple[str, Tuple[str, ...]]] = [
    ("logging", ("logging/__init__.py", "structlog", "coloredlogs")),
    ("SQL (sqlalchemy/sqlite/psycopg2)", ("sqlalchemy", "sqlite3", "psycopg2")),
    ("tracker replay (events -> tracker)", ("from_dict", "recreate_from_dialogue", "replay_events",
                                            "from_parameters")),
    ("tracker store (other)", ("tracker_store.py",)),
    ("JSON (de)serialisation", ("json/", "ujson", "jsonpickle")),
    ("spaCy (NLU featurizers)", ("spacy/", "thinc/")),
    ("TensorFlow (DIET/TED)", ("tensorflow/", "keras/")),
    ("NLU graph (other)", ("parse_message", "_parse_message_with_graph")),
    ("policies (other)", ("predict_next_with_tracker", "_predict_next_with_tracker", "policies/")),
    ("action server round trip (client side)", ("aiohttp", "actions/action.py")),
    ("answering (finsam)", ("finsam/",)),
    ("actions (project)", ("actions/answers.py", "actions/sketch_form.py", "actions/privacy.py", "rasa_sdk/")),
    ("channel (channels/, rasa channels)", ("channels/", "core/channels/")),
    ("HTTP server (sanic/uvloop)", ("sanic/", "uvloop", "asyncio/")),
]


def available() -> bool:
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) is not None or shutil.which("py-spy")


def py_spy() -> str:
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"


def start_recording(pid: int, out_dir: Path, name: str, seconds: int, rate: int = 100) -> List[subprocess.Popen]:
    """Two samplers on one process: a flame graph (SVG) and the raw collapsed stacks for the breakdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    common = ["record", "--pid", str(pid), "--duration", str(seconds), "--rate", str(rate), "--nonblocking"]
    log = open(out_dir / f"{name}.py-spy.log", "w")
    return [subprocess.Popen([py_spy(), *common, "--format", fmt, "-o", str(out_dir / f"{name}.{ext}")],
                             stdout=log, stderr=subprocess.STDOUT)
            for fmt, ext in (("flamegraph", "svg"), ("raw", "txt"))]


def categorise(raw: Path) -> Dict[str, float]:
    """Share of the process's samples (not idle) per category."""
    counts: Counter = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        frames = stack.split(";")
        category = "other"
        for frame in reversed(frames):
            match = next((name for name, needles in RULES if any(n in frame for n in needles)), None)
            if match:
                category = match
                break
        counts[category] += int(number)
        total += int(number)
    return {name: count / total for name, count in counts.most_common()} if total else {}


def top_functions(raw: Path, limit: int = 12) -> List[Tuple[str, float]]:
    """Self time: the innermost frame of each sample, as a share of all samples."""
    counts: Counter = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if number.isdigit():
            counts[stack.split(";")[-1]] += int(number)
            total += int(number)
    return [(frame, count / total) for frame, count in counts.most_common(limit)] if total else []


def probe_breakdown(path: Path, turns: int) -> Dict[str, Tuple[int, float]]:
    """step -> (calls, ms per turn) from a probe file."""
    if not path.exists() or turns <= 0:
        return {}
    data = json.loads(path.read_text())
    return {step: (value["count"], value["seconds"] * 1000 / turns) for step, value in data.items()}
