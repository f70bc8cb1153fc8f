"""The website chat widget end to end: channels/web.py on the real servers (started once for
this module), and web/widget.js in Debian's Chromium driven by Playwright.

Browser tests need /usr/bin/chromium (apt-get install chromium), the playwright package and
node_modules/axe-core (npm ci); without them they are skipped, unless REQUIRE_SERVICES=1.
Screenshots and the axe-core report go to artifacts/ (gitignored).
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.error
import urllib.request
from collections import Counter

import docx
import pytest
from browser_support import AXE, chromium_browser, page_maker, require_tool
from conftest import ROOT, trained_model
from live import LiveBot

from finsam.privacy import fill_settings

ALLOWED_ORIGIN = "https://www.finsam-blekinge.example"
OTHER_ORIGIN = "https://elak.example"
RATE_LIMIT = 25
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
SESSION_FORMAT = re.compile(r"^[A-Za-z0-9_-]{43}$")
SESSION_HEADER = "X-Finsam-Session"
BOT_TURN_MS = 60_000


# --------------------------------------------------------------------------- servers
@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    live = LiveBot(tmp_path_factory.mktemp("web"), trained_model(),
                   {"WEB_ALLOWED_ORIGINS": f"{ALLOWED_ORIGIN}, *", "WEB_RATE_LIMIT": str(RATE_LIMIT),
                    # Every request here comes from 127.0.0.1: the per-address limits have their
                    # own tests (tests/test_channel_security.py).
                    "WEB_SESSION_RATE_LIMIT": "10000/minute", "WEB_ADDRESS_RATE_LIMIT": "10000/minute"})
    live.start()
    yield live
    live.stop()


def call(bot, method, path, payload=None, headers=None):
    """(status, headers, parsed JSON or raw bytes) for a request to the web channel."""
    data = None
    if payload is not None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(f"{bot.url}/webhooks/web{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            status, reply_headers, body = reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        status, reply_headers, body = error.code, error.headers, error.read()
    if "json" in (reply_headers.get("Content-Type") or ""):
        body = json.loads(body.decode("utf-8"))
    return status, reply_headers, body


def new_session(bot) -> str:
    status, _, body = call(bot, "POST", "/session", {})
    assert status == 200
    return body["session"]


def keyed(session) -> dict:
    return {SESSION_HEADER: session}


def say(bot, session, text):
    status, _, body = call(bot, "POST", "/message", {"message": text}, keyed(session))
    assert status == 200, body
    return body


def texts(body) -> str:
    return "\n".join(m.get("text", "") for m in body["messages"])


def stored_events(bot, session) -> str:
    with sqlite3.connect(bot.env["TRACKER_DB"]) as db:
        return " ".join(row[0] for row in db.execute("select data from events where sender_id = ?", (session,)))


# Alternating skips: the form ignores the same message sent twice within a few seconds.
SKIPS = ["vet inte", "hoppa över"]
SKETCH_TURNS = ["jag har en idé", "Gemensam väg till arbete"] + [SKIPS[n % 2] for n in range(11)] + ["anna@example.se"]


@pytest.fixture(scope="module")
def api_draft(bot):
    """A sketch written and submitted through the web channel: (session, reference)."""
    session = new_session(bot)
    for text in SKETCH_TURNS:
        reply = say(bot, session, text)
    assert "Här är din idéskiss" in texts(reply)
    reply = say(bot, session, "/confirm_submit")
    [message] = [m for m in reply["messages"] if m.get("draft_url")]
    reference = message["draft_url"].split("/")[1]
    assert reference in message["text"] and message["draft_url"].startswith(f"drafts/{reference}/draft.docx?")
    return session, reference, message


# ------------------------------------------------------------------ channel, no browser
def test_sessions_are_issued_by_the_server_in_an_unguessable_form(bot):
    first, second = new_session(bot), new_session(bot)
    assert SESSION_FORMAT.match(first) and SESSION_FORMAT.match(second) and first != second


@pytest.mark.parametrize("session", [None, "", "live-faq-1", "a" * 42, "a" * 44, "a" * 42 + "!", "a" * 42 + "/",
                                     "../../etc/passwd", 12345])
def test_malformed_session_ids_are_refused_with_400_in_swedish(bot, session):
    headers = {} if session is None else keyed(str(session))
    checks = [call(bot, "POST", "/message", {"message": "hej"}, headers)]
    checks.append(call(bot, "GET", "/history", headers=headers))
    checks.append(call(bot, "POST", "/draft-link", {"reference": "IDS-20250101-AAAAAAAAAAAAAAAA",
                                                    "file": "draft.docx"}, headers))
    for status, _, body in checks:
        assert status == 400 and "Ogiltig session" in body["error"], body


def test_messages_get_the_same_checks_as_the_rest_channel(bot):
    session = new_session(bot)
    assert "Jag fick inget meddelande" in texts(say(bot, session, "   "))
    assert "för långt" in texts(say(bot, session, "a" * 10_001))
    status, _, body = call(bot, "POST", "/message", {"message": ["hej"]}, keyed(session))
    assert status == 400 and "text" in body["error"]
    status, _, body = call(bot, "POST", "/message", b"inte json")
    assert status == 400 and "JSON" in body["error"]
    # Personnummer are gone before Rasa stores the text; client metadata is ignored.
    status, _, body = call(bot, "POST", "/message", {"message": "Jag har 19850101-1234 här",
                                                     "metadata": {"planted": "klientdata"}}, keyed(session))
    assert status == 200 and body["user_text"] == "Jag har [personnummer borttaget] här"
    stored = stored_events(bot, session)
    assert "19850101-1234" not in stored and "[personnummer borttaget]" in stored
    assert "planted" not in stored and "klientdata" not in stored
    assert '"input_channel": "web"' in stored


def test_replies_carry_text_and_buttons_and_history_shows_the_conversation(bot):
    session = new_session(bot)
    greeting = say(bot, session, "hej")
    assert [b["title"] for b in greeting["messages"][-1]["buttons"]][:2] == ["Skriv en idéskiss", "Vem kan söka medel?"]
    answer = say(bot, session, "/ask_who_can_apply")
    assert "minst två" in texts(answer)
    status, _, body = call(bot, "GET", "/history", headers=keyed(session))
    assert status == 200
    history = body["messages"]
    replies = [m for m in answer["messages"] if m.get("text")]
    assert [m["sender"] for m in history] == ["user", "bot", "user"] + ["bot"] * len(replies)
    assert history[0]["text"] == "hej" and history[1]["text"].startswith("Hej!")
    assert history[2]["text"] == "Vem kan söka medel?"  # the button's title, not its payload
    assert [m["text"] for m in history[3:]] == [m["text"] for m in replies]
    assert not any("buttons" in m for m in history[:-1])  # buttons only on the last bot message
    assert history[-1].get("buttons") == replies[-1].get("buttons")
    # A fresh session has no history yet.
    assert call(bot, "GET", "/history", headers=keyed(new_session(bot)))[2] == {"messages": []}


def test_rate_limit_per_conversation_answers_429_in_swedish(bot):
    session, other = new_session(bot), new_session(bot)
    for _ in range(RATE_LIMIT):  # empty messages are answered without Rasa, so this is quick
        status, _, _ = call(bot, "POST", "/message", {"message": ""}, keyed(session))
        assert status == 200
    status, headers, body = call(bot, "POST", "/message", {"message": "hej"}, keyed(session))
    assert status == 429 and "för tätt" in body["error"]
    assert 1 <= int(headers["Retry-After"]) <= 61
    status, _, _ = call(bot, "POST", "/message", {"message": ""}, keyed(other))
    assert status == 200  # other conversations are not affected


def test_a_draft_is_downloadable_only_by_the_conversation_that_wrote_it(bot, api_draft):
    session, reference, message = api_draft
    assert session not in message["draft_url"]  # a signed link, not the session key
    status, headers, body = call(bot, "GET", "/" + message["draft_url"])
    assert status == 200 and body[:2] == b"PK"
    assert "wordprocessingml" in headers["Content-Type"]
    assert f"ideskiss-{reference}.docx" in headers["Content-Disposition"]
    assert headers["Cache-Control"] == "no-store"
    status, _, body = call(bot, "GET", "/" + message["draft_md_url"])
    assert status == 200 and b"Gemensam v" in body
    status, _, body = call(bot, "POST", "/draft-link", {"reference": reference, "file": "draft.docx"}, keyed(session))
    assert status == 200 and call(bot, "GET", "/" + body["url"])[0] == 200
    for reference_asked, filename, key in ((reference, "draft.docx", new_session(bot)),  # another conversation
                                           (reference, "draft.json", session),  # not offered
                                           ("IDS-20250101-AAAAAAAAAAAAAAAA", "draft.docx", session),
                                           (f"../{reference}", "draft.docx", session)):
        status, _, body = call(bot, "POST", "/draft-link", {"reference": reference_asked, "file": filename},
                               keyed(key))
        assert status == 404 and "finns inte" in body["error"].lower(), (reference_asked, filename)
    for path in (f"/drafts/{reference}/draft.docx", f"/drafts/{reference}/draft.docx?session={session}",
                 f"/drafts/..%2F{reference}/draft.docx"):
        status, _, body = call(bot, "GET", path)
        assert status in (403, 404), path
    # The REST channel's conversations are not readable through the web channel.
    rest_sender = new_session(bot)
    bot.say(rest_sender, "hej")
    assert call(bot, "GET", "/history", headers=keyed(rest_sender))[2] == {"messages": []}


def test_cors_is_granted_only_to_the_allowed_origins(bot):
    preflight = {"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    status, headers, _ = call(bot, "OPTIONS", "/message", headers=preflight)
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "content-type" in headers["Access-Control-Allow-Headers"].lower()
    assert SESSION_HEADER.lower() in headers["Access-Control-Allow-Headers"].lower()
    status, headers, _ = call(bot, "OPTIONS", "/message", headers={**preflight, "Origin": OTHER_ORIGIN})
    assert "Access-Control-Allow-Origin" not in headers
    status, headers, _ = call(bot, "POST", "/session", {}, headers={"Origin": ALLOWED_ORIGIN})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Origin" in headers["Vary"]
    for origin in (OTHER_ORIGIN, "null", ALLOWED_ORIGIN + ".elak.example"):
        status, headers, _ = call(bot, "POST", "/session", {}, headers={"Origin": origin})
        assert status == 200
        assert "Access-Control-Allow-Origin" not in headers, origin
        assert "Access-Control-Allow-Credentials" not in headers
    status, headers, _ = call(bot, "GET", "/history", headers={"Origin": OTHER_ORIGIN, **keyed(new_session(bot))})
    assert "Access-Control-Allow-Origin" not in headers  # "*" in WEB_ALLOWED_ORIGINS was ignored


def test_demo_page_and_widget_files_are_served_with_security_headers(bot):
    status, headers, page = call(bot, "GET", "/demo")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    csp = headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    html = page.decode("utf-8")
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/webhooks/web/widget.js" defer>']
    assert "style=" not in html and not re.search(r"<[^>]*\son[a-z]+\s*=", html)  # no inline styles or handlers
    status, headers, script = call(bot, "GET", "/widget.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert headers["X-Content-Type-Options"] == "nosniff"
    code = re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", script.decode("utf-8"), flags=re.S))
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert unsafe not in code, unsafe  # text goes in with textContent only
    status, headers, _ = call(bot, "GET", "/widget.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")


def test_the_widget_privacy_notice_says_what_the_domain_says(domain):
    widget = fill_settings((ROOT / "web" / "widget.js").read_text(encoding="utf-8"))  # as the channel serves it
    notice = widget[widget.index("notice:"):widget.index("you:")]
    bot_notice = domain["responses"]["utter_privacy_notice"][0]["text"]
    for phrase in ("personuppgifter om enskilda personer", "personnummer", "kansli", "90 dagar",
                   "Personnummer tar jag bort automatiskt"):
        assert phrase in bot_notice, phrase
        assert phrase in notice, phrase


# ------------------------------------------------------------------------ browser
@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield chromium


@pytest.fixture
def new_page(browser):
    """A page in a fresh browser context (own sessionStorage); closed after the test."""
    with page_maker(browser, BOT_TURN_MS, viewport={"width": 1280, "height": 800}) as make:
        yield make


def demo_url(bot) -> str:
    return f"{bot.url}/webhooks/web/demo"


def open_widget(page, bot, reload=False):
    if reload:
        page.reload()
    else:
        page.goto(demo_url(bot))
    page.click("#finsam-launcher")
    page.wait_for_selector("#finsam-panel", state="visible")


def bot_count(page) -> int:
    return page.locator(".finsam-msg-bot").count()


def wait_for_reply(page, before: int) -> str:
    page.wait_for_function(
        "n => document.querySelectorAll('.finsam-msg-bot').length > n"
        " && !document.querySelector('.finsam-status.finsam-typing')", arg=before)
    return "\n".join(page.locator(".finsam-msg-bot .finsam-text").all_text_contents()[before:])


def chat(page, text: str) -> str:
    """Types a message, sends it with Enter and returns the bot's new messages."""
    before = bot_count(page)
    page.fill("#finsam-input", text)
    page.press("#finsam-input", "Enter")
    return wait_for_reply(page, before)


def click_quick_reply(page, title: str) -> str:
    before = bot_count(page)
    page.locator(".finsam-quick-reply", has_text=title).click()
    return wait_for_reply(page, before)


def focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {id: el.id, cls: el.className, text: el.textContent,
                outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
    }""")


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_eligibility_question_in_the_widget(bot, new_page):
    page = new_page()
    open_widget(page, bot)
    assert page.locator("#finsam-title").text_content() == "Finsam-assistenten (bot)"
    notice = page.locator("#finsam-notice")
    assert notice.is_visible() and "90 dagar" in notice.text_content() and "kansli" in notice.text_content()
    assert page.locator(".finsam-log").get_attribute("role") == "log"
    assert page.locator(".finsam-log").get_attribute("aria-live") == "polite"
    assert page.locator("label[for=finsam-input]").is_visible()
    # Record what the status region (the typing indicator) says while we wait.
    page.evaluate("""() => {
        window.__statusLog = [];
        const status = document.querySelector('.finsam-status');
        new MutationObserver(() => window.__statusLog.push(status.textContent))
            .observe(status, {childList: true, subtree: true, characterData: true});
    }""")
    answer = chat(page, "Vem kan söka medel?")
    assert "minst två" in answer and "huvudman" in answer
    announced = [text for text in page.evaluate("window.__statusLog") if text]
    # Said once (plus, on a slow machine, once that it takes longer), then cleared.
    assert announced[0] == "Finsam-assistenten skriver", announced
    assert len(announced) == len(set(announced)) and set(announced) <= {
        "Finsam-assistenten skriver", "Det tar längre tid än vanligt. Jag väntar fortfarande på svar …"}, announced
    assert page.locator(".finsam-status").text_content() == ""
    assert page.locator(".finsam-msg-user .finsam-text").all_text_contents() == ["Vem kan söka medel?"]
    assert focused(page)["id"] == "finsam-input"  # focus stays in the input after sending
    shot(page, "widget-eligibility")
    assert page.errors == []


def test_a_quick_reply_sends_its_payload_and_shows_its_title(bot, new_page):
    page = new_page()
    open_widget(page, bot)
    chat(page, "hej")
    buttons = page.locator(".finsam-quick-reply")
    assert buttons.count() >= 2
    assert page.evaluate("() => [...document.querySelectorAll('.finsam-quick-reply')]"
                         ".every(b => b.tagName === 'BUTTON' && b.type === 'button')")
    shot(page, "widget-quick-replies")
    answer = click_quick_reply(page, "Vem kan söka medel?")
    assert "minst två" in answer
    assert page.locator(".finsam-msg-user .finsam-text").last.text_content() == "Vem kan söka medel?"
    assert page.locator(".finsam-quick-reply").count() == 0  # used up
    assert focused(page)["id"] == "finsam-input"


def test_idea_sketch_survives_a_reload_and_ends_with_a_docx_download(bot, new_page):
    page = new_page()
    open_widget(page, bot)
    assert "Fråga 1 av 8" in chat(page, "jag har en idé")
    assert "Fråga 2 av 8" in chat(page, "Gemensam väg till arbete")
    assert "Fråga 3 av 8" in chat(page, "vet inte")
    before = page.locator(".finsam-msg").all_text_contents()
    session = page.evaluate("sessionStorage.getItem('finsam-chat-session')")
    assert SESSION_FORMAT.match(session)
    assert page.evaluate("localStorage.getItem('finsam-chat-session')") is None  # not kept past the tab

    open_widget(page, bot, reload=True)
    page.wait_for_function("n => document.querySelectorAll('.finsam-msg').length >= n", arg=len(before))
    assert page.locator(".finsam-msg").all_text_contents() == before  # the same conversation again
    assert "Fråga 3 av 8" in page.locator(".finsam-msg-bot .finsam-text").last.text_content()
    assert page.evaluate("sessionStorage.getItem('finsam-chat-session')") == session
    shot(page, "widget-after-reload")

    # The form carries on at question 3.
    assert "Fråga 4 av 8" in chat(page, "hoppa över")
    for n in range(9):  # questions 4-8, parties, name, organisation, role
        reply = chat(page, SKIPS[n % 2])
    assert "e-postadress" in reply
    assert "inte ut som en e-postadress" in chat(page, "ingen adress")
    summary = chat(page, "anna@example.se")
    assert "Här är din idéskiss" in summary and "Gemensam väg till arbete" in summary
    done = click_quick_reply(page, "Skicka till kansliet")
    reference = re.search(r"IDS-\d{8}-[A-Z2-7]{16}", done).group(0)
    link = page.locator(".finsam-download")
    assert link.count() == 1 and link.text_content() == "Ladda ner utkastet (Word, draft.docx)"
    shot(page, "widget-draft-done")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"ideskiss-{reference}.docx"
    document = docx.Document(download.path())
    assert "Gemensam väg till arbete" in "\n".join(p.text for p in document.paragraphs)

    # After another reload the link is still there, for this conversation only.
    open_widget(page, bot, reload=True)
    page.wait_for_selector(".finsam-download")
    href = page.locator(".finsam-download").get_attribute("href")
    assert f"/drafts/{reference}/draft.docx?expires=" in href and session not in href
    assert page.request.get(href).status == 200  # a signed link, valid for a few minutes
    forged = re.sub(r"sig=[0-9a-f]+", "sig=" + "0" * 64, href)
    assert page.request.get(forged).status == 403


def test_end_and_forget_ends_the_conversation_in_the_browser_and_on_the_server(bot, new_page):
    page = new_page()
    open_widget(page, bot)
    chat(page, "Vårt projekt heter Kornblixten")
    session = page.evaluate("sessionStorage.getItem('finsam-chat-session')")
    assert SESSION_FORMAT.match(session) and "Kornblixten" in stored_events(bot, session)
    # The key lives only as long as the tab: a new tab of the same browser starts afresh.
    other_tab = page.context.new_page()
    open_widget(other_tab, bot)
    assert other_tab.evaluate("sessionStorage.getItem('finsam-chat-session')") is None
    assert other_tab.locator(".finsam-msg").count() == 0
    other_tab.close()

    end = page.get_by_role("button", name="Avsluta och glöm samtalet")
    assert end.is_visible() and end.text_content() == "Avsluta och glöm"
    shot(page, "widget-end-and-forget")
    with page.expect_response("**/webhooks/web/end") as ended:
        end.click()
    assert ended.value.status == 200
    assert page.locator(".finsam-msg").count() == 0
    page.wait_for_function("() => document.querySelector('.finsam-status').textContent.includes('raderat')")
    assert "avslutat" in page.locator(".finsam-status").text_content()
    assert page.evaluate("sessionStorage.getItem('finsam-chat-session')") is None
    assert "Kornblixten" not in stored_events(bot, session)  # erased from the tracker database itself
    # The server refuses the old key from now on, on any device that might have copied it.
    status, _, body = call(bot, "GET", "/history", headers=keyed(session))
    assert status == 400 and "avslutat" in body["error"]
    # Writing again starts a new conversation with a new key.
    assert "minst två" in chat(page, "Vem kan söka medel?")
    assert page.evaluate("sessionStorage.getItem('finsam-chat-session')") not in (None, session)
    assert page.errors == []


def test_a_fortsattningskod_continues_the_sketch_in_another_browser(bot, new_page):
    """Issue 9 item 6 in the widget: the key dies with the tab, the one-time code carries the sketch."""
    page = new_page()
    open_widget(page, bot)
    chat(page, "jag har en idé")
    assert "Fråga 2 av 8" in chat(page, "Vägen till Kornblixten")
    old = page.evaluate("sessionStorage.getItem('finsam-chat-session')")
    before = bot_count(page)
    page.get_by_role("button", name="Spara och fortsätt senare").click()
    text = wait_for_reply(page, before)
    code = page.locator(".finsam-code-value").last.text_content()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code) and code in text
    shot(page, "widget-resume-code")
    # The code is shown once and kept nowhere in the browser.
    storage = page.evaluate("JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage)])")
    assert code not in storage and code not in stored_events(bot, old)
    page.context.close()

    other = new_page()  # another browser profile, no key at all
    open_widget(other, bot)
    assert other.locator(".finsam-msg").count() == 0
    other.get_by_role("button", name="Fortsätt med en kod").click()
    assert other.locator("#finsam-resume-form").is_visible()
    assert focused(other)["id"] == "finsam-code"
    other.fill("#finsam-code", "fel-kod")
    other.press("#finsam-code", "Enter")
    other.wait_for_function("() => document.querySelector('#finsam-code-error').textContent.length > 0")
    assert "stämmer inte" in other.locator("#finsam-code-error").text_content()
    other.fill("#finsam-code", code.lower())
    other.press("#finsam-code", "Enter")
    other.wait_for_function("() => [...document.querySelectorAll('.finsam-msg-bot .finsam-text')]"
                            ".some(n => n.textContent.includes('Välkommen tillbaka'))")
    shown = other.locator(".finsam-msg .finsam-text").all_text_contents()
    assert "Vägen till Kornblixten" in shown  # the earlier messages
    welcome = next(t for t in shown if "Välkommen tillbaka" in t)
    assert welcome.startswith("Välkommen tillbaka – vi var på fråga 2")
    assert "Fråga 2 av 8" in shown[-1]
    assert other.locator("#finsam-resume-form").is_hidden()
    new = other.evaluate("sessionStorage.getItem('finsam-chat-session')")
    assert SESSION_FORMAT.match(new) and new != old
    assert "Fråga 3 av 8" in chat(other, "Unga vuxna hamnar mellan stolarna.")
    shot(other, "widget-resumed")
    assert other.errors == []


def test_the_widget_works_with_the_keyboard_alone(bot, new_page):
    page = new_page()
    page.goto(demo_url(bot))
    for _ in range(20):
        page.keyboard.press("Tab")
        if focused(page)["id"] == "finsam-launcher":
            break
    state = focused(page)
    assert state["id"] == "finsam-launcher", "Tab når inte chattknappen"
    assert state["outline"] == "solid" and state["width"] >= 2  # a clearly visible focus outline
    shot(page, "keyboard-launcher-focus")
    page.keyboard.press("Enter")
    assert page.locator("#finsam-panel").is_visible()
    assert page.locator("#finsam-launcher").get_attribute("aria-expanded") == "true"
    assert focused(page)["id"] == "finsam-input"

    before = bot_count(page)
    page.keyboard.type("hej")
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    assert focused(page)["id"] == "finsam-input"
    page.locator(".finsam-quick-reply").first.wait_for()

    # The quick replies come right before the input: Shift+Tab reaches them.
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        if "finsam-quick-reply" in focused(page)["cls"]:
            break
    state = focused(page)
    assert "finsam-quick-reply" in state["cls"], state
    assert state["outline"] == "solid" and state["width"] >= 2
    shot(page, "keyboard-quick-reply-focus")
    before = bot_count(page)
    page.keyboard.press("Enter")
    wait_for_reply(page, before)
    assert page.locator(".finsam-msg-user .finsam-text").last.text_content() == state["text"]
    assert focused(page)["id"] == "finsam-input"

    page.keyboard.press("Escape")
    assert page.locator("#finsam-panel").is_hidden()
    assert focused(page)["id"] == "finsam-launcher"
    assert page.locator("#finsam-launcher").get_attribute("aria-expanded") == "false"


def test_an_html_payload_is_shown_as_literal_text(bot, new_page):
    # Without the demo page's CSP, so that only the widget itself stands between the payload and the page.
    page = new_page(bypass_csp=True)
    open_widget(page, bot)
    chat(page, XSS)
    assert page.locator(".finsam-msg-user .finsam-text").last.text_content() == XSS
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator(".finsam-chat img, .finsam-chat script").count() == 0
    open_widget(page, bot, reload=True)  # the history is rendered as text too
    page.locator(".finsam-msg-user").first.wait_for()
    assert page.locator(".finsam-msg-user .finsam-text").first.text_content() == XSS
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator(".finsam-chat img, .finsam-chat script").count() == 0
    shot(page, "widget-xss-as-text")


def test_axe_core_finds_no_violations(bot, new_page, capsys):
    require_tool("axe-core", AXE.exists(), "npm ci")
    page = new_page()
    open_widget(page, bot)
    chat(page, "hej")  # a conversation with quick replies on screen
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
        .then(r => ({
            version: r.testEngine.version,
            violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                targets: v.nodes.map(n => n.target.join(' '))})),
            passes: r.passes.length,
            incomplete: r.incomplete.map(v => v.id),
            inapplicable: r.inapplicable.length}))""", AXE_TAGS)
    by_impact = Counter(v["impact"] for v in result["violations"])
    summary = (f"axe-core {result['version']} ({', '.join(AXE_TAGS)}), open widget on the demo page: "
               f"{len(result['violations'])} violations "
               f"(critical {by_impact['critical']}, serious {by_impact['serious']}, "
               f"moderate {by_impact['moderate']}, minor {by_impact['minor']}), "
               f"{result['passes']} rules passed, {len(result['incomplete'])} need review "
               f"{result['incomplete']}, {result['inapplicable']} inapplicable")
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "axe-report.json").write_text(json.dumps({"summary": summary, **result}, indent=2,
                                                                   ensure_ascii=False), encoding="utf-8")
    with capsys.disabled():
        print("\n" + summary)
        for violation in result["violations"]:
            print(f"  {violation['impact']}: {violation['id']} – {violation['help']} {violation['targets'][:3]}")
    shot(page, "widget-axe")
    assert result["violations"] == [], result["violations"]  # none at all, whatever their impact


@pytest.mark.parametrize("name, viewport, scale", [
    ("320px", {"width": 320, "height": 640}, 1),
    # 200 % zoom of a 1280 x 720 window: half as many CSS pixels, each drawn twice as large.
    ("zoom-200", {"width": 640, "height": 360}, 2),
])
def test_small_screens_and_zoom_keep_the_input_and_send_button_usable(bot, new_page, name, viewport, scale):
    page = new_page(viewport=viewport, device_scale_factor=scale)
    open_widget(page, bot)
    chat(page, "hej")
    for selector in ("#finsam-input", ".finsam-send"):
        element = page.locator(selector)
        assert element.is_visible(), selector
        box = element.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5, (selector, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 0.5, (selector, box)
    panel = page.locator("#finsam-panel").bounding_box()
    assert panel["width"] == pytest.approx(viewport["width"], abs=1)  # full width
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shot(page, f"widget-{name}")
    answer = chat(page, "Vem kan söka medel?")
    assert "minst två" in answer


def test_a_failed_or_slow_request_shows_a_swedish_error_with_retry(bot, new_page):
    page = new_page()
    page.add_init_script("window.FinsamChatConfig = {slowMs: 300, timeoutMs: 2000};")
    open_widget(page, bot)

    page.route("**/webhooks/web/message", lambda route: route.abort("failed"))
    page.fill("#finsam-input", "Vem kan söka medel?")
    page.press("#finsam-input", "Enter")
    error = page.locator(".finsam-error")
    error.wait_for(state="visible")
    assert "Jag fick inget svar från servern" in error.text_content()
    assert page.locator(".finsam-error-text").get_attribute("role") == "alert"
    shot(page, "widget-error")
    page.unroute("**/webhooks/web/message")
    before = bot_count(page)
    page.locator(".finsam-retry").click()
    assert "minst två" in wait_for_reply(page, before)
    assert error.is_hidden()
    assert page.locator(".finsam-msg-user").count() == 1  # the retry did not repeat the message on screen

    held = []
    page.route("**/webhooks/web/message", lambda route: held.append(route))
    started = time.monotonic()
    page.fill("#finsam-input", "Vilka kriterier gäller?")
    page.press("#finsam-input", "Enter")
    page.wait_for_function("() => document.querySelector('.finsam-status').textContent.includes('längre tid')")
    error.wait_for(state="visible")
    assert "dröjde för länge" in error.text_content() and time.monotonic() - started < 20
    page.unroute("**/webhooks/web/message")
    for route in held:
        try:
            route.abort()
        except Exception:
            pass
    before = bot_count(page)
    page.locator(".finsam-retry").click()
    assert wait_for_reply(page, before).strip()
    assert page.errors == []
