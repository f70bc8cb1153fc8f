"""`make eval-seeds`: the same evaluation over models that differ only in DIET's random seed."""
import copy
import importlib.util
from types import SimpleNamespace

import pytest
import yaml
from conftest import ROOT

from finsam.questions import NOT_IN_DOCUMENTS, Question

spec = importlib.util.spec_from_file_location("eval_seeds", ROOT / "scripts" / "eval_seeds.py")
eval_seeds = importlib.util.module_from_spec(spec)
spec.loader.exec_module(eval_seeds)


def test_only_diets_seed_changes_in_the_config():
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    before = copy.deepcopy(config)
    seed = 1 + max(c.get("random_seed", 0) for c in config["pipeline"] if c["name"] == "DIETClassifier")
    seeded = eval_seeds.seeded_config(config, seed)
    assert [c["random_seed"] for c in seeded["pipeline"] if c["name"] == "DIETClassifier"] == [seed]
    others = [c for c in seeded["pipeline"] if c["name"] != "DIETClassifier"]
    assert others == [c for c in config["pipeline"] if c["name"] != "DIETClassifier"]
    assert seeded["policies"] == config["policies"]
    assert config == before  # config.yml's own data is not changed in place


def test_a_config_without_diet_is_refused():
    with pytest.raises(ValueError):
        eval_seeds.seeded_config({"pipeline": [{"name": "WhitespaceTokenizer"}]}, 1)


def test_the_summary_counts_categories_and_answered_unanswerable_questions():
    answerable = Question(text="när är sista dag", expect="ask_deadline")
    unanswerable = Question(text="vem är ordförande", expect=NOT_IN_DOCUMENTS)
    results = [(answerable, SimpleNamespace(kind="topic"), "correct"),
               (answerable, SimpleNamespace(kind="clarify"), "clarified"),
               (unanswerable, SimpleNamespace(kind="passage"), "different topic"),
               (unanswerable, SimpleNamespace(kind="honest"), "correct")]
    figures = eval_seeds.summarise(results)
    assert figures["correct"] == 50.0 and figures["clarified"] == 25.0 and figures["different topic"] == 25.0
    assert figures["honest"] == 0.0 and figures["unanswerable answered"] == 1
    assert eval_seeds.mean([figures, dict(figures, correct=100.0)])["correct"] == 75.0
