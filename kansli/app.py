"""The kansli workspace as an ASGI app (Starlette): routes, sessions, lifespan, error pages.

Run it with `python -m kansli` (make kansli). It listens on 127.0.0.1:5080 by default and shares
nothing with the bot's public HTTP paths.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Optional

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kansli import config, records, views_admin, views_auth, views_drafts, views_insight, views_knowledge
from kansli.auth import current_user
from kansli.db import migrate
from kansli.web import HERE, SecurityHeaders, render

logger = logging.getLogger(__name__)


async def home(request: Request):
    return RedirectResponse("/inkorg" if current_user(request) else "/login", status_code=303)


async def error_page(request: Request, exc: HTTPException):
    messages = {404: "Sidan finns inte.", 405: "Det går inte att göra så här."}
    message = exc.detail if exc.detail and exc.detail not in ("Not Found", "Method Not Allowed") else \
        messages.get(exc.status_code, "Något gick fel.")
    request.state.user = current_user(request)
    return render(request, "error.html", status_code=exc.status_code, message=message)


async def _import_periodically(app) -> None:
    while True:
        await asyncio.sleep(app.state.settings.import_seconds)
        await views_drafts.import_now(app)


def _oauth(settings):
    if not settings.sso_enabled:
        return None
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oauth.register("entra", server_metadata_url=settings.oidc_metadata_url, client_id=settings.oidc_client_id,
                   client_secret=settings.oidc_client_secret, client_kwargs={"scope": "openid email profile"})
    return oauth


def create_app(settings: Optional[config.Settings] = None, drafts_dir: Optional[Path] = None) -> Starlette:
    settings = settings or config.settings_from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await asyncio.to_thread(migrate, settings.database_url)
        await views_drafts.import_now(app)
        task = asyncio.create_task(_import_periodically(app))
        yield
        task.cancel()

    D = views_drafts
    routes = [
        Route("/", home),
        Route("/login", views_auth.login_page, methods=["GET"]),
        Route("/login", views_auth.login, methods=["POST"]),
        Route("/logout", views_auth.logout, methods=["POST"]),
        Route("/sso/login", views_auth.sso_login, name="sso_login"),
        Route("/sso/callback", views_auth.sso_callback, name="sso_callback"),
        Route("/inkorg", D.inbox),
        Route("/utkast/{reference:str}", D.draft_page),
        Route("/utkast/{reference:str}/utkast.{kind:str}", D.download),
        Route("/utkast/{reference:str}/status", D.change_status, methods=["POST"]),
        Route("/utkast/{reference:str}/kommentar", D.comment, methods=["POST"]),
        Route("/utkast/{reference:str}/svar", D.reply_page, methods=["GET"]),
        Route("/utkast/{reference:str}/svar", D.send_reply, methods=["POST"]),
        Route("/utkast/{reference:str}/radera", D.erase_page, methods=["GET"]),
        Route("/utkast/{reference:str}/radera", D.erase_draft, methods=["POST"]),
        Route("/mall", views_admin.template_page, methods=["GET"]),
        Route("/mall", views_admin.save_template, methods=["POST"]),
        Route("/radering", views_admin.erase_person_page, methods=["GET"]),
        Route("/radering", views_admin.erase_person, methods=["POST"]),
        Route("/logg", views_admin.audit_log),
        Route("/kunskap", views_knowledge.knowledge_page),
        Route("/kunskap/kalla", views_knowledge.source_page, methods=["GET"]),
        Route("/kunskap/kalla", views_knowledge.check_source, methods=["POST"]),
        Route("/kunskap/andring/{change_id:int}/angra", views_knowledge.undo_change, methods=["POST"]),
        Route("/kunskap/{topic_id:str}", views_knowledge.topic_page, methods=["GET"]),
        Route("/kunskap/{topic_id:str}", views_knowledge.save_topic, methods=["POST"]),
        Route("/obesvarade", views_insight.unanswered_page),
        Route("/obesvarade/exempel", views_insight.make_example, methods=["POST"]),
        Route("/oversikt", views_insight.overview_page),
        Route("/oversikt/tratt.png", views_insight.overview_chart),
        # The style sheet only (no data): the login page needs it before anyone is logged in.
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="kansli_session",
                   max_age=settings.session_hours * 3600, same_site="lax", https_only=settings.secure_cookies),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: error_page})
    app.state.settings = settings
    app.state.db_url = settings.database_url
    app.state.drafts_dir = Path(drafts_dir or records.drafts_dir())
    app.state.tracker_url = config.tracker_url()
    app.state.oauth = _oauth(settings)
    return app


def main() -> None:
    import uvicorn

    logging.basicConfig(level=os.environ.get("KANSLI_LOG_LEVEL", "INFO"))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = config.settings_from_env()
    if not settings.secure_cookies:
        logger.warning("KANSLI_SECURE_COOKIES=0: session cookies are sent over plain http (local development only)")
    # ws="none": no websockets here (and Rasa pins an older websockets than uvicorn expects).
    # No access log: search terms (names) would end up in it; kansli_audit records who did what.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, proxy_headers=False, ws="none",
                access_log=False,
                server_header=False, log_level="info")
