"""Shared pieces of the web layer: templates (autoescaped), rendering, security headers."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from kansli.auth import csrf_token
from kansli.models import STATUSES

HERE = Path(__file__).resolve().parent
LOCAL = ZoneInfo("Europe/Stockholm")

templates = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                        autoescape=select_autoescape(["html"], default_for_string=True, default=True))


def local_time(value, seconds: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))


templates.filters["tid"] = local_time
templates.globals["STATUSES"] = STATUSES


def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    context.update(request=request, user=getattr(request.state, "user", None), csrf_token=csrf_token(request),
                   sso_enabled=request.app.state.settings.sso_enabled)
    return HTMLResponse(templates.get_template(name).render(**context), status_code=status_code)


CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


class SecurityHeaders:
    """No scripts at all, no framing, no caching of personal data, no referrer leaks."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                for name, value in (("content-security-policy", CSP), ("x-content-type-options", "nosniff"),
                                    ("referrer-policy", "no-referrer"), ("x-frame-options", "DENY"),
                                    ("cache-control", "no-store"), ("cross-origin-opener-policy", "same-origin")):
                    headers.append((name.encode(), value.encode()))
            await send(message)

        await self.app(scope, receive, send_with_headers)
