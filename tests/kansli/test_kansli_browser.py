"""The kansli workspace end to end in Debian's headless Chromium (Playwright): inbox, a draft's page,
status, comment, reply caught by aiosmtpd, .docx, the reply template, erasure, accounts;
accessibility checked with axe-core. The inbox screenshot goes to artifacts/kansli-inbox.png.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path

import docx
import pytest
from conftest import ROOT
from kansli_fixtures import AXE, browser, cli, mailbox
from kansli_samples import XSS, answers, write
from kansli_site import (
    ANNA,
    ARTIFACTS,
    AXE_TAGS,
    NAME,
    login,
    new_page,
    rows,
    site,
)
from sqlalchemy import create_engine, func, select

from finsam.erasure import EVENTS
from kansli.db import session_scope
from kansli.models import AuditEntry, Case, CaseEvent, DraftVersion

FIXTURES = (browser, mailbox, new_page, site)  # pytest fixtures, imported for the tests below


# ------------------------------------------------------------------ logged in
def test_inbox_lists_drafts_newest_first_with_filters_and_search(site, new_page):
    page = login(new_page(), site)
    titles = [rows(page).nth(i).locator("td").nth(1).locator("a").inner_text() for i in range(rows(page).count())]
    assert titles == ["Samverkan kring långtidssjukskrivna", "Steg för steg – stöd till unga", "Hälsolotsar i Ronneby",
                      "Gemensam väg till arbete", "Skript" + XSS]
    headers = page.locator("table.inbox thead th").all_inner_texts()
    assert headers == ["Inkom", "Arbetstitel", "Parter", "Kontaktperson", "Status", "Öppna frågor", "Förslag"]
    anna = rows(page).filter(has_text="Gemensam väg till arbete")
    cells = anna.locator("td").all_inner_texts()
    assert "Anna Svensson" in cells[3] and cells[4] == "Ny" and "2 versioner" in cells[1]
    assert cells[5] == "0" and int(cells[6]) >= 0
    page.fill("#q", "RONNEBY")  # searched in the title and text, case-insensitively
    page.click("form.filters button")
    assert rows(page).count() == 1 and "Hälsolotsar i Ronneby" in rows(page).inner_text()
    assert "RONNEBY" not in site.log.read_text()  # no access log with search terms in it
    page.fill("#q", "deltagarenkät")  # a word only in an answer (Anna's version 2)
    page.click("form.filters button")
    assert rows(page).count() == 1 and "Gemensam väg" in rows(page).inner_text()
    page.fill("#q", "")
    page.select_option("#status", "avslutad")
    page.click("form.filters button")
    assert rows(page).count() == 0 and "Inga utkast att visa." in page.content()


def test_draft_page_review_status_comment_reply_and_download(site, new_page, mailbox):
    ref = site.refs[ANNA]
    page = login(new_page(), site)
    page.click("text=Gemensam väg till arbete")
    assert page.url == f"{site.url}/utkast/{ref}" and page.locator("h1").inner_text() == "Gemensam väg till arbete"
    # Rendered from the JSON: every question, the newest version, earlier versions listed.
    assert page.locator("article.question").count() == 8
    assert page.locator("#versioner + ul li").all_inner_texts()[0].startswith("Version 2 (visas)")
    assert "ändrad i version 2" in page.locator("article.question", has_text="mäts förändring").inner_text().lower()
    # Pre-review suggestions sit with the answers they concern.
    draft = json.loads((site.drafts / ref / "draft.json").read_text())
    by_check = {c["id"]: c.get("slot") for c in __import__("yaml").safe_load(
        (ROOT / "knowledge" / "prereview.yml").read_text())["checks"]}
    for suggestion in draft["suggestions"]:
        slot = suggestion.get("slot") or by_check[suggestion["check"]]
        holder = page.locator(".facts") if slot == "parties" else page.locator(
            "article.question", has=page.locator(f"h3#fraga-{[q['id'] for q in draft['questions']].index(slot) + 1}"))
        assert suggestion["text"] in holder.locator(".suggestion").inner_text()
    page.click("text=Version 1")
    assert "version 1, inte den senaste" in page.locator("[role=status]").inner_text()
    page.goto(f"{site.url}/utkast/{ref}")

    page.select_option("#ny-status", "under_granskning")
    page.fill("#status-not", "Läser den i veckan.")
    page.click("text=Ändra status")
    event = page.locator("ol.events li").first.inner_text()
    assert "Status: Ny → Under granskning" in event and NAME in event and "Läser den i veckan." in event
    assert page.locator(".facts .status").inner_text() == "Under granskning"

    page.fill("#kommentar", "Intern: fråga om budgeten <b>inte</b> fet.")
    page.click("text=Spara kommentar")
    assert "Intern: fråga om budgeten <b>inte</b> fet." in page.locator("ol.events li").first.inner_text()

    page.click("text=Svara idébäraren via e-post")
    assert page.locator("#subject").input_value() == f"Din idéskiss {ref}: Gemensam väg till arbete"
    body = page.locator("#body").input_value()
    assert body.startswith("Hej Anna Svensson!") and NAME in body
    page.fill("#body", body.replace("[Skriv kansliets återkoppling här.]", "Vi vill gärna träffa er."))
    page.click("text=Skicka e-post")
    assert "Svaret är skickat" in page.locator("[role=status]").first.inner_text()
    [envelope] = mailbox.messages
    assert envelope.rcpt_tos == [ANNA]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == f"Din idéskiss {ref}: Gemensam väg till arbete"
    assert "Vi vill gärna träffa er." in message.get_content() and "Intern" not in message.get_content()
    assert f"E-post skickad till {ANNA}" in page.locator("ol.events li").first.inner_text()

    page.select_option("#ny-status", "aterkopplad")
    page.click("text=Ändra status")
    with page.expect_download() as info:
        page.click("text=Ladda ned Word (.docx)")
    path = Path(info.value.path())
    assert info.value.suggested_filename == f"idéskiss-{ref}-v2.docx"
    document = docx.Document(str(path))
    assert "Gemensam väg till arbete" in "\n".join(p.text for p in document.paragraphs)
    with session_scope(site.db_url) as session:
        case = session.execute(select(Case).where(Case.reference == ref)).scalar_one()
        assert case.status == "aterkopplad"
        kinds = [(e.kind, e.actor) for e in case.events]
        assert kinds[1:] == [("status", NAME), ("comment", NAME), ("email", NAME), ("status", NAME)]
        actions = [a.action for a in session.execute(select(AuditEntry).where(AuditEntry.target == ref)
                                                     .order_by(AuditEntry.id)).scalars()]
        assert {"visade_utkast", "ändrade_status", "kommenterade", "skickade_svar", "laddade_ned"} <= set(actions)


def test_a_reply_that_cannot_be_sent_keeps_the_text_and_logs_nothing(site, new_page, mailbox):
    ref = site.refs["sara.oberg@karlskrona.se"]
    page = login(new_page(), site)
    page.goto(f"{site.url}/utkast/{ref}/svar")
    page.fill("#body", "Ett svar som inte kommer fram.")
    mailbox.refuse = True
    try:
        page.click("text=Skicka e-post")
        assert "kunde inte skickas just nu" in page.locator("[role=alert]").inner_text()
        assert page.locator("#body").input_value() == "Ett svar som inte kommer fram."
    finally:
        mailbox.refuse = False
    with session_scope(site.db_url) as session:
        case = session.execute(select(Case).where(Case.reference == ref)).scalar_one()
        assert [e for e in case.events if e.kind == "email"] == []


def test_the_reply_template_can_be_edited(site, new_page):
    page = login(new_page(), site)
    page.goto(f"{site.url}/mall")
    page.fill("#body", "Hej {namn}! Ny mall för {titel}. /{avsandare}")
    page.click("text=Spara mallen")
    assert page.locator("[role=status]").inner_text() == "Mallen är sparad."
    page.goto(f"{site.url}/utkast/{site.refs['erik.lind@ronneby.se']}/svar")
    assert page.locator("#body").input_value() == f"Hej Erik Lind! Ny mall för Hälsolotsar i Ronneby. /{NAME}"


def test_inbox_screenshot_after_some_review(site, new_page):
    page = login(new_page(), site)
    page.click("text=Samverkan kring långtidssjukskrivna")
    page.select_option("#ny-status", "under_granskning")
    page.click("text=Ändra status")
    page.goto(f"{site.url}/inkorg")
    statuses = [rows(page).nth(i).locator(".status").inner_text() for i in range(rows(page).count())]
    assert statuses[0] == "Under granskning" and len(statuses) == 5
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "kansli-inbox.png"), full_page=True)
    widths = page.evaluate("[document.querySelector('.table-wrap').scrollWidth, "
                           "document.querySelector('.table-wrap').clientWidth]")
    assert widths[0] <= widths[1], "the inbox table needs no horizontal scrolling at 1360 px"


def test_axe_finds_no_serious_or_critical_violations_on_any_page(site, new_page):
    if not AXE.exists():
        pytest.skip("node_modules/axe-core saknas (npm ci)")
    ref = site.refs[ANNA]
    page = new_page(bypass_csp=True)  # only so axe's script can be injected
    pages = {"inloggning": "/login", "inloggning-fel": None}
    results = {}

    def check(name):
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
            .then(r => ({version: r.testEngine.version, violations: r.violations.map(v => ({id: v.id,
                impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))}))""", AXE_TAGS)
        results[name] = result

    page.goto(site.url + pages["inloggning"])
    check("inloggning")
    login(page, site, password="fel")
    check("inloggning-fel")
    login(page, site)
    for name, path in [("inkorg", "/inkorg"), ("inkorg-filter", "/inkorg?status=avslutad&q=x"),
                       ("utkast", f"/utkast/{ref}"), ("utkast-version-1", f"/utkast/{ref}?version=1"),
                       ("svar", f"/utkast/{ref}/svar"), ("radera-utkast", f"/utkast/{ref}/radera"),
                       ("svarsmall", "/mall"), ("radering", "/radering"), ("logg", "/logg"),
                       ("saknas", "/utkast/IDS-20200101-AAAAAAAAAAAAAAAA")]:
        page.goto(site.url + path)
        check(name)
    bad = {name: [v for v in r["violations"] if v["impact"] in ("serious", "critical")]
           for name, r in results.items()}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "kansli-axe-report.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    assert len(results) == 12 and all(not v for v in bad.values()), bad
    print(f"axe-core {results['inkorg']['version']} ({', '.join(AXE_TAGS)}): 0 serious/critical on "
          f"{len(results)} pages; all violations: " + json.dumps({k: [v["id"] for v in r["violations"]]
                                                                  for k, r in results.items()}))


# ------------------------------------------------------------------ erasure (last: it removes data)
def test_erasing_a_person_removes_drafts_rows_and_conversations(site, new_page):
    ref = site.refs[ANNA]
    page = login(new_page(), site)
    page.goto(f"{site.url}/radering")
    page.fill("#email", ANNA.upper())
    page.check("#confirm")
    page.click("button.danger")
    assert "Raderat: 1 utkast, 1 konversationer" in page.locator("[role=status]").inner_text()
    assert not (site.drafts / ref).exists() and (site.drafts / site.refs["erik.lind@ronneby.se"]).exists()
    with session_scope(site.db_url) as session:
        assert session.execute(select(Case).where(Case.reference == ref)).first() is None
        assert session.execute(select(func.count()).select_from(DraftVersion)
                               .where(DraftVersion.data.contains("Anna Svensson"))).scalar() == 0
        assert session.execute(select(func.count()).select_from(CaseEvent)
                               .where(CaseEvent.recipient == ANNA)).scalar() == 0
        log = json.dumps([[a.actor, a.action, a.target, a.detail] for a in session.execute(select(AuditEntry))
                          .scalars()], ensure_ascii=False).lower()
    assert "anna" not in log and "karlshamn" not in log and "raderade_person" in log
    engine = create_engine(site.tracker, future=True)
    with engine.connect() as connection:
        assert sorted(set(connection.execute(select(EVENTS.c.sender_id)).scalars())) == ["conv-erik"]
    engine.dispose()
    page.goto(f"{site.url}/inkorg")  # the inbox import does not bring it back
    assert rows(page).count() == 4 and "Gemensam väg" not in page.locator("table.inbox").inner_text()
    page.goto(f"{site.url}/logg")
    assert "raderade person" in page.content() and ANNA not in page.content()


def test_erasing_one_draft(site, new_page):
    ref = site.refs["xss"]
    page = login(new_page(), site)
    page.goto(f"{site.url}/utkast/{ref}")
    page.click("text=Radera utkastet på begäran…")
    page.click("button.danger")
    assert "Raderat: 1 utkast" in page.locator("[role=status]").inner_text()
    assert not (site.drafts / ref).exists()
    page.goto(f"{site.url}/utkast/{ref}")
    assert "Utkastet finns inte" in page.locator("[role=alert]").inner_text()


def test_make_kansli_user_creates_an_account_that_can_log_in(site, new_page):
    env = {"KANSLI_DATABASE_URL": site.db_url}
    assert "minst 12 tecken" in cli(env, "add-user", "ny@finsam-blekinge.example", "--name", "Ny Person",
                                    "--password-stdin", stdin="kort\n", returncode=2)
    out = cli(env, "add-user", "ny@finsam-blekinge.example", "--name", "Ny Person", "--password-stdin",
              stdin="ett nytt långt lösenord\n")
    assert "Kontot ny@finsam-blekinge.example är klart." in out
    page = login(new_page(), site, "ny@finsam-blekinge.example", "ett nytt långt lösenord")
    assert page.locator(".who").inner_text() == "Inloggad: Ny Person"


def test_a_draft_written_while_the_workspace_runs_shows_up_when_the_inbox_opens(site, new_page):
    page = login(new_page(), site)
    before = rows(page).count()
    stored, _ = write(site.drafts, "conv-ny", answers(title="Helt ny idé om friskvård", email="ny@example.se"),
                      datetime.now(timezone.utc))
    page.goto(f"{site.url}/inkorg")
    assert rows(page).count() == before + 1 and rows(page).first.locator("a").inner_text() == \
        "Helt ny idé om friskvård"


def test_demo_account_gets_a_random_password_once(site, new_page):
    env = {"KANSLI_DATABASE_URL": site.db_url}
    password = re.search(r"lösenord (\S+)", cli(env, "demo-user")).group(1)
    assert len(password) >= 16
    assert "finns redan" in cli(env, "demo-user") and password not in cli(env, "demo-user")
    page = login(new_page(), site, "demo", password)
    assert page.url == f"{site.url}/inkorg"
