"""Passage search over the seeds: verbatim passages under their headings, BM25 through our spaCy lemmas."""
import pytest

from finsam.passages import content_words, fold, get_index, split_passages


def _flat(text):
    return " ".join(text.split())


@pytest.fixture(scope="module")
def index():
    from finsam.knowledge import load_knowledge

    return get_index(load_knowledge())


def test_fold_types_like_people_do():
    assert fold("Ansökan Förbundet Målgrupper") == "ansokan forbundet malgrupper"


def test_headings_open_sections_and_bullets_become_sentences():
    text = ("Titel\n\nMålgrupper \n\n• Unga vuxna som står utanför \n\n• Långtidssjukskrivna \n"
            " Prioriteringar 2020 \nVi prioriterar detta: \n")
    passages = split_passages("doc", text, ["Titel", "Målgrupper", "Prioriteringar 2020"])
    by_text = {p.text: p.section for p in passages if p.kind == "sentence"}
    assert by_text["Unga vuxna som står utanför"] == "Målgrupper"
    assert by_text["Långtidssjukskrivna"] == "Målgrupper"
    assert by_text["Vi prioriterar detta:"] == "Prioriteringar 2020"
    assert not any(p.text in ("Titel", "Målgrupper") for p in passages)


def test_every_passage_stands_verbatim_in_its_document(index, knowledge):
    for passage in index.passages:
        assert _flat(passage.text) in _flat(knowledge.documents[passage.document].text()), passage
        assert passage.section in knowledge.documents[passage.document].sections


@pytest.mark.parametrize("question,expected", [
    ("vem skriver rekommendationen till styrelsen", "via ett underlag som förbundschefen författar"),
    ("ska man borja i liten skala", "En god regel kan vara att börja i liten skala"),
    ("vilka ar individmalen for deltagarna", "av deltagarna"),
    ("vad betyder nollklassade", "nollklassade"),
])
def test_search_finds_the_passage_that_answers(index, question, expected):
    hit = index.best(question)
    assert hit is not None and expected in hit.passage.text, (question, hit)
    assert hit.coverage > 0.5


def test_a_word_the_documents_never_use_lowers_the_coverage(index):
    with_unknown = index.best("finns det parkering vid wamo center")
    assert not index.knows(content_words("parkering")[0])
    assert with_unknown.coverage < index.best("wamo center").coverage
