"""The draft for the kansli: content, formats, escaping, one draft per submission."""
import json
import threading
from datetime import datetime, timezone

import docx
import pytest
from test_actions import COMPLETE

from finsam.draft import OPEN_TEXT, SCHEMA_VERSION, DraftStore, is_reference, md_escape, render_markdown
from finsam.prereview import review
from finsam.redaction import PLACEHOLDER
from finsam.sketch import OPEN

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def submitted(tmp_path, knowledge):
    store = DraftStore(tmp_path / "drafts")
    suggestions = review(COMPLETE, knowledge.prereview)
    stored, draft = store.submit("conv-1", COMPLETE, knowledge.idea_sketch, suggestions, now=NOW)
    return store, stored, draft


def test_folder_is_named_by_an_unguessable_reference(submitted):
    _, stored, draft = submitted
    assert stored.created_now and is_reference(stored.reference)
    assert stored.folder.name == stored.reference == draft["reference"]
    assert stored.reference.startswith("IDS-20261124-") and len(stored.reference.split("-")[-1]) == 16
    assert sorted(p.name for p in stored.folder.iterdir()) == ["draft.docx", "draft.json", "draft.md"]


def test_docx_has_every_heading_and_answer(submitted, knowledge):
    _, stored, draft = submitted
    document = docx.Document(str(stored.docx))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    expected = [f"{n}. {' '.join(q['heading'].split())}" for n, q in enumerate(knowledge.idea_sketch["questions"], 1)]
    assert headings == expected + ["Förgranskning mot förbundets kriterier"]
    body = "\n".join(p.text for p in document.paragraphs)
    for slot, answer in COMPLETE.items():
        if answer != OPEN and slot in {q["slot"] for q in knowledge.idea_sketch["questions"]}:
            assert answer in body, slot
    assert OPEN_TEXT in body
    table_text = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert ["Referens", stored.reference] in table_text
    assert ["E-post", "anna.svensson@karlshamn.se"] in table_text
    assert any("plan för utvärdering" in p.text for p in document.paragraphs)
    assert document.core_properties.title == "Idéskiss: Gemensam väg"


def test_markdown_and_json_carry_the_same_content(submitted):
    _, stored, draft = submitted
    markdown = stored.markdown.read_text(encoding="utf-8")
    assert markdown == render_markdown(draft)
    assert markdown.startswith("# Idéskiss: Gemensam väg")
    assert markdown.count("\n## ") == 9
    data = json.loads(stored.json.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert [q["id"] for q in data["questions"]][:2] == ["title", "background"]
    assert data["open_questions"] == [6] and data["questions"][5]["answer"] is None
    assert data["contact"]["name"] == "Anna Svensson"
    assert {s["check"] for s in data["suggestions"]} == {"evaluation_plan"}


def test_user_text_is_stored_as_text(tmp_path, knowledge):
    hostile = dict(COMPLETE, title="<script>alert(1)</script>",
                   background="# Rubrik\n- lista [länk](javascript:alert(1)) {DDEAUTO c:\\\\x.exe} **fet** \x00\x07 ok",
                   solution="Personnummer 19850101-1234 ska bort ur utkastet.")
    stored, draft = DraftStore(tmp_path).submit("c", hostile, knowledge.idea_sketch, [], now=NOW)
    markdown = stored.markdown.read_text(encoding="utf-8")
    assert "<script>" not in markdown and "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert "\\# Rubrik" in markdown and "\n\\- lista \\[länk\\](javascript:alert(1))" in markdown
    assert "19850101-1234" not in markdown and md_escape(PLACEHOLDER) in markdown
    document = docx.Document(str(stored.docx))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "{DDEAUTO c:\\\\x.exe}" in body  # literal text in a run, not a field
    assert "\x00" not in body
    xml = document.element.xml
    assert "fldSimple" not in xml and "instrText" not in xml
    assert json.loads(stored.json.read_text())["title"] == "<script>alert(1)</script>"


def test_md_escape_plain_text_untouched():
    assert md_escape("Unga vuxna 18 till 29 år") == "Unga vuxna 18 till 29 år"


def test_double_submission_gives_one_draft(tmp_path, knowledge):
    store = DraftStore(tmp_path)
    results = []

    def submit():
        results.append(store.submit("conv-7", COMPLETE, knowledge.idea_sketch, [])[0])

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.reference for r in results}) == 1
    assert sum(r.created_now for r in results) == 1
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 1


def test_changed_answers_or_another_conversation_give_a_new_draft(tmp_path, knowledge):
    store = DraftStore(tmp_path)
    first, _ = store.submit("conv-1", COMPLETE, knowledge.idea_sketch, [])
    edited, _ = store.submit("conv-1", dict(COMPLETE, title="Ny titel"), knowledge.idea_sketch, [])
    other, _ = store.submit("conv-2", COMPLETE, knowledge.idea_sketch, [])
    assert len({first.reference, edited.reference, other.reference}) == 3


def test_find_rejects_anything_but_a_reference(tmp_path):
    store = DraftStore(tmp_path)
    assert store.find("../../etc") is None
    assert store.find("IDS-20261124-AAAAAAAAAAAAAAAA") is None
