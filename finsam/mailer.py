"""E-mail a stored draft to the kansli when SMTP is configured in the environment.

Pure module (no rasa_sdk). The mail is built from the draft's JSON data: a plain-text part
a person can read as it is, an HTML part in which every user text is escaped (Jinja2 with
autoescape), and the Word document attached. A new version of a draft says so in the
subject and lists the questions that changed.

Settings come only from the environment:
  SMTP_HOST, SMTP_PORT (587), SMTP_USER, SMTP_PASSWORD, SMTP_SECURITY (starttls|ssl|none,
  default starttls), SMTP_FROM, KANSLI_EMAIL (the recipient).
Without SMTP_HOST and KANSLI_EMAIL the draft simply waits in the drafts folder; with them, each
version goes through the outbox (finsam/outbox.py), which retries until the server takes it.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import List, Mapping, Optional

from jinja2 import Environment

from finsam.draft import StoredDraft
from finsam.draft_render import (
    INTRO,
    NO_SUGGESTIONS,
    OPEN_TEXT,
    PREREVIEW_HEADING,
    SUGGESTIONS_INTRO,
    changed_titles,
    details,
)

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")

_HTML = Environment(autoescape=True, keep_trailing_newline=True).from_string("""\
<!DOCTYPE html>
<html lang="sv">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: Calibri, Arial, sans-serif; line-height: 1.4; max-width: 48em;">
<p>Hej!</p>
{% for line in opening %}<p>{{ line }}</p>
{% endfor %}
{% if changed %}<p><strong>Ändrat sedan förra versionen:</strong></p>
<ul>{% for title in changed %}<li>{{ title }}</li>{% endfor %}</ul>
{% endif %}
<table style="border-collapse: collapse;">
{% for label, value in rows %}<tr><th style="text-align: left; padding: 2px 12px 2px 0; vertical-align: top;">\
{{ label }}</th><td style="padding: 2px 0;">{{ value }}</td></tr>
{% endfor %}</table>
<p>{{ intro }}</p>
{% for question in questions %}<h2 style="font-size: 1.1em;">{{ question.number }}. {{ question.heading }}</h2>
{% if question.open %}<p><em>{{ open_text }}</em></p>
{% else %}<p>{% for line in question.answer.split("\\n") %}{{ line }}{% if not loop.last %}<br>{% endif %}\
{% endfor %}</p>
{% endif %}{% endfor %}
<h2 style="font-size: 1.1em;">{{ prereview_heading }}</h2>
{% if suggestions %}<p>{{ suggestions_intro }}</p>
<ul>{% for text in suggestions %}<li>{{ text }}</li>{% endfor %}</ul>
{% else %}<p>{{ no_suggestions }}</p>
{% endif %}{% if open_questions %}<p>Öppna frågor: {{ open_questions }}.</p>
{% endif %}<p>Word-dokumentet är bifogat.</p>
</body>
</html>
""")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    recipient: str
    sender: str
    user: Optional[str] = None
    password: Optional[str] = None
    security: str = "starttls"
    timeout: float = 15.0


def settings_from_env(env: Mapping[str, str] = os.environ) -> Optional[SmtpSettings]:
    """The SMTP settings, None when e-mail is not configured at all.

    Raises ValueError (Swedish, naming the variable) for settings that cannot work, so the
    action server refuses to start instead of failing after a draft was written.
    """
    host, recipient = (env.get("SMTP_HOST") or "").strip(), (env.get("KANSLI_EMAIL") or "").strip()
    if not host and not recipient:
        return None
    if not host:
        raise ValueError("KANSLI_EMAIL är satt men SMTP_HOST saknas: ange SMTP-servern (eller ta bort KANSLI_EMAIL)")
    if not recipient:
        raise ValueError("SMTP_HOST är satt men KANSLI_EMAIL saknas: ange kansliets e-postadress")
    if "@" not in recipient:
        raise ValueError("KANSLI_EMAIL ska vara en e-postadress")
    security = env.get("SMTP_SECURITY", "starttls").lower()
    if security not in {"starttls", "ssl", "none"}:
        raise ValueError("SMTP_SECURITY ska vara starttls, ssl eller none")
    port_text = (env.get("SMTP_PORT") or "").strip()
    if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise ValueError(f"SMTP_PORT ska vara ett portnummer (1–65535), inte {port_text[:20]!r}")
    if env.get("SMTP_PASSWORD") and not env.get("SMTP_USER"):
        raise ValueError("SMTP_PASSWORD är satt men SMTP_USER saknas")
    return SmtpSettings(
        host=host,
        port=int(port_text or (465 if security == "ssl" else 587)),
        recipient=recipient,
        sender=env.get("SMTP_FROM") or recipient,
        user=env.get("SMTP_USER") or None,
        password=env.get("SMTP_PASSWORD") or None,
        security=security,
    )


def subject(draft: dict) -> str:
    # The subject carries no user text beyond the title, on one line.
    title = " ".join(str(draft["title"]).split())[:120]
    if draft.get("replaces"):
        return f"Ny version av {draft['reference']} (version {draft['version']}): {title}"
    return f"Ny idéskiss {draft['reference']}: {title}"


def opening(draft: dict) -> List[str]:
    if draft.get("replaces"):
        return [f"Idémakaren har ändrat sin idéskiss: det här är en ny version av {draft['reference']} "
                f"(version {draft['version']}, ersätter version {draft['replaces']}). "
                "Den nya versionen gäller; den förra finns kvar i utkastmappen."]
    return ["En ny idéskiss har skrivits med förbundets assistent och väntar på granskning."]


def plain_text(draft: dict) -> str:
    """The draft as a person reads it in any mail program: no markup, no escapes."""
    out = ["Hej!", ""]
    for line in opening(draft):
        out += [line, ""]
    changed = changed_titles(draft)
    if changed:
        out += ["Ändrat sedan förra versionen:"] + [f"• {title}" for title in changed] + [""]
    out += [f"{label}: {value}" for label, value in details(draft)]
    out += ["", INTRO, ""]
    for question in draft["questions"]:
        out += [f"{question['number']}. {question['heading']}", OPEN_TEXT if question["open"] else question["answer"],
                ""]
    out += [PREREVIEW_HEADING]
    if draft["suggestions"]:
        out += [SUGGESTIONS_INTRO] + [f"• {s['text']}" for s in draft["suggestions"]]
    else:
        out.append(NO_SUGGESTIONS)
    if draft["open_questions"]:
        out += ["", "Öppna frågor: " + ", ".join(str(n) for n in draft["open_questions"]) + "."]
    out += ["", "Word-dokumentet är bifogat."]
    return "\n".join(out) + "\n"


def html_text(draft: dict) -> str:
    return _HTML.render(
        subject=subject(draft), opening=opening(draft), changed=changed_titles(draft), rows=details(draft),
        intro=INTRO, questions=draft["questions"], open_text=OPEN_TEXT, prereview_heading=PREREVIEW_HEADING,
        suggestions=[s["text"] for s in draft["suggestions"]], suggestions_intro=SUGGESTIONS_INTRO,
        no_suggestions=NO_SUGGESTIONS, open_questions=", ".join(str(n) for n in draft["open_questions"]))


def build_message(settings: SmtpSettings, stored: StoredDraft, draft: dict) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject(draft)
    message["From"] = settings.sender
    message["To"] = settings.recipient
    # The same id for every attempt at this version: a resend after a crash is a duplicate
    # the receiving mail system can recognise (finsam/outbox.py).
    message["Message-ID"] = f"<{draft['reference']}-v{draft.get('version', 1)}@finsam-ideskiss>"
    message.set_content(plain_text(draft))
    message.add_alternative(html_text(draft), subtype="html")
    version = f"-v{draft['version']}" if draft.get("replaces") else ""
    message.add_attachment(stored.docx.read_bytes(), maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1],
                           filename=f"idéskiss-{stored.reference}{version}.docx")
    return message


def send_draft(settings: SmtpSettings, stored: StoredDraft, draft: dict) -> None:
    """Send synchronously (call it in a worker thread from async code)."""
    message = build_message(settings, stored, draft)
    context = ssl.create_default_context()
    if settings.security == "ssl":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with client:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password or "")
        client.send_message(message)


def sender_for(settings: SmtpSettings):
    """`send(stored, draft)` for finsam.outbox.Outbox.deliver_pending."""
    return lambda stored, draft: send_draft(settings, stored, draft)
