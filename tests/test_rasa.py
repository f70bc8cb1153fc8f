"""Rasa's own checks on the trained model: data validation, test stories, held-out NLU."""
import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT, trained_model

# Responses and intents used only inside actions and the form, never in a rule or story.
USED_OUTSIDE_STORIES = re.compile(r"utter_(ask|help)_\w+|utter_(question_skipped|answer_shortened|personnummer_removed|"
                                  r"invalid_email|summary_buttons|no_sketch|ask_confirm_cancel|sketch_cancelled|"
                                  r"continue_sketch|editing|privacy_notice|ask_rephrase|ask_confirm_erase|"
                                  r"conversation_erased|nothing_erased|submitted_draft_kept|"
                                  # Said by the form's validation while the idea maker steers it (issue 9).
                                  r"answer_too_long|email_required|form_you_are_welcome|form_ack|sketch_saved|"
                                  r"going_back|first_question|welcome_back|cancel_not_confirmed|sketch_restarted|"
                                  # An answer with steering words, an idea described before the sketch.
                                  r"taken_as_answer|offer_earlier_idea)")
INTENTS_ONLY_IN_FORM = {"inform_sketch", "skip_question"}
# DIET alone; README says "golv 88 %". Measured 0.914 before and 0.896 after the 318 sentence examples
# (Dec 2026), which raised the answers (two rankings) on the held-out third from 80 % to 90 %; 0.888
# with 64 transformer units instead of 128 (two questions of 268, 70 s less training, the answers as good).
HELDOUT_ACCURACY_FLOOR = 0.88


def rasa(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "rasa", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def model():
    return trained_model()


def test_rasa_data_validate():
    result = rasa("data", "validate", "--domain", "bot/domain.yml", "--data", "nlu_data", "bot/rules.yml",
                  "bot/stories.yml", "--config", "config.yml")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "No story structure conflicts found" in output
    for warning in re.findall(r"UserWarning: (.*)", output):
        utterance = re.match(r"The utterance '(\w+)' is not used in any story or rule", warning)
        intent = re.match(r"The intent '(\w+)' is not used in any story or rule", warning)
        if utterance:
            assert USED_OUTSIDE_STORIES.fullmatch(utterance.group(1)), warning
            continue
        if intent:
            assert intent.group(1) in INTENTS_ONLY_IN_FORM, warning
            continue
        pytest.fail(f"unexpected validation warning: {warning}")


def test_conversation_stories_predict_every_action(model, tmp_path):
    result = rasa("test", "core", "--model", str(model), "--stories", "tests/test_stories.yml",
                  "--endpoints", "bot/endpoints.test.yml", "--fail-on-prediction-errors", "--out", str(tmp_path))
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, (details or result.stdout[-4000:]) + result.stderr[-2000:]


def test_the_readme_states_the_same_nlu_floor():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"golv {round(HELDOUT_ACCURACY_FLOOR * 100)} % träffsäkerhet" in readme


def test_heldout_nlu_accuracy(model, tmp_path):
    result = rasa("test", "nlu", "--model", str(model), "--nlu", "tests/nlu_heldout.yml", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "intent_report.json").read_text())
    accuracy = report["accuracy"]
    print(f"held-out intent accuracy {accuracy:.3f}, macro F1 {report['macro avg']['f1-score']:.3f}")
    assert accuracy >= HELDOUT_ACCURACY_FLOOR
