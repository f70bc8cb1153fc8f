"""Replies to the idea maker: an editable Swedish template, sent through the configured SMTP.

SMTP settings are the bot's (finsam/mailer.py): SMTP_HOST, SMTP_PORT, SMTP_SECURITY, SMTP_USER,
SMTP_PASSWORD, SMTP_FROM (else KANSLI_EMAIL) as the sender.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Mapping, Optional

from finsam.mailer import SmtpSettings

TEMPLATE_KEY = "reply_template"
DEFAULT_SUBJECT = "Din idéskiss {referens}: {titel}"
DEFAULT_BODY = """Hej {namn}!

Tack för din idéskiss "{titel}" (referens {referens}). Vi på förbundets kansli har läst den.

[Skriv kansliets återkoppling här.]

Hör gärna av dig om du har frågor. När idén är mer utvecklad kan den bli en formell projektansökan.

Vänliga hälsningar
{avsandare}
Samordningsförbundet i Blekinge
"""
PLACEHOLDERS = ("namn", "titel", "referens", "avsandare")


def smtp_settings(env: Mapping[str, str] = os.environ) -> Optional[SmtpSettings]:
    host = env.get("SMTP_HOST")
    sender = env.get("SMTP_FROM") or env.get("KANSLI_EMAIL")
    if not host or not sender:
        return None
    security = (env.get("SMTP_SECURITY") or "starttls").lower()
    if security not in {"starttls", "ssl", "none"}:
        raise ValueError("SMTP_SECURITY ska vara starttls, ssl eller none")
    return SmtpSettings(host=host, port=int(env.get("SMTP_PORT") or (465 if security == "ssl" else 587)),
                        recipient="", sender=sender, user=env.get("SMTP_USER") or None,
                        password=env.get("SMTP_PASSWORD") or None, security=security)


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace the known {placeholders} only (no format(): the template is user-editable)."""
    for name in PLACEHOLDERS:
        template = template.replace("{" + name + "}", values.get(name, ""))
    return template


def one_line(text: str, limit: int = 200) -> str:
    return " ".join(str(text).split())[:limit]


def send_reply(settings: SmtpSettings, recipient: str, subject: str, body: str) -> str:
    """Send synchronously; returns the Message-ID."""
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = formataddr(("Samordningsförbundet i Blekinge", settings.sender))
    message["To"] = one_line(recipient, 300)
    message["Message-ID"] = make_msgid(domain="kansli.finsam.local")
    message.set_content(body)
    if settings.security == "ssl":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with client:
        if settings.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.user:
            client.login(settings.user, settings.password or "")
        client.send_message(message)
    return message["Message-ID"]
