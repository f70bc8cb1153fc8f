"""Alembic environment: the URL comes from the caller (kansli.db.migrate) or KANSLI_DATABASE_URL."""
from alembic import context

import kansli.models_knowledge  # noqa: F401  (its tables join Base.metadata)
from kansli.config import database_url
from kansli.db import engine_for
from kansli.models import Base

config = context.config
url = config.attributes.get("url") or database_url()


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    with engine_for(url).connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
