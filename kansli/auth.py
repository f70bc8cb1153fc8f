"""Accounts, login throttling, sessions with an idle timeout, CSRF tokens and the audit log."""
from __future__ import annotations

import functools
import hmac
import inspect
import secrets
import time
from datetime import timedelta
from typing import Optional
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from kansli.models import AuditEntry, LoginThrottle, User, utcnow

hasher = PasswordHasher()
# Verified when the user name is unknown, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < 12:
        raise ValueError("Lösenordet ska vara minst 12 tecken.")
    return hasher.hash(password)


def normalise(username: str) -> str:
    return (username or "").strip().lower()[:200]


def create_user(session: Session, username: str, display_name: str, password: Optional[str]) -> User:
    username = normalise(username)
    if not username:
        raise ValueError("Ange ett användarnamn.")
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        user = User(username=username, display_name=display_name or username)
        session.add(user)
    user.display_name = display_name or user.display_name
    user.password_hash = hash_password(password) if password else user.password_hash
    user.active = True
    session.flush()
    return user


def check_login(session: Session, settings, username: str, password: str) -> tuple[Optional[User], str]:
    """(user, "") on success, else (None, reason) with reason "locked" or "wrong"."""
    username = normalise(username)
    now = utcnow()
    throttle = session.get(LoginThrottle, username)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        return None, "locked"
    user = session.execute(select(User).where(User.username == username, User.active.is_(True))
                           ).scalar_one_or_none()
    try:
        ok = hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and user is not None and user.password_hash:
        if throttle:
            session.delete(throttle)
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        return user, ""
    if throttle is None:
        throttle = LoginThrottle(username=username, failures=0)
        session.add(throttle)
    throttle.failures = (throttle.failures or 0) + 1
    throttle.last_failure = now
    if throttle.failures >= settings.max_failed_logins:
        throttle.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        throttle.failures = 0
        return None, "locked"
    return None, "wrong"


def audit(session: Session, actor: str, action: str, target: Optional[str] = None, detail: str = "") -> None:
    session.add(AuditEntry(actor=actor, action=action, target=target, detail=detail[:500] or None))


# ------------------------------------------------------------------ sessions
def start_session(request: Request, user: User) -> None:
    request.session.clear()  # a new session at login: no fixation
    request.session.update({"uid": user.id, "name": user.display_name, "user": user.username,
                            "csrf": secrets.token_urlsafe(32), "seen": int(time.time()),
                            "started": int(time.time())})


def csrf_token(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


async def checked_form(request: Request):
    """The posted form, after its CSRF token matched the session's (403 otherwise)."""
    form = await request.form()
    expected = request.session.get("csrf") or ""
    sent = str(form.get("csrf_token") or "")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise HTTPException(403, "Formuläret kunde inte godkännas (ogiltig CSRF-token). "
                                 "Ladda om sidan och försök igen.")
    return form


def current_user(request: Request) -> Optional[dict]:
    """The session's user, or None when there is none or it has been idle too long."""
    settings = request.app.state.settings
    session = request.session
    if "uid" not in session:
        return None
    now = int(time.time())
    if now - int(session.get("seen", 0)) > settings.idle_minutes * 60 or \
            now - int(session.get("started", 0)) > settings.session_hours * 3600:
        session.clear()
        request.state.expired = True
        return None
    session["seen"] = now
    return {"id": session["uid"], "name": session["name"], "username": session["user"]}


def login_required(endpoint=None, *, form: bool = False):
    """Only for a logged-in user (else to /login). Plain `def` endpoints run in the threadpool, so
    database work never blocks the event loop; with form=True the endpoint gets the posted form
    after its CSRF check: endpoint(request, form)."""
    if endpoint is None:
        return functools.partial(login_required, form=form)

    @functools.wraps(endpoint)
    async def wrapper(request: Request):
        user = current_user(request)
        if user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            reason = "&utgangen=1" if getattr(request.state, "expired", False) else ""
            return RedirectResponse(f"/login?next={quote(target, safe='')}{reason}", status_code=303)
        request.state.user = user
        if form:
            return await run_in_threadpool(endpoint, request, await checked_form(request))
        if inspect.iscoroutinefunction(endpoint):
            return await endpoint(request)
        return await run_in_threadpool(endpoint, request)
    return wrapper


def safe_next(target: Optional[str]) -> str:
    """Only local paths after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/inkorg"
