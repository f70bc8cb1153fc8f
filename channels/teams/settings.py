"""Teams channel settings, read from the environment only (never from credentials.yml)."""
from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_ISSUER = "https://api.botframework.com"
TOKEN_ENDPOINT_TEMPLATE = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
DEFAULT_HTTP_TIMEOUT = 10.0


@dataclass(frozen=True)
class TeamsSettings:
    """Everything the channel needs, read from the environment only (never from credentials.yml)."""

    app_id: str = ""
    app_password: str = field(default="", repr=False)
    tenant_id: str = ""
    openid_metadata_url: str = DEFAULT_OPENID_METADATA_URL
    jwks_url: str = ""
    token_endpoint: str = ""
    issuer: str = DEFAULT_ISSUER
    allowed_tenants: frozenset[str] = frozenset()
    http_timeout: float = DEFAULT_HTTP_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TeamsSettings:
        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        tenant = get("MICROSOFT_APP_TENANT_ID")
        # Without a tenant only the legacy multi-tenant endpoint is left; new bots are single-tenant.
        default_endpoint = TOKEN_ENDPOINT_TEMPLATE.format(tenant=tenant or "botframework.com")
        return cls(
            app_id=get("MICROSOFT_APP_ID"),
            app_password=get("MICROSOFT_APP_PASSWORD"),
            tenant_id=tenant,
            openid_metadata_url=get("TEAMS_OPENID_METADATA_URL") or DEFAULT_OPENID_METADATA_URL,
            jwks_url=get("TEAMS_JWKS_URL"),
            token_endpoint=get("TEAMS_TOKEN_ENDPOINT") or default_endpoint,
            issuer=get("TEAMS_ISSUER") or DEFAULT_ISSUER,
            allowed_tenants=frozenset(t.strip().lower() for t in get("TEAMS_ALLOWED_TENANTS").split(",")
                                      if t.strip()),
            http_timeout=_seconds(get("TEAMS_HTTP_TIMEOUT"), DEFAULT_HTTP_TIMEOUT),
        )

    def problem(self) -> str | None:
        """Why the channel cannot work, in Swedish for whoever operates the bot; None when it can."""
        if not self.app_id:
            return "Teams-kanalen är inte konfigurerad: MICROSOFT_APP_ID saknas i miljön."
        if not self.app_password:
            return "Teams-kanalen är inte konfigurerad: MICROSOFT_APP_PASSWORD saknas i miljön."
        return None


def _seconds(value: str, default: float) -> float:
    try:
        seconds = float(value) if value else default
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        logger.warning("TEAMS_HTTP_TIMEOUT=%r is not a positive number of seconds; using %s", value, default)
        return default
    return seconds

