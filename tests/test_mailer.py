"""E-mail delivery to the kansli, against a real local SMTP server (aiosmtpd)."""
import email
import email.policy
import socket
from datetime import datetime, timezone

import pytest
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, given, settings
from markupsafe import escape
from test_actions import COMPLETE
from test_draft import sketch_answers

from finsam import mailer
from finsam.draft import DraftStore

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_no_smtp_configured_means_no_mail():
    assert mailer.settings_from_env({}) is None
    assert mailer.settings_from_env({"SMTP_HOST": "", "KANSLI_EMAIL": " "}) is None
    # Half a configuration is an error at start (tests/test_faults_mail.py), not a silent no-mail.
    with pytest.raises(ValueError, match="KANSLI_EMAIL"):
        mailer.settings_from_env({"SMTP_HOST": "x"})


def test_bad_security_setting_is_refused():
    with pytest.raises(ValueError, match="SMTP_SECURITY"):
        mailer.settings_from_env({"SMTP_HOST": "x", "KANSLI_EMAIL": "k@x.se", "SMTP_SECURITY": "tls1"})


def test_draft_is_mailed_with_the_docx_attached(smtp_server, tmp_path, knowledge):
    controller, inbox = smtp_server
    settings = mailer.settings_from_env({
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port), "SMTP_SECURITY": "none",
        "KANSLI_EMAIL": "kansli@example.se", "SMTP_FROM": "bot@example.se"})
    stored, draft = DraftStore(tmp_path).submit("c", COMPLETE, knowledge.idea_sketch, [])
    mailer.send_draft(settings, stored, draft)
    [(recipients, raw)] = inbox.messages
    assert recipients == ["kansli@example.se"]
    message = email.message_from_bytes(raw)
    assert stored.reference in message["Subject"]
    attachments = [part for part in message.walk() if part.get_filename()]
    assert len(attachments) == 1
    assert attachments[0].get_content_type().endswith("wordprocessingml.document")
    assert attachments[0].get_payload(decode=True) == stored.docx.read_bytes()
    body = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    assert "Gemensam väg" in body.get_payload(decode=True).decode("utf-8")


def settings_for(controller):
    return mailer.settings_from_env({
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port), "SMTP_SECURITY": "none",
        "KANSLI_EMAIL": "kansli@example.se", "SMTP_FROM": "bot@example.se"})


def parts(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    plain = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(preferencelist=("html",)).get_content()
    # Python folds a long subject before an encoded word and leaves two spaces when unfolded.
    return " ".join(message["Subject"].split()), message, plain, html


HOSTILE = dict(COMPLETE, title='Väg <b>ett</b> & "två"',
               background="Rad ett.\n- Rad två med <script>alert(1)</script> och 1. en siffra.",
               organisation="Karlshamns kommun <img src=x onerror=alert(1)>")


def test_mail_has_a_readable_text_part_and_an_escaped_html_part(smtp_server, tmp_path, knowledge):
    controller, inbox = smtp_server
    stored, draft = DraftStore(tmp_path).submit("c", HOSTILE, knowledge.idea_sketch, [], now=NOW)
    mailer.send_draft(settings_for(controller), stored, draft)
    [(_, raw)] = inbox.messages
    subject, message, plain, html = parts(raw)
    assert subject == f'Ny idéskiss {stored.reference}: Väg <b>ett</b> & "två"'
    # Plain text as a person reads it: no Markdown escapes, every heading and answer in order.
    assert "\\" not in plain and "*" not in plain and "&lt;" not in plain
    assert "Rad ett.\n- Rad två med <script>alert(1)</script> och 1. en siffra." in plain
    assert "Skapad: 24 november 2026 kl. 10.30" in plain
    assert "2. Bakgrund (vilka hinder eller lösningar finns/har funnit?)\nRad ett." in plain
    assert plain.index("1. Arbetstitel på idén") < plain.index("8. Hur förankras projektidén") < plain.index(
        "Förgranskning")
    assert "6. Hur mäts förändring" in plain and "Öppen fråga – inte besvarad ännu." in plain
    assert "Organisation: Karlshamns kommun <img src=x onerror=alert(1)>" in plain
    # HTML: every user text escaped, nothing of it runs.
    assert "<script>" not in html and "<img" not in html and "<b>ett" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Väg &lt;b&gt;ett&lt;/b&gt; &amp; &#34;två&#34;" in html
    assert "Rad ett.<br>- Rad två" in html
    attachments = [part for part in message.walk() if part.get_filename()]
    assert [a.get_content_type() for a in attachments] == ["application/" + mailer.DOCX_TYPE[1]]
    assert attachments[0].get_payload(decode=True) == stored.docx.read_bytes()


def test_a_new_version_says_so_and_names_what_changed(smtp_server, tmp_path, knowledge):
    controller, inbox = smtp_server
    store = DraftStore(tmp_path)
    first, _ = store.submit("c", COMPLETE, knowledge.idea_sketch, [], now=NOW)
    edited = dict(COMPLETE, background="Ny bakgrund: unga bollas mellan myndigheterna.", role="Projektledare")
    second, draft = store.submit("c", edited, knowledge.idea_sketch, [], now=NOW, reference=first.reference)
    mailer.send_draft(settings_for(controller), second, draft)
    [(_, raw)] = inbox.messages
    subject, message, plain, html = parts(raw)
    assert subject == f"Ny version av {first.reference} (version 2): Gemensam väg"
    assert f"ny version av {first.reference}" in plain and "Version: 2 (ersätter version 1)" in plain
    changed = plain.split("Ändrat sedan förra versionen:")[1].split("\n\n")[0]
    assert changed.strip().splitlines() == ["• 2. Bakgrund (vilka hinder eller lösningar finns/har funnit?)",
                                            "• Roll"]
    assert f"ny version av {first.reference}" in html and "<li>Roll</li>" in html
    attachment = next(part for part in message.walk() if part.get_filename())
    assert attachment.get_filename() == f"idéskiss-{first.reference}-v2.docx"
    assert attachment.get_payload(decode=True) == second.docx.read_bytes()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=sketch_answers)
def test_any_text_gives_a_mail_that_can_be_sent(tmp_path_factory, knowledge, answers):
    stored, draft = DraftStore(tmp_path_factory.mktemp("fuzz-mail")).submit("fuzz", answers, knowledge.idea_sketch, [])
    settings_ = mailer.settings_from_env({"SMTP_HOST": "x", "KANSLI_EMAIL": "kansli@example.se"})
    raw = mailer.build_message(settings_, stored, draft).as_bytes()  # what smtplib sends
    _, _, plain, html = parts(raw)
    assert draft["questions"][1]["heading"] in plain
    for question in draft["questions"]:
        for line in (question["answer"] or "").split("\n"):
            assert line in plain and str(escape(line)) in html
