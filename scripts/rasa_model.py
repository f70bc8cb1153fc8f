"""The trained Rasa model, cached by a fingerprint of everything training reads.

    python scripts/rasa_model.py path     # print the model path for the current data
    python scripts/rasa_model.py train    # train only if that model does not exist yet

Knowledge YAML is not part of the fingerprint: answers are read at run time, so
editing a fact never needs a new model.
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "models" / "rasa"
# The example ranker is trained code of our own: its n-grams and fold() (finsam/passages.py) shape the model.
TRAINING_INPUTS = ["config.yml", "bot/domain.yml", "bot/rules.yml", "bot/stories.yml", "nlu_data",
                   "models/sv_finsam_core_sm", "rasa_addons/example_ranker.py", "finsam/passages.py"]
# Only the libraries that shape the trained model count, not every pinned package.
MODEL_LIBRARIES = re.compile(r"^(rasa|rasa-sdk|spacy|thinc|tensorflow|numpy|scikit-learn|scipy)==", re.I | re.M)


def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    digest.update("".join(m.group(0) + requirements[m.end():].split("\n", 1)[0] + "\n"
                          for m in MODEL_LIBRARIES.finditer(requirements)).encode())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODEL_DIR / f"finsam-{fingerprint()}.tar.gz"


def latest_model() -> Path:
    """The model for the current data, or else the newest one trained (for development)."""
    current = model_path()
    if current.exists():
        return current
    models = sorted(MODEL_DIR.glob("finsam-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else current


def train() -> Path:
    target = model_path()
    if target.exists():
        print(f"Modellen är aktuell: {target.relative_to(ROOT)} (ingen träning behövs)", flush=True)
        return target
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    print(f"Tränar Rasa-modellen (träningsdata har ändrats) -> {target.relative_to(ROOT)}", flush=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--config", "config.yml", "--domain", "bot/domain.yml",
         "--data", "nlu_data", "bot/rules.yml", "bot/stories.yml", "--out", str(MODEL_DIR),
         # `rasa data validate` runs in `make check` and `make test`; inside training it cost 15 s.
         "--skip-validation", "--fixed-model-name", target.name[: -len(".tar.gz")]],
        cwd=ROOT, check=True,
    )
    seconds = time.monotonic() - started
    print(f"Träningen tog {seconds:.0f} s", flush=True)
    _timing_file(target).write_text(json.dumps({"train_seconds": round(seconds, 1)}), encoding="utf-8")
    # Keep the three newest models; older ones are of no further use.
    for old in sorted(MODEL_DIR.glob("finsam-*.tar.gz"), key=lambda p: p.stat().st_mtime)[:-3]:
        old.unlink()
        _timing_file(old).unlink(missing_ok=True)
    return target


def _timing_file(model: Path) -> Path:
    return model.with_name(model.name[: -len(".tar.gz")] + ".train.json")


def recorded_train_seconds(model: Path) -> Optional[float]:
    """How long `make train` took for this model (for `make bench`), or None when not recorded."""
    try:
        return float(json.loads(_timing_file(model).read_text(encoding="utf-8"))["train_seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "path"
    if command == "path":
        print(model_path())
    elif command == "train":
        train()
    else:
        sys.exit("användning: rasa_model.py [path|train]")
