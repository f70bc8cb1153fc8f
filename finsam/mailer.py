"""E-mail a stored draft to the kansli when SMTP is configured in the environment.

Pure module (no rasa_sdk). Settings come only from the environment:
  SMTP_HOST, SMTP_PORT (587), SMTP_USER, SMTP_PASSWORD, SMTP_SECURITY (starttls|ssl|none,
  default starttls), SMTP_FROM, KANSLI_EMAIL (the recipient).
Without SMTP_HOST and KANSLI_EMAIL the draft simply waits in the drafts folder.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Mapping, Optional

from finsam.draft import StoredDraft

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


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
    host, recipient = env.get("SMTP_HOST"), env.get("KANSLI_EMAIL")
    if not host or not recipient:
        return None
    security = env.get("SMTP_SECURITY", "starttls").lower()
    if security not in {"starttls", "ssl", "none"}:
        raise ValueError("SMTP_SECURITY ska vara starttls, ssl eller none")
    return SmtpSettings(
        host=host,
        port=int(env.get("SMTP_PORT") or (465 if security == "ssl" else 587)),
        recipient=recipient,
        sender=env.get("SMTP_FROM") or recipient,
        user=env.get("SMTP_USER") or None,
        password=env.get("SMTP_PASSWORD") or None,
        security=security,
    )


def build_message(settings: SmtpSettings, stored: StoredDraft, draft: dict) -> EmailMessage:
    message = EmailMessage()
    # The subject carries no user text beyond the title, stripped of line breaks.
    title = " ".join(str(draft["title"]).split())[:120]
    message["Subject"] = f"Ny idéskiss {stored.reference}: {title}"
    message["From"] = settings.sender
    message["To"] = settings.recipient
    message.set_content(
        "Hej!\n\nEn ny idéskiss har skrivits med förbundets assistent och väntar på granskning.\n\n"
        f"Referens: {stored.reference}\n\n"
        "Utkastet finns bifogat som Word-dokument, och i Markdown nedan.\n\n"
        + stored.markdown.read_text(encoding="utf-8")
    )
    message.add_attachment(stored.docx.read_bytes(), maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1],
                           filename=f"idéskiss-{stored.reference}.docx")
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
