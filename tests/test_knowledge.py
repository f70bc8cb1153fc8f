"""The knowledge base: complete, traceable to the förbund's documents, editable live."""
import re
import time

import yaml
from conftest import ROOT

from finsam.knowledge import get_knowledge, load_knowledge, normalise_space


def _flat(text: str) -> str:
    # Quotes are compared with folded white space and typographic quotes unified.
    return " ".join(text.replace("”", '"').replace("“", '"').split())


def test_every_topic_renders_with_a_source_line(knowledge):
    assert len(knowledge.topics) >= 20
    for topic in knowledge.topics:
        rendered = knowledge.render_answer(topic)
        assert rendered.startswith(normalise_space(topic.answer)[:40])
        assert "\n\nKälla: " in rendered
        assert knowledge.documents[topic.sources[0].document].title in rendered
        if topic.period:
            assert f"Uppgiften gäller {topic.period}." in rendered


def test_every_source_reference_exists_in_its_document(knowledge):
    for topic in knowledge.topics:
        for ref in topic.sources:
            document = _flat(knowledge.documents[ref.document].text())
            assert _flat(ref.section) in document, f"{topic.id}: avsnittet {ref.section!r} saknas"
            assert ref.quote, f"{topic.id}: varje källa ska ha ett citat"
            assert _flat(ref.quote) in document, f"{topic.id}: citatet finns inte i {ref.document}: {ref.quote!r}"


def test_prereview_and_sketch_sources_exist(knowledge):
    for check in knowledge.prereview["checks"]:
        document = _flat(knowledge.documents[check["source"]["document"]].text())
        assert _flat(check["source"]["section"]) in document
        assert _flat(check["source"]["quote"]) in document, check["id"]
    sketch_source = _flat(knowledge.documents[knowledge.idea_sketch["source"]["document"]].text())
    for question in knowledge.idea_sketch["questions"]:
        # The draft uses the document's own wording for the eight headings.
        assert _flat(question["heading"]) in sketch_source, question["heading"]


def test_key_facts_of_the_documents_are_covered(knowledge):
    text = " ".join(normalise_space(t.answer) for t in knowledge.topics)
    for fact in ["minst två", "huvudman", "16 och 64", "2003:1210", "50 %", "25 %", "14 miljoner",
                 "7 miljoner", "90 %", "75 %", "60 %", "2 oktober 2020", "2 november 2020", "Utvecklingsrådet",
                 "förbundschefen", "styrelseprotokollet", "nollklassade", "20 april 2017", "Wämö Center",
                 "peter.ratcovich@regionblekinge.se", "plan för utvärdering"]:
        assert fact in text, fact


def test_numbers_in_answers_come_from_the_documents(knowledge):
    # Guards against invented figures: every number the bot states stands in a source.
    sources = " ".join(d.text() for d in knowledge.documents.values())
    source_numbers = set(re.findall(r"\d+", sources)) | set(re.findall(r"\d+", sources.replace(" ", "")))
    for topic in knowledge.topics:
        for number in re.findall(r"\d+", topic.answer):
            assert number in source_numbers or number in {"1", "2", "3", "4", "5", "6"}, (topic.id, number)


def test_every_faq_intent_is_in_the_domain_and_the_training_data(knowledge, domain):
    nlu = yaml.safe_load((ROOT / "nlu_data" / "nlu.yml").read_text(encoding="utf-8"))
    trained = {block["intent"] for block in nlu["nlu"] if "intent" in block}
    for topic in knowledge.topics:
        assert topic.intent in domain["intents"]
        assert topic.intent in trained


def test_messages_fill_in_the_kansli_contact(knowledge):
    for key in ("not_in_documents", "handoff"):
        message = knowledge.message(key)
        assert "Wämö Center" in message and "{kansli}" not in message


def test_editing_a_deadline_is_live_without_restart(knowledge_copy):
    before = get_knowledge()
    deadline = before.topic_for_intent("ask_deadline")
    assert "2 oktober 2020" in deadline.answer
    faq = knowledge_copy / "faq.yml"
    time.sleep(0.01)
    faq.write_text(faq.read_text(encoding="utf-8").replace("senast den 2 oktober 2020", "senast den 9 oktober 2020"),
                   encoding="utf-8")
    after = get_knowledge()
    assert "9 oktober 2020" in after.render_answer(after.topic_for_intent("ask_deadline"))


def test_a_broken_reference_is_reported(knowledge_copy):
    import pytest

    from finsam.knowledge import KnowledgeError

    faq = knowledge_copy / "faq.yml"
    faq.write_text(faq.read_text(encoding="utf-8").replace("document: sok-finansiering", "document: finns-inte", 1),
                   encoding="utf-8")
    with pytest.raises(KnowledgeError, match="finns-inte"):
        load_knowledge(knowledge_copy)
