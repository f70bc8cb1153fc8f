"""Kunskapsbas in Debian's headless Chromium: stale facts flagged, an edit checked like the tests check
knowledge/ (refused in Swedish when a quote is not in its source), previewed, saved atomically so the
bot's answer changes, undone; a changed source document shows the topics to review. axe on every new
page; the screenshot goes to artifacts/kansli-knowledge.png.

The workspace edits a private copy of knowledge/ (KNOWLEDGE_DIR), never the real folder.
"""
from __future__ import annotations

import io
import json
import shutil

import docx
import pytest
from conftest import ROOT
from kansli_fixtures import AXE, KansliServer, browser, browser_db_url  # noqa: F401
from kansli_site import ARTIFACTS, AXE_TAGS, NAME, PASSWORD, SECRET, USER, login, new_page
from sqlalchemy import select

from finsam.knowledge import get_knowledge, load_knowledge
from kansli.auth import create_user
from kansli.db import session_scope
from kansli.models import AuditEntry
from kansli.models_knowledge import KnowledgeChange

FIXTURES = (browser, new_page)
PLAN = "planeringsforutsattningar-2021"


@pytest.fixture(scope="module")
def ksite(tmp_path_factory):
    """The workspace on a copy of knowledge/, its own store and a tracker store with Rasa-shaped rows."""
    from kansli_insight_rows import build_tracker

    tmp = tmp_path_factory.mktemp("kansli-knowledge")
    knowledge = tmp / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    tracker = build_tracker(tmp / "tracker.db")
    schema = browser_db_url(tmp)
    if schema is not None:
        schema.__enter__()
    url = schema.url if schema else f"sqlite:///{tmp / 'kansli.db'}"
    server = KansliServer(tmp, {"KANSLI_DATABASE_URL": url, "DRAFTS_DIR": str(tmp / "drafts"),
                                "KANSLI_TRACKER_DB_URL": tracker, "KANSLI_SECRET_KEY": SECRET,
                                "KNOWLEDGE_DIR": str(knowledge), "KANSLI_REVIEW_FILE": str(tmp / "review.yml")})
    server.start()
    with session_scope(url) as session:
        create_user(session, USER, NAME, PASSWORD)
    server.db_url, server.knowledge, server.review = url, knowledge, tmp / "review.yml"
    yield server
    server.stop()
    if schema is not None:
        schema.__exit__(None, None, None)


def bot_answer(directory, intent="ask_deadline") -> str:
    """Exactly what the bot says for the topic, read the way the actions read it (live reload)."""
    knowledge = get_knowledge(directory)
    return knowledge.render_answer(knowledge.topic_for_intent(intent))


def test_the_knowledge_page_lists_every_topic_and_flags_stale_dates(ksite, new_page):
    page = login(new_page(), ksite)
    page.click("nav >> text=Kunskapsbas")
    knowledge = load_knowledge(ksite.knowledge)
    assert page.locator("li.topic").count() == len(knowledge.topics)
    deadline = page.locator("#amne-deadline")
    assert "senast den 2 oktober 2020" in deadline.locator(".answer").inner_text()
    assert "Period: ansökningsomgången 2021" in deadline.inner_text()
    flag = deadline.locator(".stale-flag").inner_text()
    assert "datum som har passerat: 2 oktober 2020, 2 november 2020" in flag
    assert "perioden (ansökningsomgången 2021) är äldre än" in flag
    assert page.locator("#amne-purpose .stale-flag").count() == 0  # no date, no period
    deadline.locator("summary").click()
    assert "Planeringsförutsättningar för projektansökningar 2021" in deadline.locator(".sources").inner_text()
    assert "2 oktober 2020" in deadline.locator("blockquote").first.inner_text()


def test_edit_preview_save_and_undo_change_what_the_bot_says(ksite, new_page):
    faq = ksite.knowledge / "faq.yml"
    original = faq.read_bytes()
    before = bot_answer(ksite.knowledge)
    assert "senast den 2 oktober 2020" in before
    page = login(new_page(), ksite)
    page.goto(f"{ksite.url}/kunskap/deadline")
    answer = page.locator("#answer").input_value()
    changed = answer.replace("Ansökningar skulle komma in senast", "Ansökningar skulle lämnas in senast")
    assert changed != answer
    page.fill("#answer", changed)
    with page.expect_navigation():
        page.click("text=Förhandsgranska")
    preview = page.locator(".bot-preview").inner_text()
    assert preview.startswith("Ansökningar skulle lämnas in senast den 2 oktober 2020")
    assert "Källa: Planeringsförutsättningar för projektansökningar 2021" in preview
    assert faq.read_bytes() == original  # a preview saves nothing
    page.click("button[value=spara]")
    page.wait_for_url("**/kunskap/deadline?sparad=1")
    assert "Svaret är sparat" in page.locator("[role=status]").inner_text()
    after = bot_answer(ksite.knowledge)
    assert after == page.locator(".bot-preview").inner_text() == preview
    assert after != before and "lämnas in senast" in after
    # Only this topic's answer changed; comments and every other topic are as they were.
    old_lines, new_lines = original.decode().splitlines(), faq.read_text().splitlines()
    assert len([line for line in new_lines if line not in old_lines]) <= 4 and new_lines[0] == old_lines[0]
    history = page.locator("li.change").first.inner_text()
    assert "Ändrade svaret" in history and NAME in history
    with session_scope(ksite.db_url) as session:
        change = session.execute(select(KnowledgeChange).order_by(KnowledgeChange.id.desc())).scalars().first()
        assert change.topic_id == "deadline" and change.actor == NAME and change.kind == "edit"
        assert "skulle komma in senast" in json.loads(change.before)["answer"]
        assert "skulle lämnas in senast" in json.loads(change.after)["answer"]
    page.click("text=Ångra ändringen")
    page.wait_for_url("**/kunskap/deadline?angrad=1")
    assert "Ändringen är ångrad" in page.locator("[role=status]").inner_text()
    assert faq.read_bytes() == original and bot_answer(ksite.knowledge) == before
    assert page.locator("li.change").first.inner_text().startswith("Ångrade en ändring")
    with session_scope(ksite.db_url) as session:
        actions = [a.action for a in session.execute(select(AuditEntry).where(AuditEntry.target == "deadline"))
                   .scalars()]
    assert actions[-2:] == ["ändrade_kunskap", "ångrade_kunskap"]


def test_an_edit_whose_quote_is_not_in_the_source_is_refused_in_swedish(ksite, new_page):
    faq = ksite.knowledge / "faq.yml"
    original = faq.read_bytes()
    page = login(new_page(), ksite)
    page.goto(f"{ksite.url}/kunskap/deadline")
    page.fill("#quote_0", page.locator("#quote_0").input_value().replace("2 oktober 2020", "9 oktober 2021"))
    page.fill("#answer", page.locator("#answer").input_value().replace("2 oktober 2020", "9 oktober 2021"))
    page.click("button[value=spara]")
    alert = page.locator("[role=alert]").inner_text()
    assert "Svaret sparades inte." in alert
    assert f"citatet finns inte i {PLAN}" in alert and "9 oktober 2021" in alert
    assert faq.read_bytes() == original  # nothing written
    assert "9 oktober 2021" in page.locator("#quote_0").input_value()  # the text is kept for correcting
    # An invented figure in the answer alone is refused by the number check.
    page.goto(f"{ksite.url}/kunskap/deadline")
    page.fill("#answer", page.locator("#answer").input_value() + " Högst 13 ansökningar beviljas.")
    page.click("button[value=spara]")
    assert "talet 13 står inte i källorna som ämnet hänvisar till" in page.locator("[role=alert]").inner_text()
    assert faq.read_bytes() == original


def _changed_plan() -> str:
    text = (ROOT / "knowledge" / "sources" / f"{PLAN}.txt").read_text(encoding="utf-8")
    assert "senast den 2 oktober 2020" in text
    return text.replace("senast den 2 oktober 2020", "senast den 1 oktober 2026")


def test_a_changed_source_document_shows_the_topics_to_review(ksite, new_page):
    knowledge = load_knowledge(ksite.knowledge)
    expected = sorted(t.id for t in knowledge.topics if any(
        r.document == PLAN and "senast den 2 oktober 2020" in " ".join(r.quote.split()) for r in t.sources))
    assert expected  # the deadline topic quotes the date
    document = docx.Document()
    for paragraph in _changed_plan().split("\n"):
        document.add_paragraph(paragraph)
    body = io.BytesIO()
    document.save(body)
    page = login(new_page(), ksite)
    page.goto(f"{ksite.url}/kunskap")
    page.click("text=Pröva ett nytt källdokument")
    page.select_option("#document", PLAN)
    page.set_input_files("#file", files=[{"name": "planeringsforutsattningar-2027.docx", "buffer": body.getvalue(),
                                          "mimeType": "application/octet-stream"}])
    page.click("text=Jämför med citaten")
    status = page.locator("[role=status]").inner_text()
    assert f"{len(expected)} ämnen" in status
    listed = sorted(a.get_attribute("href").rsplit("/", 1)[1] for a in page.locator("ul.affected > li > a").all())
    assert listed == expected
    assert "senast den 2 oktober 2020" in page.locator("ul.affected").inner_text()
    # The same text as .txt gives the same answer; the unchanged document breaks nothing.
    page.select_option("#document", PLAN)
    page.set_input_files("#file", files=[{"name": "ny.txt", "buffer": _changed_plan().encode(),
                                          "mimeType": "text/plain"}])
    page.click("text=Jämför med citaten")
    assert f"{len(expected)} ämnen" in page.locator("[role=status]").inner_text()
    page.select_option("#document", PLAN)
    page.set_input_files("#file", files=[{"name": "samma.txt", "mimeType": "text/plain",
                                          "buffer": (ROOT / "knowledge" / "sources" / f"{PLAN}.txt").read_bytes()}])
    page.click("text=Jämför med citaten")
    assert "0 ämnen" in page.locator("[role=status]").inner_text()
    page.select_option("#document", PLAN)
    page.set_input_files("#file", files=[{"name": "bild.png", "buffer": b"\x89PNG", "mimeType": "image/png"}])
    page.click("text=Jämför med citaten")
    assert page.locator("[role=alert]").inner_text() == "Välj en fil av typen .txt, .docx eller .pdf."
    assert (ksite.knowledge / "sources" / f"{PLAN}.txt").read_bytes() == \
        (ROOT / "knowledge" / "sources" / f"{PLAN}.txt").read_bytes()  # nothing replaced


def test_a_pdf_source_is_read_through_pypdf():
    from kansli.source_text import UnreadableDocument, extract_text

    pdf = _pdf_with("Ansökan ska vara inne senast den 1 oktober 2026.")
    assert "senast den 1 oktober 2026" in " ".join(extract_text("ny.pdf", pdf).split())
    with pytest.raises(UnreadableDocument, match="gick inte att läsa som .pdf"):
        extract_text("trasig.pdf", b"%PDF-1.4 inte en pdf")


def _pdf_with(text: str) -> bytes:
    """A one-page PDF with the text in Helvetica (built by hand: nothing to download)."""
    stream = f"BT /F1 12 Tf 50 750 Td ({text.encode('latin-1').decode('latin-1')}) Tj ET".encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_knowledge_screenshot(ksite, new_page):
    page = login(new_page(), ksite)
    page.goto(f"{ksite.url}/kunskap")
    page.locator("#amne-deadline summary").click()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#amne-deadline").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "kansli-knowledge.png"), full_page=False)
    assert page.locator("#amne-deadline .stale-flag").is_visible()


def axe_check(page, results, name):
    page.add_script_tag(path=str(AXE))
    results[name] = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
        .then(r => ({version: r.testEngine.version, violations: r.violations.map(v => ({id: v.id,
            impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))}))""", AXE_TAGS)


def test_axe_finds_no_serious_or_critical_violations_on_the_knowledge_pages(ksite, new_page):
    if not AXE.exists():
        pytest.skip("node_modules/axe-core saknas (npm ci)")
    page = login(new_page(bypass_csp=True), ksite)  # bypass only so axe's script can be injected
    results = {}
    for name, path in [("kunskapsbas", "/kunskap"), ("amne", "/kunskap/deadline"), ("ny-kalla", "/kunskap/kalla")]:
        page.goto(ksite.url + path)
        axe_check(page, results, name)
    page.goto(ksite.url + "/kunskap/deadline")
    page.fill("#quote_0", "Ett citat som inte finns")
    page.click("button[value=forhandsgranska]")
    axe_check(page, results, "amne-fel")
    page.goto(ksite.url + "/kunskap/kalla")
    page.select_option("#document", PLAN)
    page.set_input_files("#file", files=[{"name": "ny.txt", "buffer": _changed_plan().encode(),
                                          "mimeType": "text/plain"}])
    page.click("text=Jämför med citaten")
    axe_check(page, results, "ny-kalla-resultat")
    bad = {n: [v for v in r["violations"] if v["impact"] in ("serious", "critical")] for n, r in results.items()}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "kansli-knowledge-axe-report.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    assert len(results) == 5 and all(not v for v in bad.values()), bad
    print(f"axe-core {results['kunskapsbas']['version']}: 0 serious/critical on {len(results)} pages; all: "
          + json.dumps({k: [v["id"] for v in r["violations"]] for k, r in results.items()}))


def test_the_new_pages_need_a_login_and_forms_a_csrf_token(ksite, new_page):
    from kansli_site import fetch

    faq = ksite.knowledge / "faq.yml"
    original = faq.read_bytes()
    for path in ["/kunskap", "/kunskap/deadline", "/kunskap/kalla", "/obesvarade", "/oversikt", "/oversikt/tratt.png"]:
        status, headers, body = fetch(ksite.url + path)
        assert status == 303 and headers["Location"].startswith("/login"), path
        assert b"oktober" not in body and b"PNG" not in body[:8]
    page = login(new_page(), ksite)
    page.goto(f"{ksite.url}/kunskap/deadline")
    page.fill("#answer", "Ändrad med förfalskad token.")
    page.locator("form.stack input[name=csrf_token]").evaluate("input => input.value = 'förfalskad'")
    page.click("button[value=spara]")
    assert "ogiltig CSRF-token" in page.locator("main").inner_text()
    for path, data in [("/kunskap/deadline", {"answer": "x", "action": "spara"}), ("/obesvarade/exempel",
                       {"text": "x", "reason": "fallback"}), ("/kunskap/andring/1/angra", {})]:
        reply = page.request.post(ksite.url + path, form={**data, "csrf_token": "förfalskad"}, max_redirects=0)
        assert reply.status == 403, path
    assert faq.read_bytes() == original and not ksite.review.exists()


def test_every_topic_edited_and_undone_gives_the_file_back_byte_for_byte(tmp_path):
    import yaml

    from kansli import knowledge_files as files

    copy = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", copy)
    original = (ROOT / "knowledge" / "faq.yml").read_bytes()
    for entry in yaml.safe_load(original)["topics"]:
        current = files.read_topic(copy, entry["id"])
        edited = files.TopicText(current.answer + " Ett ord till.", [q + " och mer" for q in current.quotes])
        before = files.save_topic(copy, entry["id"], edited, expected=current.fingerprint())
        assert before == current and files.read_topic(copy, entry["id"]) == edited
        with pytest.raises(files.StaleEdit):  # someone saved in between: refused, nothing written
            files.save_topic(copy, entry["id"], current, expected=current.fingerprint())
        others = [t for t in yaml.safe_load((copy / "faq.yml").read_text())["topics"] if t["id"] != entry["id"]]
        assert others == [t for t in yaml.safe_load(original)["topics"] if t["id"] != entry["id"]]
        files.save_topic(copy, entry["id"], files.TopicText.from_dict(json.loads(json.dumps(before.as_dict()))))
        assert (copy / "faq.yml").read_bytes() == original, entry["id"]


def test_a_broken_knowledge_file_gives_a_swedish_error_page(knowledge_copy, tmp_path):
    import re
    from dataclasses import replace

    from starlette.testclient import TestClient

    from kansli import config
    from kansli.app import create_app

    url = f"sqlite:///{tmp_path / 'kansli.db'}"
    settings = replace(config.settings_from_env({"KANSLI_DATA_DIR": str(tmp_path)}), database_url=url,
                       failed_login_delay=0)
    with TestClient(create_app(settings, drafts_dir=tmp_path / "drafts"), base_url="https://testserver") as client:
        with session_scope(url) as session:
            create_user(session, "kerstin", "Kerstin", "ett långt lösenord!")
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"csrf_token": token, "username": "kerstin", "password": "ett långt lösenord!"})
        assert client.get("/kunskap").status_code == 200
        (knowledge_copy / "faq.yml").write_text("topics: [\n", encoding="utf-8")
        for path in ("/kunskap", "/kunskap/deadline", "/obesvarade", "/oversikt"):
            page = client.get(path)
            assert page.status_code == 500 and "Kunskapsbasen går inte att läsa just nu" in page.text, path
