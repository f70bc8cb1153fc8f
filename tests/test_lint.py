"""The code passes the project's lint rules (pyproject.toml [tool.ruff])."""
import subprocess
import sys

from conftest import ROOT


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "finsam", "actions", "channels", "scripts",
                             "swedish_pipeline", "tests"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
