"""The reply template, erasure by e-mail address and the audit log."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from kansli import erasure, mail
from kansli.auth import audit, login_required
from kansli.db import session_scope
from kansli.models import AuditEntry, Setting, utcnow
from kansli.views_drafts import template
from kansli.web import render


@login_required
def template_page(request: Request):
    with session_scope(request.app.state.db_url) as session:
        subject, body = template(session)
    return render(request, "template.html", subject=subject, body=body, saved=request.query_params.get("sparad"),
                  placeholders=mail.PLACEHOLDERS)


@login_required(form=True)
def save_template(request: Request, form):
    subject, body = str(form.get("subject") or "").strip(), str(form.get("body") or "").strip()
    if not subject or not body:
        raise HTTPException(400, "Mallen behöver både ämne och text.")
    user = request.state.user
    with session_scope(request.app.state.db_url) as session:
        row = session.get(Setting, mail.TEMPLATE_KEY) or Setting(key=mail.TEMPLATE_KEY, value="")
        row.value = json.dumps({"subject": subject[:300], "body": body[:20000]}, ensure_ascii=False)
        row.updated, row.updated_by = utcnow(), user["username"]
        session.add(row)
        audit(session, user["username"], "ändrade_svarsmall")
    return RedirectResponse("/mall?sparad=1", status_code=303)


@login_required
def erase_person_page(request: Request):
    return render(request, "erase_person.html", email="", result=None, error="")


@login_required(form=True)
def erase_person(request: Request, form):
    email = str(form.get("email") or "").strip().lower()
    if "@" not in email or len(email) > 300 or form.get("confirm") != "ja":
        return render(request, "erase_person.html", status_code=400, email=email, result=None,
                      error="Ange e-postadressen och kryssa i att du vill radera allt om den.")
    user = request.state.user
    with session_scope(request.app.state.db_url) as session:
        result = erasure.erase_email(session, email, Path(request.app.state.drafts_dir), request.app.state.tracker_url)
        # Counts only: the address itself is not written to the audit log.
        audit(session, user["username"], "raderade_person", None, result.summary())
    return render(request, "erase_person.html", email="", result=result, error="")


@login_required
def audit_log(request: Request):
    with session_scope(request.app.state.db_url) as session:
        entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)).scalars())
    return render(request, "audit.html", entries=entries)
