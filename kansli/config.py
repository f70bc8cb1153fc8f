"""Settings of the kansli workspace, all from the environment (embedded defaults for one machine)."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / ".kansli"


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("KANSLI_DATA_DIR") or DEFAULT_DATA_DIR)


def database_url(env: Mapping[str, str] = os.environ) -> str:
    """KANSLI_DATABASE_URL (any SQLAlchemy URL, e.g. postgresql+psycopg2://…); SQLite file by default."""
    url = env.get("KANSLI_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir(env) / 'kansli.db'}"


def tracker_url(env: Mapping[str, str] = os.environ) -> Optional[str]:
    """Where Rasa keeps conversations, for erasure: KANSLI_TRACKER_DB_URL, else the SQLite TRACKER_DB."""
    if env.get("KANSLI_TRACKER_DB_URL"):
        return env["KANSLI_TRACKER_DB_URL"]
    if env.get("TRACKER_DB"):
        return f"sqlite:///{env['TRACKER_DB']}"
    return None


def _flag(value: Optional[str], default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() not in {"0", "false", "nej", "no", "off"}


def secret_key(env: Mapping[str, str] = os.environ) -> str:
    """KANSLI_SECRET_KEY, or a random key kept in the data folder (0600) so sessions survive restarts."""
    if env.get("KANSLI_SECRET_KEY"):
        return env["KANSLI_SECRET_KEY"]
    folder = data_dir(env)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    database_url: str
    secret_key: str
    secure_cookies: bool
    idle_minutes: int
    session_hours: int
    max_failed_logins: int
    lockout_minutes: int
    failed_login_delay: float
    import_seconds: int
    oidc_metadata_url: Optional[str]
    oidc_client_id: Optional[str]
    oidc_client_secret: Optional[str]
    oidc_tenant: Optional[str]
    public_url: Optional[str] = None  # e.g. https://kansli.example.se behind the förbund's TLS proxy

    @property
    def sso_enabled(self) -> bool:
        return bool(self.oidc_metadata_url and self.oidc_client_id)


def settings_from_env(env: Mapping[str, str] = os.environ) -> Settings:
    tenant = env.get("KANSLI_OIDC_TENANT") or None
    metadata = env.get("KANSLI_OIDC_METADATA_URL") or (
        f"https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration" if tenant else None)
    return Settings(
        host=env.get("KANSLI_HOST", "127.0.0.1"),
        port=int(env.get("KANSLI_PORT") or 5080),
        database_url=database_url(env),
        secret_key=secret_key(env),
        # Off only for plain-http development on localhost (KANSLI_SECURE_COOKIES=0).
        secure_cookies=_flag(env.get("KANSLI_SECURE_COOKIES"), True),
        idle_minutes=int(env.get("KANSLI_IDLE_MINUTES") or 30),
        session_hours=int(env.get("KANSLI_SESSION_HOURS") or 10),
        max_failed_logins=int(env.get("KANSLI_MAX_FAILED_LOGINS") or 5),
        lockout_minutes=int(env.get("KANSLI_LOCKOUT_MINUTES") or 15),
        failed_login_delay=float(env.get("KANSLI_FAILED_LOGIN_DELAY") or 1.0),
        import_seconds=int(env.get("KANSLI_IMPORT_SECONDS") or 60),
        oidc_metadata_url=metadata,
        oidc_client_id=env.get("KANSLI_OIDC_CLIENT_ID") or None,
        oidc_client_secret=env.get("KANSLI_OIDC_CLIENT_SECRET") or None,
        oidc_tenant=tenant,
        public_url=(env.get("KANSLI_PUBLIC_URL") or "").rstrip("/") or None,
    )
