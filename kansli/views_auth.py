"""Login with a local account or Microsoft Entra ID (OIDC), and logout."""
from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse

from kansli.auth import audit, check_login, checked_form, current_user, normalise, safe_next, start_session
from kansli.db import session_scope
from kansli.models import User
from kansli.web import render

logger = logging.getLogger(__name__)


def _login_page(request: Request, error: str = "", status_code: int = 200, username: str = ""):
    notice = "Din session har gått ut. Logga in igen." if request.query_params.get("utgangen") else ""
    return render(request, "login.html", status_code=status_code, error=error, notice=notice, username=username,
                  next=safe_next(request.query_params.get("next")))


async def login_page(request: Request):
    if current_user(request):
        return RedirectResponse("/inkorg", status_code=303)
    return _login_page(request)


async def login(request: Request):
    settings = request.app.state.settings
    form = await checked_form(request)
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    def check():  # argon2 and the database, off the event loop
        with session_scope(request.app.state.db_url) as session:
            user, reason = check_login(session, settings, username, password)
            if user is None:
                audit(session, "(okänd)", "inloggning_misslyckad", detail="spärrad" if reason == "locked" else "")
            else:
                audit(session, user.username, "inloggning")
                start_session(request, user)
            return user, reason

    user, reason = await run_in_threadpool(check)
    if user is None:
        await asyncio.sleep(settings.failed_login_delay)  # slows down guessing
        message = ("För många misslyckade försök. Kontot är spärrat en stund; försök igen senare."
                   if reason == "locked" else "Fel användarnamn eller lösenord.")
        return _login_page(request, message, 401 if reason == "wrong" else 429, normalise(username))
    return RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)


async def logout(request: Request):
    await checked_form(request)
    user = current_user(request)
    if user:
        with session_scope(request.app.state.db_url) as session:
            audit(session, user["username"], "utloggning")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def sso_login(request: Request):
    oauth = request.app.state.oauth
    if oauth is None:
        return RedirectResponse("/login", status_code=303)
    public = request.app.state.settings.public_url  # the address Entra ID knows, behind a proxy
    callback = f"{public}/sso/callback" if public else str(request.url_for("sso_callback"))
    return await oauth.entra.authorize_redirect(request, callback)


async def sso_callback(request: Request):
    settings = request.app.state.settings
    oauth = request.app.state.oauth
    if oauth is None:
        return RedirectResponse("/login", status_code=303)
    try:
        token = await oauth.entra.authorize_access_token(request)
        claims = token.get("userinfo") or {}
    except Exception as error:  # state mismatch, bad signature, IdP error …
        logger.warning("SSO login failed: %s", type(error).__name__)
        return _login_page(request, "Inloggningen via Microsoft misslyckades. Försök igen.", 401)
    if settings.oidc_tenant and claims.get("tid") != settings.oidc_tenant:
        return _login_page(request, "Kontot hör inte till förbundets organisation.", 403)
    username = normalise(claims.get("preferred_username") or claims.get("email") or "")
    with session_scope(request.app.state.db_url) as session:
        user = session.execute(select(User).where(User.username == username, User.active.is_(True))
                               ).scalar_one_or_none()
        if user is None:
            audit(session, "(okänd)", "sso_nekad")
        else:
            audit(session, user.username, "inloggning_sso")
            start_session(request, user)
    if user is None:
        return _login_page(request, "Kontot har ingen behörighet till kansliets arbetsyta. Kontakta förbundschefen.",
                           403)
    return RedirectResponse("/inkorg", status_code=303)
