"""E-mail delivery to the kansli, against a real local SMTP server (aiosmtpd)."""
import email
import socket

import pytest
from aiosmtpd.controller import Controller
from test_actions import COMPLETE

from finsam import mailer
from finsam.draft import DraftStore


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
    assert mailer.settings_from_env({"SMTP_HOST": "x"}) is None


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
