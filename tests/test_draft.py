"""The draft for the kansli: content, formats, escaping, one draft per submission."""
import json
import re
import threading
import zipfile
from datetime import datetime, timezone

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_actions import COMPLETE

from finsam.draft import (
    OPEN_TEXT,
    SCHEMA_VERSION,
    DraftStore,
    author_of,
    clean_user_text,
    heading_of,
    is_reference,
    md_escape,
    new_reference,
    render_markdown,
    swedish_time,
)
from finsam.prereview import review
from finsam.redaction import PLACEHOLDER, redact_personnummer
from finsam.sketch import OPEN

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def submitted(tmp_path, knowledge):
    store = DraftStore(tmp_path / "drafts")
    suggestions = review(COMPLETE, knowledge.prereview)
    stored, draft = store.submit("conv-1", COMPLETE, knowledge.idea_sketch, suggestions, now=NOW,
                                 author=author_of(knowledge))
    return store, stored, draft


def test_folder_is_named_by_an_unguessable_reference(submitted):
    _, stored, draft = submitted
    assert stored.created_now and is_reference(stored.reference)
    assert stored.folder.name == stored.reference == draft["reference"]
    assert stored.reference.startswith("IDS-20261124-") and len(stored.reference.split("-")[-1]) == 16
    # The folder's draft.* is the newest version; v1/ keeps version 1 as it was sent.
    assert sorted(p.name for p in stored.folder.iterdir()) == ["draft.docx", "draft.json", "draft.md", "v1"]
    assert sorted(p.name for p in (stored.folder / "v1").iterdir()) == ["draft.docx", "draft.json", "draft.md"]


def test_a_reference_never_looks_like_a_personnummer(monkeypatch):
    # "IDS-20261124-2345…" would read as the personnummer 20261124-2345 and be masked.
    tokens = iter([bytes.fromhex("d6f9d0") + bytes(7), bytes(10)])
    monkeypatch.setattr("finsam.draft.secrets.token_bytes", lambda size: next(tokens))
    assert new_reference(NOW) == "IDS-20261124-AAAAAAAAAAAAAAAA"
    monkeypatch.undo()
    for _ in range(300):
        reference = new_reference(NOW)
        assert is_reference(reference) and redact_personnummer(reference) == (reference, 0)


def test_docx_has_every_heading_and_answer(submitted, knowledge):
    _, stored, draft = submitted
    document = docx.Document(str(stored.docx))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    expected = [f"{n}. {heading_of(q)}" for n, q in enumerate(knowledge.idea_sketch["questions"], 1)]
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
    assert markdown.startswith("# Idéskiss\n")
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


# --- Versions (issue 9, item 4) ---------------------------------------------------------------

EDITED = dict(COMPLETE, background="Många unga bollas mellan FK, vården och kommunen i flera år.",
              email="anna.s@karlshamn.se")


def test_editing_after_submitting_makes_version_2_of_the_same_reference(tmp_path, knowledge):
    store = DraftStore(tmp_path)
    first, v1 = store.submit("conv-1", COMPLETE, knowledge.idea_sketch, [], now=NOW)
    later = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
    second, v2 = store.submit("conv-1", EDITED, knowledge.idea_sketch, [], now=later,
                              reference=first.reference)
    assert second.reference == first.reference and second.created_now
    assert (first.version, second.version) == (1, 2)
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [first.reference]
    folder = tmp_path / first.reference
    assert sorted(p.name for p in folder.iterdir()) == ["draft.docx", "draft.json", "draft.md", "v1", "v2"]
    assert second.json == folder / "v2" / "draft.json"
    # v1 stays as it was sent; the folder's own draft.* is always the newest version.
    assert json.loads((folder / "v1" / "draft.json").read_text(encoding="utf-8")) == v1
    assert json.loads((folder / "draft.json").read_text(encoding="utf-8")) == v2
    assert (folder / "draft.docx").read_bytes() == (folder / "v2" / "draft.docx").read_bytes()
    assert v1["version"] == 1 and v1["replaces"] is None and v1["changed_fields"] == []
    assert v2["schema_version"] == SCHEMA_VERSION == 2
    assert v2["version"] == 2 and v2["replaces"] == 1 and v2["changed_fields"] == ["background", "email"]
    assert v2["version_label"] == f"{first.reference} v2"
    assert v2["first_created"] == v1["created"] == "2026-11-24T09:30:00+00:00"
    assert v2["created"] == "2026-11-25T08:00:00+00:00"
    assert v2["questions"][1]["answer"] == EDITED["background"]
    assert store.find(first.reference).version == 2


def test_the_same_answers_again_give_no_new_version(tmp_path, knowledge):
    store = DraftStore(tmp_path)
    first, _ = store.submit("conv-1", COMPLETE, knowledge.idea_sketch, [])
    second, _ = store.submit("conv-1", EDITED, knowledge.idea_sketch, [], reference=first.reference)
    again, draft = store.submit("conv-1", EDITED, knowledge.idea_sketch, [], reference=first.reference)
    assert not again.created_now and again.version == 2 and draft["version"] == 2
    # Only surrounding spaces or control characters differ: still the same answers.
    padded = dict(EDITED, background="  " + EDITED["background"] + "\x07 ")
    same, _ = store.submit("conv-1", padded, knowledge.idea_sketch, [], reference=first.reference)
    assert not same.created_now and same.version == 2
    # Back to the first answers: that is a change against version 2, so version 3.
    third, draft = store.submit("conv-1", COMPLETE, knowledge.idea_sketch, [], reference=first.reference)
    assert third.created_now and third.version == 3 and draft["replaces"] == 2
    assert sorted(p.name for p in (tmp_path / first.reference).glob("v*")) == ["v1", "v2", "v3"]


def test_a_reference_of_another_conversation_is_not_versioned(tmp_path, knowledge):
    store = DraftStore(tmp_path)
    theirs, _ = store.submit("conv-1", COMPLETE, knowledge.idea_sketch, [])
    mine, draft = store.submit("conv-2", EDITED, knowledge.idea_sketch, [], reference=theirs.reference)
    assert mine.reference != theirs.reference and draft["version"] == 1
    assert store.find(theirs.reference).version == 1


def test_concurrent_resubmissions_give_one_new_version(tmp_path, knowledge):
    store = DraftStore(tmp_path)
    first, _ = store.submit("conv-1", COMPLETE, knowledge.idea_sketch, [])
    results = []

    def submit():
        results.append(store.submit("conv-1", EDITED, knowledge.idea_sketch, [], reference=first.reference)[0])

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {(r.reference, r.version) for r in results} == {(first.reference, 2)}
    assert sum(r.created_now for r in results) == 1


def test_a_draft_in_the_old_flat_layout_gets_its_version_2(tmp_path, knowledge):
    store = DraftStore(tmp_path)
    first, _ = store.submit("conv-1", COMPLETE, knowledge.idea_sketch, [])
    folder = tmp_path / first.reference
    # Schema 1 wrote draft.* straight into the reference folder, without v1/.
    for path in (folder / "v1").iterdir():
        path.replace(folder / path.name)
    (folder / "v1").rmdir()
    assert store.find(first.reference).version == 1
    second, draft = store.submit("conv-1", EDITED, knowledge.idea_sketch, [], reference=first.reference)
    assert second.version == 2 and draft["replaces"] == 1
    assert sorted(p.name for p in folder.glob("v*")) == ["v1", "v2"]
    assert json.loads((folder / "v1" / "draft.json").read_text(encoding="utf-8"))["version"] == 1


# --- The Word document (issue 9, item 10) -------------------------------------------------------

def test_docx_properties_language_and_swedish_local_time(submitted, knowledge):
    _, stored, draft = submitted
    document = docx.Document(str(stored.docx))
    properties = document.core_properties
    assert properties.title == "Idéskiss: Gemensam väg"
    assert properties.author == knowledge.documents["sok-finansiering"].publisher == "Samordningsförbundet i Blekinge"
    assert properties.last_modified_by == properties.author
    assert properties.created == NOW and properties.modified == NOW
    assert properties.language == "sv-SE"
    assert "python-docx" not in (properties.comments + properties.author + properties.keywords)
    with zipfile.ZipFile(stored.docx) as package:
        styles = package.read("word/styles.xml").decode("utf-8")
    languages = re.findall(r'<w:lang w:val="([^"]+)"', styles)
    assert languages and set(languages) == {"sv-SE"}
    table = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    # 09:30 UTC on 24 November is 10.30 in Sweden (CET, UTC+1).
    assert table["Skapad"] == "24 november 2026 kl. 10.30"
    assert draft["created"] == "2026-11-24T09:30:00+00:00"


def test_swedish_time_follows_summer_time():
    assert swedish_time("2026-07-01T10:05:00+00:00") == "1 juli 2026 kl. 12.05"
    assert swedish_time(datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc)) == "29 mars 2026 kl. 01.59"
    assert swedish_time(datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc)) == "29 mars 2026 kl. 03.00"


def test_the_title_appears_once_in_the_document(submitted):
    _, stored, _ = submitted
    document = docx.Document(str(stored.docx))
    texts = [p.text for p in document.paragraphs] + [c.text for row in document.tables[0].rows for c in row.cells]
    assert sum("Gemensam väg" in text for text in texts) == 1
    markdown = stored.markdown.read_text(encoding="utf-8")
    assert markdown.count("Gemensam väg") == 1


def test_headings_follow_the_seed_with_the_missing_parenthesis_closed(submitted, knowledge):
    _, stored, draft = submitted
    seed = knowledge.documents["sok-finansiering"].text()
    bullets = [" ".join(line.strip(" •").split()) for line in seed.splitlines() if line.strip().startswith("•")]
    document = docx.Document(str(stored.docx))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"][:8]
    questions = knowledge.idea_sketch["questions"]
    for number, (heading, question) in enumerate(zip(headings, questions, strict=True), start=1):
        shown = heading.split(". ", 1)[1]
        assert shown == draft["questions"][number - 1]["heading"]
        assert shown.count("(") == shown.count(")"), shown
        # Word for word the seed's bullet; only a closing parenthesis may be added.
        assert shown in bullets or shown[:-1] in bullets and shown.endswith(")"), shown
        assert " ".join(question["heading"].split()) in bullets
    assert headings[1] == "2. Bakgrund (vilka hinder eller lösningar finns/har funnit?)"


# --- Text that XML cannot hold (issue 9, item 9, the writer's side) ------------------------------

# Characters XML 1.0 (and so Word) cannot hold, plus look-alikes that must survive.
AWKWARD = ["\ufffe", "\uffff", "\ud800", "\udfff", "\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\r",
           "\t", "\n", "\u2028", "\ufeff", "\U0001fffe", "\ufdd0", "😀", "å", "<", "&", "#", "*", "\\", "-"]
PERSONNUMMER = ["19850101-1234", "850101-1234", "198501011234", "850161+1234"]
awkward_text = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(AWKWARD), st.sampled_from(PERSONNUMMER).map(" {} ".format)),
    max_size=12).map("".join)
sketch_answers = st.fixed_dictionaries({slot: st.one_of(st.just(OPEN), awkward_text) for slot in COMPLETE})


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=sketch_answers)
def test_any_text_is_written_and_no_personnummer_survives(tmp_path_factory, knowledge, answers):
    store = DraftStore(tmp_path_factory.mktemp("fuzz"))
    stored, draft = store.submit("fuzz", answers, knowledge.idea_sketch, [], now=NOW)
    written = [stored.json.read_text(encoding="utf-8"), stored.markdown.read_text(encoding="utf-8"),
               "\n".join(p.text for p in docx.Document(str(stored.docx)).paragraphs)]
    assert json.loads(written[0]) == draft
    for text in list(_strings(draft)) + written:
        assert not _XML_INVALID_OR_NONCHARACTER.search(text)
        assert redact_personnummer(text)[1] == 0, text
        assert "850101" not in text and "850161" not in text


@settings(max_examples=40, deadline=None)
@given(text=awkward_text)
def test_clean_user_text_keeps_xml_safe_text_and_removes_personnummer(text):
    cleaned = clean_user_text(text)
    assert not _XML_INVALID_OR_NONCHARACTER.search(cleaned)
    assert redact_personnummer(cleaned)[1] == 0
    assert clean_user_text(cleaned) == cleaned  # cleaning twice changes nothing


def test_clean_user_text_keeps_ordinary_text():
    assert clean_user_text("Rad ett\r\nRad två\tmed tabb – och 😀") == "Rad ett\nRad två\tmed tabb – och 😀"
    assert clean_user_text("a\ufffeb\ud800c\x0bd") == "abcd"


_XML_INVALID_OR_NONCHARACTER = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(1, 17)) + "]")
