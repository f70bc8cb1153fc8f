"""The kansli and the real bot together: an answer edited in the workspace (headless Chromium) is what
the bot says over REST on the next question, without a restart, and the undo brings the old answer
back; a question the bot cannot answer shows up under Obesvarade frågor. Both processes use a private
copy of knowledge/ (KNOWLEDGE_DIR) and the bot's private SQLite tracker store."""
from __future__ import annotations

import shutil

import pytest
from conftest import ROOT, trained_model
from kansli_fixtures import KansliServer, browser  # noqa: F401
from kansli_site import NAME, PASSWORD, SECRET, USER, login, new_page
from live import LiveBot, texts

from kansli.auth import create_user
from kansli.db import session_scope

FIXTURES = (browser, new_page)
QUESTION = "Vem kan söka medel hos förbundet?"
UNANSWERABLE = "Hur mycket pengar kan man max få för ett projekt?"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kansli-live")
    knowledge = tmp / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    (tmp / "bot").mkdir()
    bot = LiveBot(tmp / "bot", trained_model(),
                  extra_env={"KNOWLEDGE_DIR": str(knowledge)}).start()
    url = f"sqlite:///{tmp / 'kansli.db'}"
    kansli = KansliServer(tmp, {"KANSLI_DATABASE_URL": url, "DRAFTS_DIR": str(tmp / "drafts"),
                                "KANSLI_TRACKER_DB_URL": f"sqlite:///{bot.env['TRACKER_DB']}",
                                "KANSLI_SECRET_KEY": SECRET, "KNOWLEDGE_DIR": str(knowledge),
                                "KANSLI_REVIEW_FILE": str(tmp / "review.yml")})
    kansli.start()
    with session_scope(url) as session:
        create_user(session, USER, NAME, PASSWORD)
    yield bot, kansli, knowledge
    kansli.stop()
    bot.stop()


def test_an_edited_answer_is_what_the_bot_says_over_rest_and_undo_restores_it(pair, new_page):
    bot, kansli, knowledge = pair
    before = texts(bot.say("kansli-live-1", QUESTION))
    assert "Alla parter som är medlemmar i Samordningsförbundet kan söka medel" in before
    page = login(new_page(), kansli)
    page.goto(f"{kansli.url}/kunskap/who_can_apply")
    page.fill("#answer", page.locator("#answer").input_value().replace(
        "Alla parter som är medlemmar", "Samtliga parter som är medlemmar"))
    page.click("button[value=spara]")
    page.wait_for_url("**/kunskap/who_can_apply?sparad=1")
    assert "Svaret är sparat" in page.locator("[role=status]").inner_text()
    preview = page.locator(".bot-preview").inner_text()
    after = texts(bot.say("kansli-live-2", QUESTION))
    assert "Samtliga parter som är medlemmar i Samordningsförbundet kan söka medel" in after
    assert " ".join(preview.split()) in " ".join(after.split())  # the preview is what the bot said
    page.click("text=Ångra ändringen")
    page.wait_for_url("**/kunskap/who_can_apply?angrad=1")
    assert "Ändringen är ångrad" in page.locator("[role=status]").inner_text()
    assert texts(bot.say("kansli-live-3", QUESTION)) == before
    assert (knowledge / "faq.yml").read_bytes() == (ROOT / "knowledge" / "faq.yml").read_bytes()


def test_an_unanswerable_question_shows_up_under_obesvarade_fragor(pair, new_page):
    bot, kansli, _ = pair
    assert "framgår inte av förbundets underlag" in texts(bot.say("kansli-live-4", UNANSWERABLE))
    page = login(new_page(), kansli)
    page.goto(f"{kansli.url}/obesvarade")
    latest = page.locator("table.latest tbody").inner_text()
    assert UNANSWERABLE in latest and "kansli-live-4" not in page.content()
    assert "Inte i underlaget" in page.locator("table.latest tbody tr", has_text=UNANSWERABLE).inner_text()


def test_thumbs_down_in_the_widget_is_listed_with_its_question(pair, new_page):
    import json
    import urllib.error
    import urllib.request

    bot, kansli, _ = pair
    widget = new_page()
    widget.goto(f"{bot.url}/webhooks/web/demo")
    widget.click("#finsam-launcher")
    widget.fill("#finsam-input", "Vem kan söka medel?")
    widget.press("#finsam-input", "Enter")
    widget.wait_for_selector(".finsam-msg-bot .finsam-feedback")
    answer = widget.locator(".finsam-msg-bot", has=widget.locator(".finsam-feedback")).last
    assert "minst två" in answer.locator(".finsam-text").inner_text()
    assert widget.locator(".finsam-feedback-down").last.inner_text().startswith("👎")
    widget.locator(".finsam-feedback-down").last.click()
    widget.wait_for_function("() => document.body.innerText.includes('Tack för återkopplingen!')")
    assert widget.errors == []
    # A text the bot never said in this conversation cannot be rated.
    key = json.loads(urllib.request.urlopen(urllib.request.Request(
        f"{bot.url}/webhooks/web/session", data=b"{}", method="POST"), timeout=30).read())["session"]
    forged = urllib.request.Request(f"{bot.url}/webhooks/web/feedback", method="POST", data=json.dumps(
        {"answer": "Förbundet ger alla 10 miljoner.", "rating": "down"}).encode(),
        headers={"X-Finsam-Session": key, "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(forged, timeout=30)
        status = 200
    except urllib.error.HTTPError as error:
        status, body = error.code, json.loads(error.read())
    assert status == 404 and "finns inte i det här samtalet" in json.dumps(body, ensure_ascii=False)
    page = login(new_page(), kansli)
    page.goto(f"{kansli.url}/obesvarade")
    [row] = page.locator("table.thumbs-down tbody tr").all()
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "Vem kan söka medel?" and "minst två" in cells[2] and cells[3] == "web"
    assert "10 miljoner" not in page.content()
