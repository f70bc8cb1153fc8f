"""The kansli workspace end to end: `python -m kansli` in its own process (on the local PostgreSQL
when it runs, else SQLite), driven in Debian's headless Chromium with Playwright, replies caught by
aiosmtpd, accessibility checked with axe-core. The inbox screenshot goes to artifacts/kansli-inbox.png.
"""
from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path

import docx
import pytest
from conftest import ROOT
from itsdangerous import TimestampSigner
from kansli_fixtures import AXE, KansliServer, PostgresSchema, browser, browser_db_url, cli, mailbox  # noqa: F401
from kansli_samples import XSS, answers, populate, write
from sqlalchemy import create_engine, func, insert, select

from finsam.erasure import EVENTS
from kansli.auth import create_user
from kansli.db import session_scope
from kansli.models import AuditEntry, Case, CaseEvent, DraftVersion

ANNA = "anna.svensson@karlshamn.se"
USER, PASSWORD, NAME = "kerstin@finsam-blekinge.example", "korrekt häst batteri häftapparat", "Kerstin Handläggare"
SECRET = "test-secret-" + "x" * 40
IDLE_MINUTES = 20
ARTIFACTS = ROOT / "artifacts"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def site(tmp_path_factory, mailbox):  # noqa: F811
    tmp = tmp_path_factory.mktemp("kansli")
    refs = populate(tmp / "drafts")
    tracker = f"sqlite:///{tmp / 'tracker.db'}"
    engine = create_engine(tracker, future=True)
    EVENTS.metadata.create_all(engine)
    with engine.begin() as connection:
        for sender, text in [("conv-anna", f"min e-post är {ANNA}"), ("conv-anna", "tack"), ("conv-erik", "hej")]:
            connection.execute(insert(EVENTS).values(sender_id=sender, type_name="user", timestamp=1.0,
                                                     data=json.dumps({"event": "user", "text": text})))
    engine.dispose()
    schema = browser_db_url(tmp)
    if schema is not None:
        schema.__enter__()
    url = schema.url if schema else f"sqlite:///{tmp / 'kansli.db'}"
    server = KansliServer(tmp, {
        "KANSLI_DATABASE_URL": url, "DRAFTS_DIR": str(tmp / "drafts"), "KANSLI_TRACKER_DB_URL": tracker,
        "KANSLI_SECRET_KEY": SECRET, "KANSLI_IDLE_MINUTES": str(IDLE_MINUTES), "KANSLI_MAX_FAILED_LOGINS": "3",
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailbox.port), "SMTP_SECURITY": "none",
        "SMTP_FROM": "kansli@finsam-blekinge.example"})
    server.start()  # migrates the store and imports the drafts
    with session_scope(url) as session:
        create_user(session, USER, NAME, PASSWORD)
    server.refs, server.db_url, server.tracker, server.drafts = refs, url, tracker, tmp / "drafts"
    yield server
    server.stop()
    if schema is not None:
        schema.__exit__(None, None, None)


@pytest.fixture
def new_page(browser):  # noqa: F811
    contexts = []

    def make(**options):
        context = browser.new_context(**{"viewport": {"width": 1360, "height": 900}, "locale": "sv-SE",
                                         "accept_downloads": True, **options})
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


def login(page, site, username=USER, password=PASSWORD):
    page.goto(f"{site.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def fetch(url: str, headers=None):
    """(status, headers, body) without following redirects."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=30) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def rows(page):
    return page.locator("table.inbox tbody tr")


# ------------------------------------------------------------------ without a login
def test_every_page_and_download_requires_login(site, new_page):
    ref = site.refs[ANNA]
    paths = ["/", "/inkorg", f"/utkast/{ref}", f"/utkast/{ref}/utkast.docx", f"/utkast/{ref}/utkast.md",
             f"/utkast/{ref}/svar", f"/utkast/{ref}/radera", "/mall", "/radering", "/logg"]
    for path in paths:
        status, headers, body = fetch(site.url + path)
        assert status == 303 and headers["Location"].startswith("/login"), (path, status)
        assert b"PK" not in body[:2] and b"Anna" not in body
    page = new_page()
    page.goto(f"{site.url}/utkast/{ref}/utkast.docx")
    assert page.url.startswith(f"{site.url}/login?next=") and page.locator("h1").inner_text() == "Logga in"
    assert "Anna" not in page.content()
    for path in [f"/utkast/{ref}/status", f"/utkast/{ref}/kommentar", "/radering"]:  # posts too
        request = urllib.request.Request(site.url + path, data=b"status=avslutad", method="POST")
        try:
            urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:
            assert error.code in (303, 403)
    with session_scope(site.db_url) as session:
        assert session.execute(select(Case.status).where(Case.reference == ref)).scalar() == "ny"


def test_security_headers_and_loopback_only(site):
    status, headers, _ = fetch(site.url + "/login")
    assert status == 200
    assert "script-src" not in headers["Content-Security-Policy"] and "default-src 'none'" in \
        headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
    assert f"Uvicorn running on http://127.0.0.1:{site.port}" in site.log.read_text()  # loopback by default


def test_wrong_password_is_refused_without_a_session(site, new_page):
    page = login(new_page(), site, password="fel lösenord helt enkelt")
    assert page.url.startswith(f"{site.url}/login")
    assert page.locator("[role=alert]").inner_text() == "Fel användarnamn eller lösenord."
    assert not [c for c in page.context.cookies() if c["name"] == "kansli_session" and "uid" in
                base64.b64decode(c["value"].split(".")[0] + "==").decode()]
    page.goto(f"{site.url}/inkorg")
    assert page.url.startswith(f"{site.url}/login")


def test_repeated_failures_lock_the_account_for_a_while(site, new_page):
    with session_scope(site.db_url) as session:
        create_user(session, "spärras@example.se", "Spärras", "ett helt annat lösenord")
    page = new_page()
    for _ in range(3):
        login(page, site, "spärras@example.se", "gissning")
    assert "För många misslyckade försök" in page.locator("[role=alert]").inner_text()
    login(page, site, "spärras@example.se", "ett helt annat lösenord")  # even the right one waits now
    assert page.url.startswith(f"{site.url}/login") and "spärrat" in page.locator("[role=alert]").inner_text()


# ------------------------------------------------------------------ logged in
def test_login_sets_a_secure_httponly_samesite_cookie(site, new_page):
    page = login(new_page(), site)
    assert page.url == f"{site.url}/inkorg"
    [cookie] = [c for c in page.context.cookies() if c["name"] == "kansli_session"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.locator(".who").inner_text() == f"Inloggad: {NAME}"


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


def test_html_in_answers_is_shown_as_text(site, new_page):
    page = login(new_page(), site)
    page.goto(f"{site.url}/inkorg")
    assert page.locator("img[src=x]").count() == 0 and page.locator("main b").count() == 0
    page.goto(f"{site.url}/utkast/{site.refs['xss']}")
    assert page.locator("h1").inner_text() == "Skript" + XSS
    assert page.locator(".answer").first.inner_text() == "Skript" + XSS
    assert XSS in page.locator(".question").nth(1).inner_text()
    assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0
    assert page.locator("main b").count() == 0
    assert page.evaluate("window.__xss") is None and page.errors == []


def test_draft_page_review_status_comment_reply_and_download(site, new_page, mailbox):  # noqa: F811
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


def test_a_reply_that_cannot_be_sent_keeps_the_text_and_logs_nothing(site, new_page, mailbox):  # noqa: F811
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


def test_a_forged_csrf_token_is_refused(site, new_page):
    ref = site.refs["erik.lind@ronneby.se"]
    page = login(new_page(bypass_csp=True), site)
    page.goto(f"{site.url}/utkast/{ref}")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'förfalskad')")
    page.fill("#kommentar", "ska inte sparas")
    page.click("text=Spara kommentar")
    assert "ogiltig CSRF-token" in page.locator("[role=alert]").inner_text()
    # Another site's form: no token at all (and SameSite keeps the cookie away besides).
    response = page.context.request.post(f"{site.url}/utkast/{ref}/status", form={"status": "avslutad"},
                                         max_redirects=0)
    assert response.status == 403
    with session_scope(site.db_url) as session:
        case = session.execute(select(Case).where(Case.reference == ref)).scalar_one()
        assert case.status == "ny" and not [e for e in case.events if e.kind == "comment"]


def test_an_idle_session_expires(site, new_page):
    page = login(new_page(), site)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "kansli_session"]
    signer = TimestampSigner(SECRET)
    data = json.loads(base64.b64decode(signer.unsign(cookie["value"].encode())))
    assert data["user"] == USER
    data["seen"] -= IDLE_MINUTES * 60 + 5  # the last request was longer ago than the idle timeout
    cookie["value"] = signer.sign(base64.b64encode(json.dumps(data).encode())).decode()
    page.context.add_cookies([cookie])
    page.goto(f"{site.url}/inkorg")
    assert page.url.startswith(f"{site.url}/login")
    assert page.locator("[role=status]").inner_text() == "Din session har gått ut. Logga in igen."
    page.goto(f"{site.url}/inkorg")  # the session is gone for good, not just this once
    assert page.url.startswith(f"{site.url}/login")


def test_logout_ends_the_session(site, new_page):
    page = login(new_page(), site)
    page.click("text=Logga ut")
    page.goto(f"{site.url}/inkorg")
    assert page.url.startswith(f"{site.url}/login")


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
