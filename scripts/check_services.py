"""Pre-flight check before the bot starts: can the tracker store and the lock store be reached?

Rasa 3.6 starts even when its SQL tracker store cannot be reached (it logs "Could not
create tables" and goes on), and then every conversation would live in memory only. So
scripts/bot.sh runs this first; it reads the same endpoints file (with ${VAR} from the
environment, as Rasa does) and exits with code 3 and a Swedish and English message when
a store is unreachable, 2 when the file itself is wrong.

Usage: scripts/check_services.py [bot/endpoints.yml]
"""
from __future__ import annotations

import os
import re
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import yaml

TIMEOUT_SECONDS = 5
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class ConfigError(Exception):
    pass


def expand(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: expand(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def variable(match: re.Match) -> str:
        if match.group(1) not in env:
            raise ConfigError(f"miljövariabeln {match.group(1)} saknas / environment variable {match.group(1)} "
                              "is not set")
        return env[match.group(1)]

    return _VARIABLE.sub(variable, value)


def load(path: Path, env: Mapping[str, str]) -> Dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path} kan inte läsas / cannot be read: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} är ingen YAML-tabell / is not a YAML mapping")
    # Only the stores: the rest (the action endpoint …) is not this check's business.
    return {key: expand(data.get(key) or {}, env) for key in ("tracker_store", "lock_store")}


def _port(value: Any, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"porten {value!r} är inget nummer / port {value!r} is not a number") from None


def check_sql(store: Dict[str, Any]) -> Optional[str]:
    dialect = str(store.get("dialect") or "sqlite").lower()
    if dialect == "sqlite":
        db = Path(str(store.get("db") or "rasa.db"))
        try:
            db.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(str(db), timeout=TIMEOUT_SECONDS) as connection:
                connection.execute("PRAGMA schema_version").fetchone()
                connection.execute("BEGIN IMMEDIATE")  # can we write?
                connection.rollback()
        except (OSError, sqlite3.Error) as error:
            return f"SQLite-filen {db} går inte att öppna för skrivning / cannot be opened for writing: {error}"
        return None
    if not dialect.startswith("postgres"):
        return None  # other dialects are not used here; Rasa reports them itself
    host = str(store.get("url") or "localhost")
    port = _port(store.get("port"), 5432)
    name = store.get("db") or "rasa"
    try:
        import psycopg2
    except ImportError:
        return "psycopg2 saknas / is not installed"
    try:
        psycopg2.connect(host=host, port=port, dbname=name, user=store.get("username") or None,
                         password=store.get("password") or None, connect_timeout=TIMEOUT_SECONDS).close()
    except psycopg2.Error as error:
        reason = " ".join(str(error).split())
        return f"PostgreSQL på {host}:{port} (databas {name}) svarar inte / is unreachable: {reason}"
    return None


def check_redis(store: Dict[str, Any]) -> Optional[str]:
    host = str(store.get("url") or "localhost")
    port = _port(store.get("port"), 6379)
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT_SECONDS) as connection:
            password = store.get("password")
            if password:
                connection.sendall(f"AUTH {password}\r\n".encode())
                if not connection.recv(128).startswith(b"+OK"):
                    return f"Redis på {host}:{port} godtar inte lösenordet / refuses the password"
            connection.sendall(b"PING\r\n")
            answer = connection.recv(128)
    except OSError as error:
        return f"Redis på {host}:{port} svarar inte / is unreachable: {error}"
    if not answer.startswith(b"+PONG"):
        return f"Redis på {host}:{port} svarar inte på PING / does not answer PING: {answer[:60]!r}"
    return None


def problems(path: Path, env: Mapping[str, str] = os.environ) -> List[str]:
    endpoints = load(path, env)
    found = []
    tracker = endpoints.get("tracker_store") or {}
    if "sql" in str(tracker.get("type") or "").lower():
        found.append(check_sql(tracker))
    lock = endpoints.get("lock_store") or {}
    if str(lock.get("type") or "").lower() == "redis":
        found.append(check_redis(lock))
    return [problem for problem in found if problem]


def main(argv: List[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "bot/endpoints.yml")
    try:
        found = problems(path)
    except ConfigError as error:
        print(f"Boten startar inte: {path}: {error}.\nThe bot does not start: {path}: {error}.", file=sys.stderr)
        return 2
    if found:
        lines = "\n".join(f"  - {problem}" for problem in found)
        print(f"Boten startar inte: databasen kan inte nås (inställningar i {path}):\n{lines}\n"
              f"The bot does not start: the database cannot be reached (settings in {path}).\n"
              "Starta databasen eller rätta inställningarna och försök igen / "
              "start the database or correct the settings and try again.", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
