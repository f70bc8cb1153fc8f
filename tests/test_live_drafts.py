"""Drafts through the real stack (REST channel, Rasa, action server): submit, edit an
answer, submit again -> version 2 of the same reference on disk and in the kansli's mail."""
import email
import email.policy
import json
import time

import docx
import pytest
from aiosmtpd.controller import Controller
from conftest import ROOT, trained_model
from live import LiveBot, free_port, texts
from test_live_bot import FORM_ANSWERS, QUESTION_MARKERS, answer_all, start_sketch, submit

NEW_BACKGROUND = "Många unga bollas mellan FK, vården och kommunen i flera år utan samordnat stöd."


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture(scope="module")
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture(scope="module")
def bot(tmp_path_factory, inbox):
    controller, _ = inbox
    live = LiveBot(tmp_path_factory.mktemp("live-drafts"), trained_model(), extra_env={
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port), "SMTP_SECURITY": "none",
        "KANSLI_EMAIL": "kansli@example.se", "SMTP_FROM": "idéskiss@example.se",
        "OUTBOX_RETRY_SECONDS": "5"}).start()
    yield live
    live.stop()


def delivered(mails, count: int, seconds: float = 30):
    """The mails once `count` have arrived. The outbox (finsam/outbox.py) sends in the background,
    one delivery pass at a time, so on a busy machine a mail can trail the bot's reply."""
    deadline = time.monotonic() + seconds
    while len(mails.messages) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return list(mails.messages)


def plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def test_editing_after_submitting_gives_version_2_of_the_same_draft(bot, inbox):
    _, mails = inbox
    sender = "live-drafts-version"
    start_sketch(bot, sender)
    answer_all(bot, sender)
    reference, reply = submit(bot, sender)
    assert reference in reply
    folder = ROOT / bot.env["DRAFTS_DIR"] / reference
    assert sorted(p.name for p in folder.iterdir()) == ["draft.docx", "draft.json", "draft.md", "v1"]
    [first_mail] = delivered(mails, 1)
    assert " ".join(first_mail["Subject"].split()) == f"Ny idéskiss {reference}: {FORM_ANSWERS[0][1]}"

    # "Ändra ett svar" -> "Bakgrund" (the buttons' payloads), then the new answer.
    reply = texts(bot.say(sender, '/edit_answer{"sketch_field": "background"}'))
    assert QUESTION_MARKERS["background"] in reply
    summary = texts(bot.say(sender, NEW_BACKGROUND))
    assert "Här är din idéskiss" in summary and NEW_BACKGROUND in summary
    again, reply = submit(bot, sender)
    assert again == reference and f"version 2 av {reference}" in reply

    assert sorted(p.name for p in folder.iterdir()) == ["draft.docx", "draft.json", "draft.md", "v1", "v2"]
    v1 = json.loads((folder / "v1" / "draft.json").read_text(encoding="utf-8"))
    current = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
    assert current == json.loads((folder / "v2" / "draft.json").read_text(encoding="utf-8"))
    assert (v1["version"], v1["replaces"]) == (1, None)
    assert (current["version"], current["replaces"], current["changed_fields"]) == (2, 1, ["background"])
    assert current["reference"] == v1["reference"] == reference
    assert v1["questions"][1]["answer"] == FORM_ANSWERS[1][1]
    assert current["questions"][1]["answer"] == NEW_BACKGROUND
    document = docx.Document(str(folder / "draft.docx"))
    assert NEW_BACKGROUND in [p.text for p in document.paragraphs]
    assert document.core_properties.author == "Samordningsförbundet i Blekinge"

    first, second = delivered(mails, 2)
    assert " ".join(second["Subject"].split()) == f"Ny version av {reference} (version 2): {FORM_ANSWERS[0][1]}"
    body = plain(second)
    assert f"ny version av {reference}" in body
    assert "Ändrat sedan förra versionen:\n• 2. Bakgrund (vilka hinder eller lösningar finns/har funnit?)\n\n" in body

    # "Skicka" once more with nothing changed: no version 3, no third mail.
    again, reply = submit(bot, sender)
    assert again == reference and "redan inskickad" in reply
    assert sorted(p.name for p in folder.glob("v*")) == ["v1", "v2"]
    assert len(mails.messages) == 2
    assert [p.name for p in folder.parent.iterdir() if not p.name.startswith(".")] == [reference]
