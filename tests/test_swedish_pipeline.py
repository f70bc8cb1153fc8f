"""The project's own Swedish spaCy pipeline, as shipped in models/ and as trained."""
import json

import pytest
import spacy
from conftest import ROOT, SHARED_DATA

MODEL = ROOT / "models" / "sv_finsam_core_sm"


@pytest.fixture(scope="module")
def nlp():
    return spacy.load(MODEL)


def test_pipeline_components_and_licence(nlp):
    assert nlp.lang == "sv"
    assert nlp.pipe_names == ["tok2vec", "tagger", "morphologizer", "trainable_lemmatizer", "lemma_lookup_backoff",
                              "parser", "ner"]
    licence = (MODEL / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in licence and "CC BY 4.0" in licence
    meta = json.loads((MODEL / "meta.json").read_text(encoding="utf-8"))
    assert {"pos_acc", "lemma_acc", "dep_uas", "ents_f"} <= set(meta["performance"])
    size_mb = sum(f.stat().st_size for f in MODEL.rglob("*") if f.is_file()) / 1e6
    assert size_mb < 16, size_mb


def test_it_analyses_swedish_from_the_domain(nlp):
    doc = nlp("Försäkringskassan och Arbetsförmedlingen söker pengar för unga vuxna.")
    by_text = {t.text: t for t in doc}
    assert by_text["söker"].pos_ == "VERB" and by_text["söker"].lemma_ == "söka"
    assert by_text["söker"].dep_ == "ROOT"
    assert by_text["unga"].lemma_ == "ung"
    assert {e.text for e in doc.ents} == {"Försäkringskassan", "Arbetsförmedlingen"}
    lemmas = [t.lemma_ for t in nlp("Vi har skickat ansökningarna till kansliet.")]
    assert lemmas[2:] == ["skicka", "ansökning", "till", "kansli", "."]
    people = [(e.text, e.label_) for e in nlp("Anna Svensson arbetar på Region Blekinge.").ents]
    assert ("Anna Svensson", "PER") in people


def test_lookup_backoff_lemmatises_words_outside_the_treebanks(nlp):
    backoff = nlp.get_pipe("lemma_lookup_backoff")
    assert len(backoff.table) > 10_000
    entries = sorted(backoff.table.items())
    form, lemma = next((f, lem) for f, lem in entries if f.isalpha() and f.islower() and len(f) > 6)
    assert nlp(f"Det gäller {form} .")[2].lemma_ == lemma


needs_data = pytest.mark.skipif(not SHARED_DATA.exists(),
                                reason="../shared/data saknas (bara i utvecklar- och CI-miljön); hoppar över")


@needs_data
def test_ner_corpus_reader_turns_io_tags_into_entities(tmp_path):
    from swedish_pipeline.train import read_ner_corpus

    sample = tmp_path / "sample.txt"
    sample.write_text("Gunhild\tPER\nWestman\tPER\n,\t0\nbor\t0\ni\t0\nLund    LOC\nbn\n.\t0\n\n", encoding="utf-8")
    [doc] = read_ner_corpus(sample, spacy.blank("sv").vocab)
    assert [(e.text, e.label_) for e in doc.ents] == [("Gunhild Westman", "PER"), ("Lund", "LOC")]
    assert doc.text == "Gunhild Westman, bor i Lund."


@needs_data
def test_talbanken_test_is_kept_out_of_training(tmp_path):
    from spacy.tokens import DocBin

    from swedish_pipeline.train import stage_convert

    stage_convert(SHARED_DATA, tmp_path)
    vocab = spacy.blank("sv").vocab

    def texts(name):
        return {d.text for d in DocBin().from_disk(tmp_path / name).get_docs(vocab)}

    test_texts = texts("talbanken-test.spacy")
    assert len(test_texts) > 1000
    assert not texts("ud-all.spacy") & test_texts
