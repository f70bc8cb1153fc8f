"""Inbox, a draft's page, downloads, status, internal comments, replies and erasure of one draft."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from kansli import erasure, mail, records
from kansli.auth import audit, login_required
from kansli.db import session_scope
from kansli.models import STATUSES, TRANSITIONS, Case, CaseEvent, Setting, utcnow
from kansli.web import render

logger = logging.getLogger(__name__)
PAGE_SIZE = 200
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def import_now(app) -> int:
    try:
        return await asyncio.to_thread(records.import_drafts, app.state.db_url, app.state.drafts_dir)
    except Exception:
        logger.exception("Draft import failed")
        return 0


@login_required
def inbox(request: Request):
    try:
        records.import_drafts(request.app.state.db_url, request.app.state.drafts_dir)
    except Exception:  # the inbox still shows what the store has
        logger.exception("Draft import failed")
    status = request.query_params.get("status") or ""
    query = (request.query_params.get("q") or "").strip()[:200]
    statement = (select(Case).options(selectinload(Case.versions))
                 .order_by(Case.created.desc(), Case.id.desc()).limit(PAGE_SIZE))
    if status in STATUSES:
        statement = statement.where(Case.status == status)
    if query:
        needle = query.lower()
        statement = statement.where(or_(Case.search_text.contains(needle, autoescape=True),
                                        Case.reference.contains(query.upper(), autoescape=True)))
    with session_scope(request.app.state.db_url) as session:
        cases = list(session.execute(statement).scalars())
    return render(request, "inbox.html", cases=cases, status=status if status in STATUSES else "", q=query)


def _case(session, reference: str) -> Case:
    case = session.execute(select(Case).where(Case.reference == reference)).scalar_one_or_none()
    if case is None:
        raise HTTPException(404, "Utkastet finns inte (det kan ha raderats).")
    return case


def _version(case: Case, request: Request):
    wanted = request.query_params.get("version")
    if wanted:
        for version in case.versions:
            if str(version.version) == wanted:
                return version
        raise HTTPException(404, "Den versionen finns inte.")
    return case.versions[-1]


LABELS = {"contact_name": "Kontaktperson", "organisation": "Organisation", "role": "Roll", "email": "E-post",
          "parties": "Deltagande parter"}


def complete(draft: dict) -> dict:
    """Every key the bot's renderers expect, for drafts written by an older bot."""
    contact = {"name": None, "organisation": None, "role": None, "email": None, **(draft.get("contact") or {})}
    return {"parties": None, "questions": [], "open_questions": [], "suggestions": [], **draft,
            "labels": {**LABELS, **(draft.get("labels") or {})}, "contact": contact}


def check_slots() -> dict:
    """Which answer each pre-review check belongs to (knowledge/prereview.yml, `slot`), for drafts
    whose suggestions do not carry their slot themselves."""
    import yaml

    from finsam.knowledge import DEFAULT_KNOWLEDGE_DIR

    path = Path(os.environ.get("KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR) / "prereview.yml"
    try:
        checks = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("checks") or []
    except (OSError, yaml.YAMLError):
        return {}
    return {c["id"]: c["slot"] for c in checks if isinstance(c, dict) and c.get("id") and c.get("slot")}


def _slots_of(suggestion: dict, by_check: dict) -> list:
    slots = suggestion.get("slots") or suggestion.get("slot") or by_check.get(suggestion.get("check")) or []
    return [slots] if isinstance(slots, str) else list(slots)


@login_required
def draft_page(request: Request):
    reference = request.path_params["reference"]
    user = request.state.user
    with session_scope(request.app.state.db_url) as session:
        case = _case(session, reference)
        version = _version(case, request)
        draft = json.loads(version.data)
        by_slot, general = {}, []
        question_ids = {q.get("id") for q in draft.get("questions") or []} | {"parties"}
        by_check = check_slots()
        for suggestion in draft.get("suggestions") or []:
            slots = [s for s in _slots_of(suggestion, by_check) if s in question_ids]
            for slot in slots:
                by_slot.setdefault(slot, []).append(suggestion)
            if not slots:
                general.append(suggestion)
        audit(session, user["username"], "visade_utkast", case.reference, f"version {version.version}")
        return render(request, "draft.html", case=case, version=version, draft=draft, by_slot=by_slot,
                      general=general, versions=list(reversed(case.versions)), events=list(reversed(case.events)),
                      next_statuses=TRANSITIONS.get(case.status, []), sent=request.query_params.get("skickat"),
                      newest=version is case.versions[-1])


@login_required
def download(request: Request):
    reference, kind = request.path_params["reference"], request.path_params["kind"]
    if kind not in ("docx", "md"):
        raise HTTPException(404, "Sidan finns inte.")
    from finsam.draft import render_markdown, write_docx

    with session_scope(request.app.state.db_url) as session:
        case = _case(session, reference)
        version = _version(case, request)
        draft, folder = json.loads(version.data), version.folder
        audit(session, request.state.user["username"], "laddade_ned", case.reference,
              f"{kind}, version {version.version}")
    draft = complete(draft)
    name = f"idéskiss-{reference}-v{version.version}.{kind}"
    on_disk = Path(request.app.state.drafts_dir) / folder / f"draft.{kind}"
    if on_disk.is_file():
        body = on_disk.read_bytes()
    elif kind == "md":
        body = render_markdown(draft).encode("utf-8")
    else:  # rebuilt from the JSON the store holds
        with tempfile.TemporaryDirectory() as tmp:
            write_docx(draft, Path(tmp) / "draft.docx")
            body = (Path(tmp) / "draft.docx").read_bytes()
    media = DOCX if kind == "docx" else "text/markdown; charset=utf-8"
    disposition = f"attachment; filename=\"ideskiss-{reference}.{kind}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


@login_required(form=True)
def change_status(request: Request, form) -> Response:
    reference, new = request.path_params["reference"], str(form.get("status") or "")
    user = request.state.user
    with session_scope(request.app.state.db_url) as session:
        case = _case(session, reference)
        if new not in TRANSITIONS.get(case.status, []):
            raise HTTPException(400, "Den statusändringen är inte möjlig härifrån.")
        session.add(CaseEvent(case=case, kind="status", actor=user["name"], old_status=case.status, new_status=new,
                              text=str(form.get("note") or "").strip()[:2000] or None))
        audit(session, user["username"], "ändrade_status", case.reference, f"{case.status} → {new}")
        case.status, case.updated = new, utcnow()
    return RedirectResponse(f"/utkast/{reference}#handelser", status_code=303)


@login_required(form=True)
def comment(request: Request, form) -> Response:
    reference, text = request.path_params["reference"], str(form.get("text") or "").strip()
    user = request.state.user
    if not text:
        raise HTTPException(400, "Kommentaren är tom.")
    with session_scope(request.app.state.db_url) as session:
        case = _case(session, reference)
        session.add(CaseEvent(case=case, kind="comment", actor=user["name"], text=text[:10000]))
        audit(session, user["username"], "kommenterade", case.reference)
    return RedirectResponse(f"/utkast/{reference}#handelser", status_code=303)


def template(session) -> tuple[str, str]:
    row = session.get(Setting, mail.TEMPLATE_KEY)
    if row:
        saved = json.loads(row.value)
        return saved["subject"], saved["body"]
    return mail.DEFAULT_SUBJECT, mail.DEFAULT_BODY


@login_required
def reply_page(request: Request):
    reference = request.path_params["reference"]
    user = request.state.user
    with session_scope(request.app.state.db_url) as session:
        case = _case(session, reference)
        subject, body = template(session)
    values = {"namn": case.contact_name or "", "titel": case.title, "referens": case.reference,
              "avsandare": user["name"]}
    return render(request, "reply.html", case=case, subject=mail.fill(subject, values), body=mail.fill(body, values),
                  configured=mail.smtp_settings() is not None, error="")


@login_required(form=True)
def send_reply(request: Request, form) -> Response:
    reference = request.path_params["reference"]
    user = request.state.user
    subject, body = str(form.get("subject") or "").strip(), str(form.get("body") or "").strip()
    settings = mail.smtp_settings()
    with session_scope(request.app.state.db_url) as session:
        case = _case(session, reference)
        recipient = case.contact_email
    error = ""
    if settings is None:
        error = "E-post är inte konfigurerad (SMTP_HOST och SMTP_FROM saknas)."
    elif not recipient:
        error = "Idébäraren har inte lämnat någon e-postadress."
    elif not subject or not body:
        error = "Ämne och text behövs."
    if not error:
        try:
            mail.send_reply(settings, recipient, subject, body + "\n")
        except Exception as exc:
            logger.warning("Reply for %s not sent: %s", reference, type(exc).__name__)
            error = "Meddelandet kunde inte skickas just nu. Texten finns kvar nedan; försök igen senare."
    if error:
        return render(request, "reply.html", status_code=400 if settings else 503, case=case, subject=subject,
                      body=body, configured=settings is not None, error=error)
    with session_scope(request.app.state.db_url) as session:
        case = _case(session, reference)
        session.add(CaseEvent(case=case, kind="email", actor=user["name"], recipient=recipient,
                              subject=mail.one_line(subject, 500), text=body))
        audit(session, user["username"], "skickade_svar", case.reference)
    return RedirectResponse(f"/utkast/{reference}?skickat=1#handelser", status_code=303)


@login_required
def erase_page(request: Request):
    with session_scope(request.app.state.db_url) as session:
        case = _case(session, request.path_params["reference"])
    return render(request, "erase_draft.html", case=case)


@login_required(form=True)
def erase_draft(request: Request, form) -> Response:
    reference = request.path_params["reference"]
    user = request.state.user
    with session_scope(request.app.state.db_url) as session:
        _case(session, reference)
        result = erasure.erase_draft(session, reference, Path(request.app.state.drafts_dir),
                                     request.app.state.tracker_url)
        audit(session, user["username"], "raderade_utkast", reference, result.summary())
    return render(request, "erased.html", result=result)
