"""The code passes the project's lint rules (pyproject.toml [tool.ruff])."""
import subprocess
import sys

from conftest import ROOT


def test_ruff_finds_nothing():
    # The same command as `make lint`: the whole tree, with ruff's default excludes (.venv, node_modules).
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
