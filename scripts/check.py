"""`make check`: are the files people edit by hand usable? Says what is wrong, in Swedish,
with file and line – for whoever edits knowledge/*.yml, the domain or the NLU data.

Checks: every knowledge/*.yml parses; the knowledge base loads (fields, references);
every quoted source passage stands in its document; knowledge/privacy.yml is complete
(unconfirmed placeholders are listed, not failed); the member parties in
knowledge/parties.yml that the kansli has not confirmed are listed; the domain, rules, stories and NLU
files parse; and `rasa data validate` passes. Exit code 1 when something is wrong.

    .venv/bin/python scripts/check.py [--skip-rasa]
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from finsam import prereview, privacy  # noqa: E402
from finsam.knowledge import DEFAULT_KNOWLEDGE_DIR, KnowledgeError, load_knowledge, normalise_space  # noqa: E402

RASA_FILES = ["bot/domain.yml", "bot/rules.yml", "bot/stories.yml"]


def shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def yaml_problems(path: Path) -> List[str]:
    """A parse error as "fil, rad N, kolumn M: …" (PyYAML's own detail in parentheses)."""
    try:
        with open(path, encoding="utf-8") as handle:
            yaml.safe_load(handle)
    except UnicodeDecodeError:
        return [f"{shown(path)}: filen är inte sparad som UTF-8."]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", rad {mark.line + 1}, kolumn {mark.column + 1}" if mark else ""
        detail = " ".join(str(part) for part in (error.context, error.problem) if part)
        return [f"{shown(path)}{where}: YAML-filen går inte att läsa – kontrollera citattecken, "
                f"kolon, indrag och hakparenteser ({detail})."]
    except yaml.YAMLError as error:
        return [f"{shown(path)}: YAML-filen går inte att läsa ({error})."]
    return []


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    return 0


def knowledge_problems(directory: Path) -> List[str]:
    problems: List[str] = []
    for path in sorted(directory.glob("*.yml")):
        problems += yaml_problems(path)
    if problems:
        return problems
    try:
        knowledge = load_knowledge(directory)
    except FileNotFoundError as error:
        return [f"{shown(Path(error.filename or directory))}: filen saknas."]
    except KnowledgeError as error:
        message = str(error)
        match = re.match(r"(\w+\.yml)/([^:]+):", message)
        if match:
            path = directory / match.group(1)
            line = line_of(path, f"id: {match.group(2)}")
            return [f"{shown(path)}{f', rad {line}' if line else ''}: {message.split(': ', 1)[1]}"]
        return [f"{shown(directory)}: {message}"]
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        return [f"{shown(directory)}: en fil har fel form – ett fält saknas eller har fel typ ({error!r})."]
    faq = directory / "faq.yml"
    for topic in knowledge.topics:
        for ref in topic.sources:
            if not ref.quote:
                continue
            document = knowledge.documents[ref.document]
            if not document.path.exists():
                problems.append(f"{shown(document.path)}: källdokumentet saknas (sources.yml, {ref.document}).")
                continue
            if normalise_space(ref.quote) not in normalise_space(document.text()):
                line = line_of(faq, f"id: {topic.id}")
                problems.append(f"{shown(faq)}{f', rad {line}' if line else ''}: citatet i ämnet {topic.id!r} "
                                f"står inte ordagrant i {document.title}.")
    return problems


def privacy_problems(directory: Path) -> tuple[List[str], List[str]]:
    path = directory / privacy.PRIVACY_FILE
    if not path.exists():
        return [f"{shown(path)}: filen saknas."], []
    problems = yaml_problems(path)
    if problems:
        return problems, []
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    errors = [f"{shown(path)}: {problem}" for problem in privacy.validate(spec)]
    notes = [f"{shown(path)}, rad {line_of(path, key + ':')}: {key} är en platshållare som förbundet ska fylla i "
             f"och bekräfta (boten hänvisar till kansliet tills dess)." for key in privacy.placeholders(spec)]
    return errors, notes


def party_notes(directory: Path) -> List[str]:
    """The member parties in knowledge/parties.yml that the kansli has not confirmed yet."""
    path = directory / "parties.yml"
    if not path.exists() or yaml_problems(path):
        return []
    notes = []
    for party in prereview.parties_to_confirm(yaml.safe_load(path.read_text(encoding="utf-8")) or {}):
        basis = ("källdokumenten nämner den" if party.get("in_sources") is True else
                 "källdokumenten nämner den inte som medlem"
                 + (f" (de säger bara \"{party['seed_says']}\")" if party.get("seed_says") else ""))
        notes.append(f"{shown(path)}, rad {line_of(path, 'id: ' + str(party.get('id')))}: {party.get('name')} "
                     f"är inte bekräftad som medlem – {basis}. Kansliet ska kontrollera den mot "
                     f"förbundsordningen och sätta confirmed: true.")
    return notes


def rasa_problems() -> List[str]:
    problems: List[str] = []
    for name in RASA_FILES + [shown(p) for p in sorted((ROOT / "nlu_data").glob("*.yml"))]:
        problems += yaml_problems(ROOT / name)
    if problems:
        return problems
    env = dict(os.environ, SQLALCHEMY_SILENCE_UBER_WARNING="1", TF_CPP_MIN_LOG_LEVEL="3",
               RASA_TELEMETRY_ENABLED="false")
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain", "bot/domain.yml", "--data", "nlu_data",
         *RASA_FILES[1:]], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()
        relevant = [line for line in output if re.search(r"error|Error|conflict|Invalid|invalid|\.yml", line)]
        problems.append("rasa data validate hittade fel i domänen eller NLU-datan:\n    "
                        + "\n    ".join((relevant or output)[-20:]))
    return problems


def main(argv: List[str]) -> int:
    directory = Path(os.environ.get("KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR)
    failed = False

    problems = knowledge_problems(directory)
    errors, notes = privacy_problems(directory)
    notes += party_notes(directory)
    problems += errors
    if problems:
        failed = True
        print("Kunskapsbasen: FEL")
        for problem in problems:
            print(f"  - {problem}")
    else:
        print("Kunskapsbasen: OK")
    for note in notes:
        print(f"  Obs: {note}")

    if "--skip-rasa" not in argv:
        problems = rasa_problems()
        if problems:
            failed = True
            print("Domän och NLU-data: FEL")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print("Domän och NLU-data: OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
