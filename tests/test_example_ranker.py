"""The example ranking beside DIET's: trained, persisted without pickle, loaded and used."""
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_addons.example_ranker import RANKING_KEY, ExampleRanker

EXAMPLES = {
    "ask_deadline": ["när är sista dag att söka", "vilket datum ska ansökan vara inne", "deadline för ansökan",
                     "hur lång tid har vi på oss att skicka in"],
    "ask_contact": ["hur når jag kansliet", "vilken mejladress har ni", "vem kan jag kontakta",
                    "finns det ett telefonnummer till er"],
    "ask_budget": ["hur mycket pengar har förbundet", "hur stor är budgeten", "vad har ni för ekonomi i år",
                   "hur många miljoner fördelas"],
}


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def _trained(storage: LocalModelStorage) -> ExampleRanker:
    resource = Resource("example_ranker")
    ranker = ExampleRanker.create(ExampleRanker.get_default_config(), storage, resource, _context())
    messages = [Message.build(text=text, intent=intent) for intent, texts in EXAMPLES.items() for text in texts]
    ranker.train(TrainingData(messages))
    return ranker


def test_it_ranks_the_intent_of_the_nearest_examples_also_without_å_ä_ö_and_with_typos(storage):
    ranker = _trained(storage)
    assert ranker.rank("nar ar sista dagen att soka")[0]["name"] == "ask_deadline"
    assert ranker.rank("hur stor budjet har forbundet")[0]["name"] == "ask_budget"
    ranking = ranker.rank("vem kan jag kontakta pa kansliet")
    assert ranking[0]["name"] == "ask_contact"
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


def test_it_adds_its_ranking_to_the_parse_data_and_leaves_diets_intent(storage):
    ranker = _trained(storage)
    message = Message.build(text="när ska ansökan vara inne")
    message.set("intent", {"name": "ask_contact", "confidence": 0.9}, add_to_output=True)
    ranker.process([message])
    assert message.get("intent")["name"] == "ask_contact"
    assert message.get(RANKING_KEY)[0]["name"] == "ask_deadline"
    assert RANKING_KEY in message.as_dict(only_output_properties=True)


def test_it_is_persisted_without_pickle_and_loads_to_the_same_ranking(storage):
    ranker = _trained(storage)
    loaded = ExampleRanker.load(ExampleRanker.get_default_config(), storage, Resource("example_ranker"), _context())
    for text in ("hur mycket pengar finns det", "mejladress till kansliet", "sista datum"):
        before, after = ranker.rank(text), loaded.rank(text)
        assert [r["name"] for r in after] == [r["name"] for r in before]
        assert [r["confidence"] for r in after] == pytest.approx([r["confidence"] for r in before])
    with storage.read_from(Resource("example_ranker")) as directory:
        assert sorted(p.name for p in directory.iterdir()) == ["ranker.json", "ranker.npz"]


def test_an_untrained_ranker_adds_nothing(storage):
    ranker = ExampleRanker.load(ExampleRanker.get_default_config(), storage, Resource("missing"), _context())
    message = Message.build(text="hej")
    ranker.process([message])
    assert message.get(RANKING_KEY) is None


def _pipeline_names():
    return [c["name"] for c in yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]]


def test_the_pipeline_runs_it():
    names = _pipeline_names()
    assert "rasa_addons.example_ranker.ExampleRanker" in names
    assert names.index("rasa_addons.example_ranker.ExampleRanker") > names.index("DIETClassifier")


def test_two_intents_are_both_ranked(storage):
    # A binary logistic regression has one row of coefficients: both classes still get their share.
    resource = Resource("binary")
    ranker = ExampleRanker.create(ExampleRanker.get_default_config(), storage, resource, _context())
    ranker.train(TrainingData([Message.build(text=text, intent=intent) for intent in ("ask_deadline", "ask_contact")
                               for text in EXAMPLES[intent]]))
    for text, intent in (("sista dag att söka", "ask_deadline"), ("vem kan jag kontakta", "ask_contact")):
        ranking = ranker.rank(text)
        assert [r["name"] for r in ranking][0] == intent and len(ranking) == 2
        assert 0.5 < ranking[0]["confidence"] < 1.0


@pytest.mark.parametrize("text", ["👍", "   ", "?!", "ЖЖЖЖ"])
def test_a_text_without_any_known_n_gram_gets_no_ranking(text, storage):
    # The logits would be the intercepts alone: the class prior, not an opinion about the text.
    ranker = _trained(storage)
    assert ranker.rank(text) == []
    message = Message.build(text=text)
    ranker.process([message])
    assert message.get(RANKING_KEY) is None


def test_the_ranking_in_the_parse_data_holds_intent_names_and_confidences_only(storage):
    # It is stored in the tracker's events: no words of the user's text.
    ranker = _trained(storage)
    message = Message.build(text="kan Anna Svensson på anna@example.se söka för deadline")
    ranker.process([message])
    ranking = message.as_dict(only_output_properties=True)[RANKING_KEY]
    assert ranking and all(set(r) == {"name", "confidence"} and r["name"] in EXAMPLES for r in ranking)


def test_the_training_cache_sees_the_vectorizer_settings(monkeypatch):
    # Rasa fingerprints the class's source and config only; the n-gram settings and fold() live outside it.
    from rasa_addons import example_ranker

    before = ExampleRanker.fingerprint_addon(ExampleRanker.get_default_config())
    monkeypatch.setitem(example_ranker._VECTORIZERS, "chars", {**example_ranker._VECTORIZERS["chars"],
                                                                "ngram_range": (2, 4)})
    assert ExampleRanker.fingerprint_addon(ExampleRanker.get_default_config()) != before


def test_the_model_cache_key_covers_the_code_of_every_custom_component():
    # A cached model trained by older component code would be served as current (make train skips it).
    sys.path.insert(0, str(ROOT / "scripts"))
    import rasa_model

    custom = [name for name in _pipeline_names() if "." in name]
    assert custom
    for name in custom:
        module_file = name.rsplit(".", 1)[0].replace(".", "/") + ".py"
        assert module_file in rasa_model.TRAINING_INPUTS, module_file
