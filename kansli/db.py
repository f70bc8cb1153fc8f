"""Engine, sessions and Alembic migrations for the kansli store."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_engines: Dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # SQLite ignores ON DELETE CASCADE without it
    cursor.close()


def engine_for(url: str) -> Engine:
    """One engine per URL and process (the action server and the app each have their own)."""
    with _lock:
        if url not in _engines:
            if url.startswith("sqlite"):
                path = url.split("///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, future=True, connect_args={"timeout": 15, "check_same_thread": False})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                timeout = {"connect_timeout": 5} if url.startswith("postgresql") else {}
                engine = create_engine(url, future=True, pool_pre_ping=True, connect_args=timeout)
            _engines[url] = engine
        return _engines[url]


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    factory = sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")
