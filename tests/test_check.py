"""One typo in knowledge/*.yml must not take the bot down (issue 10, item 10): the last good
knowledge base keeps serving, the error is logged, and `make check` says what is wrong."""
import logging
import os
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT


def touch_later(path):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize("breakage", [
    "topics:\n  - id: x\n    answer: \"ett citat som aldrig slutar\n",  # YAML syntax error
    "topics:\n  - id: utan-svar\n    intent: ask_x\n",  # a topic without its fields
    None,  # the file is gone (mid-save by an editor)
])
def test_a_broken_knowledge_file_keeps_the_last_good_knowledge(knowledge_copy, caplog, breakage):
    from finsam.knowledge import get_knowledge

    good = get_knowledge()
    faq = knowledge_copy / "faq.yml"
    original = faq.read_text(encoding="utf-8")
    if breakage is None:
        faq.unlink()
    else:
        faq.write_text(breakage, encoding="utf-8")
        touch_later(faq)
    with caplog.at_level(logging.ERROR, logger="finsam.knowledge"):
        assert get_knowledge() is good
        assert get_knowledge() is good
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "faq.yml" in errors[0].getMessage()  # loud, but once per broken version

    faq.write_text(original.replace("Samordningsförbundet", "Samordningsförbundet", 1), encoding="utf-8")
    touch_later(faq)
    fixed = get_knowledge()
    assert fixed is not good and [t.id for t in fixed.topics] == [t.id for t in good.topics]


def test_with_no_good_version_yet_the_error_is_raised(knowledge_copy):
    from finsam.knowledge import get_knowledge

    (knowledge_copy / "messages.yml").write_text("kansli: [\n", encoding="utf-8")
    with pytest.raises(yaml.YAMLError):
        get_knowledge()


def check(directory=None, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if directory:
        env["KNOWLEDGE_DIR"] = str(directory)
    return subprocess.run([sys.executable, "scripts/check.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def test_check_passes_on_the_project_and_names_file_and_line_of_a_typo(knowledge_copy):
    result = check(knowledge_copy, "--skip-rasa")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Kunskapsbasen: OK" in result.stdout

    faq = knowledge_copy / "faq.yml"
    lines = faq.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("answer:"))
    lines[first] = "    answer: [oavslutad lista"  # a typo that breaks the YAML
    faq.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = check(knowledge_copy, "--skip-rasa")
    assert result.returncode == 1
    assert "faq.yml" in result.stdout and "rad " in result.stdout, result.stdout


def test_check_names_a_missing_field_in_swedish(knowledge_copy):
    faq = knowledge_copy / "faq.yml"
    text = faq.read_text(encoding="utf-8")
    faq.write_text(text.replace("    answer:", "    svar:", 1), encoding="utf-8")
    result = check(knowledge_copy, "--skip-rasa")
    assert result.returncode == 1
    assert "faq.yml" in result.stdout and "saknas" in result.stdout, result.stdout


def test_check_reports_unconfirmed_privacy_placeholders_without_failing(knowledge_copy):
    result = check(knowledge_copy, "--skip-rasa")
    assert "privacy.yml" in result.stdout and "platshållare" in result.stdout.lower()


def test_check_runs_rasas_own_validation_of_domain_and_nlu(tmp_path):
    result = check(None)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Domän och NLU-data: OK" in result.stdout


def test_check_lists_the_member_parties_the_kansli_has_not_confirmed(knowledge_copy):
    result = check(knowledge_copy, "--skip-rasa")
    assert result.returncode == 0, result.stdout + result.stderr
    listed = [line for line in result.stdout.splitlines() if "parties.yml" in line and "inte bekräftad" in line]
    assert len(listed) == 8  # FK, AF, Region Blekinge and the five municipalities
    assert any("Försäkringskassan" in line and "nämner den inte som medlem" in line for line in listed)
    path = knowledge_copy / "parties.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("id: forsakringskassan")
    path.write_text(text[:start] + text[start:].replace("confirmed: false", "confirmed: true", 1), encoding="utf-8")
    result = check(knowledge_copy, "--skip-rasa")
    listed = [line for line in result.stdout.splitlines() if "parties.yml" in line and "inte bekräftad" in line]
    assert len(listed) == 7 and not any("Försäkringskassan" in line for line in listed)
