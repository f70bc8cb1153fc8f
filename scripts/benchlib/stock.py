"""The floor: a stock `rasa init` bot under build/bench/stock, trained once and cached on its files."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Tuple

ROOT = Path(__file__).resolve().parents[2]
STOCK = ROOT / "build" / "bench" / "stock"
CACHE = STOCK / ".bench-cache.json"
TRAINING_FILES = ("config.yml", "domain.yml", "data")


def rasa_version() -> str:
    from importlib.metadata import version
    return version("rasa")


def fingerprint(directory: Path = STOCK) -> str:
    digest = hashlib.sha256(rasa_version().encode())
    for name in TRAINING_FILES:
        path = directory / name
        for file in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
            digest.update(str(file.relative_to(directory)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _run(args, log: Path, cwd: Path) -> float:
    started = time.monotonic()
    with open(log, "w") as out:
        result = subprocess.run(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode:
        sys.exit(f"{' '.join(map(str, args[:4]))} … failed (exit {result.returncode}); see {log}")
    return time.monotonic() - started


def stock_bot(log_dir: Path) -> Tuple[Path, float]:
    """(trained model of the stock bot, its training time in seconds); trains only when its files changed."""
    log_dir.mkdir(parents=True, exist_ok=True)
    if not (STOCK / "config.yml").exists():
        print(f"== Creating the stock bot: rasa init --no-prompt --init-dir {STOCK.relative_to(ROOT)} "
              "(it trains once, about a minute or two) …", flush=True)
        STOCK.mkdir(parents=True, exist_ok=True)
        seconds = _run([sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(STOCK)],
                       log_dir / "stock-init.log", ROOT)
        models = sorted((STOCK / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
        if not models:
            sys.exit(f"rasa init trained no model; see {log_dir / 'stock-init.log'}")
        CACHE.write_text(json.dumps({"key": fingerprint(), "model": models[-1].name, "train_seconds": seconds}))
    cached = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    key = fingerprint()
    model = STOCK / "models" / str(cached.get("model", ""))
    if cached.get("key") == key and model.is_file():
        print(f"== Stock bot: cached model {model.relative_to(ROOT)} (trained in {cached['train_seconds']:.0f} s)",
              flush=True)
        return model, float(cached["train_seconds"])
    print("== Stock bot: its files changed, training it again …", flush=True)
    name = f"stock-{key}"
    seconds = _run([sys.executable, "-m", "rasa", "train", "--out", "models", "--fixed-model-name", name],
                   log_dir / "stock-train.log", STOCK)
    CACHE.write_text(json.dumps({"key": key, "model": f"{name}.tar.gz", "train_seconds": seconds}))
    return STOCK / "models" / f"{name}.tar.gz", seconds


if __name__ == "__main__":
    print(stock_bot(ROOT / "build" / "bench" / "logs"))
