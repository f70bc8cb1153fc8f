"""The knowledge base: complete, traceable to the förbund's documents, editable live."""
import time

import yaml
from conftest import ROOT

from finsam.knowledge import get_knowledge, load_knowledge, normalise_space
from finsam.knowledge_checks import flat as _flat
from finsam.knowledge_checks import knowledge_problems, number_problems, numbers, quote_problems


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
    # finsam.knowledge_checks: the same checks the kansli runs before it saves an edited answer.
    texts = {d: doc.text() for d, doc in knowledge.documents.items()}
    problems = [p for topic in knowledge.topics for p in quote_problems(topic.id, topic.sources, texts)]
    assert problems == [], [str(p) for p in problems]


def test_the_quote_check_catches_a_quote_not_in_the_document(knowledge):
    topic = knowledge.topic_for_intent("ask_deadline")
    texts = {d: doc.text() for d, doc in knowledge.documents.items()}
    changed = [type(ref)(ref.document, ref.section, ref.quote.replace("2 oktober", "9 oktober"))
               for ref in topic.sources]
    assert "2 oktober" in " ".join(ref.quote for ref in topic.sources)
    [problem] = [p for p in quote_problems(topic.id, changed, texts) if "9 oktober" in p.message]
    assert problem.message.startswith("citatet finns inte i planeringsforutsattningar-2021")


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
    # Guards against invented figures: every number in an answer stands in a source that topic cites.
    assert [str(p) for p in knowledge_problems(knowledge)] == []


def test_the_number_check_catches_an_invented_figure(knowledge):
    topic = knowledge.topic_for_intent("ask_budget")
    cited = [knowledge.documents[d].text() for d in {ref.document for ref in topic.sources}]
    assert "13" not in set(numbers(" ".join(cited)))
    assert "95" not in set(numbers(knowledge.documents["sok-finansiering"].text()))
    assert number_problems(topic.id, topic.answer, cited) == []
    [problem] = number_problems(topic.id, topic.answer + " Högst 13 miljoner.", cited)
    assert problem.message == "talet 13 står inte i källorna som ämnet hänvisar till"


def test_every_faq_intent_is_in_the_domain_and_the_training_data(knowledge, domain):
    trained = set()
    for path in (ROOT / "nlu_data").glob("*.yml"):
        nlu = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        trained |= {block["intent"] for block in nlu.get("nlu") or [] if "intent" in block}
    for topic in knowledge.topics:
        assert topic.intent in domain["intents"]
        assert topic.intent in trained


def test_plain_answers_by_exclusion(knowledge):
    # Only member parties apply; the documents hold no phone number (address and website instead).
    assert "privatperson kan inte" in knowledge.topic_for_intent("ask_who_can_apply").answer
    contact = normalise_space(knowledge.topic_for_intent("ask_contact").answer)
    assert "telefonnummer står inte" in contact and "www.finsam-blekinge.se" in contact and "Wämö" in contact


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
