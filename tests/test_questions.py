"""The question set written from the seeds: coverage, verbatim sources, a clean held-out split."""
import re

import pytest
import yaml
from conftest import ROOT

from finsam.passages import fold
from finsam.questions import BLIND_FILES, NOT_IN_DOCUMENTS, heldout_questions, load_questions

HELDOUT_NLU = ROOT / "tests" / "nlu_heldout.yml"


def _flat(text: str) -> str:
    return " ".join(text.replace("”", '"').replace("“", '"').split())


def test_at_least_150_answerable_and_30_unanswerable_questions():
    questions = load_questions()
    assert len([q for q in questions if q.expect != NOT_IN_DOCUMENTS]) >= 150
    assert len([q for q in questions if q.expect == NOT_IN_DOCUMENTS]) >= 30
    texts = [q.text for q in questions]
    assert len(texts) == len(set(texts)), "a question stands twice"


def test_every_section_of_both_seeds_has_three_questions(knowledge):
    data = yaml.safe_load((ROOT / "tests" / "data" / "questions.yml").read_text(encoding="utf-8"))
    counted = {(block["document"], block["section"]): len(block["questions"]) for block in data["sections"]}
    for document in knowledge.documents.values():
        assert document.sections, document.id
        for section in document.sections:
            assert counted.get((document.id, section), 0) >= 3, (document.id, section)


@pytest.mark.parametrize("path", [None, *BLIND_FILES], ids=["questions"] + [path.stem for path in BLIND_FILES])
def test_every_source_sentence_stands_in_its_seed(path, knowledge):
    for question in load_questions(path):
        if question.expect == NOT_IN_DOCUMENTS:
            continue
        assert question.expect in knowledge.intents, question
        document = _flat(knowledge.documents[question.document].text())
        assert _flat(question.source) in document, (question.text, question.source)


def test_the_split_is_a_third_and_nothing_held_out_is_trained_on():
    questions = load_questions()
    held = heldout_questions(questions)
    assert 0.25 <= len(held) / len(questions) <= 0.42
    assert any(q.expect == NOT_IN_DOCUMENTS for q in held)
    blind = []
    for path in BLIND_FILES:
        written = load_questions(path)
        assert len(written) >= 80 and not {q.text for q in written} & {q.text for q in questions + blind}, path
        blind += written

    def norm(text):
        # The model folds å/ä/ö (strip_accents, fold()): "var hittar jag ansokningsblanketten" is trained
        # if "var hittar jag ansökningsblanketten" is.
        return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())

    trained = set()
    for path in (ROOT / "nlu_data").glob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    trained.add(norm(line.strip()[2:]))
    # tests/nlu_heldout.yml is the other never-trained set (the NLU accuracy floor, `--heldout-nlu`).
    heldout_nlu = [line.strip()[2:] for block in yaml.safe_load(HELDOUT_NLU.read_text(encoding="utf-8"))["nlu"]
                   for line in str(block.get("examples", "")).splitlines() if line.strip().startswith("- ")]
    leaked = [text for text in [q.text for q in held + blind] + heldout_nlu if norm(text) in trained]
    assert not leaked, leaked
