"""Alembic environment of the case store.

Run through :func:`bot.cases.db.migrate`, which hands over an open connection in
``config.attributes["connection"]``. Run by the ``alembic`` command instead, it
connects to ``sqlalchemy.url`` (or ``WEGWIJZER_DATABASE_URL``).
"""

from __future__ import annotations

from typing import Any

from alembic import context

from bot.cases.db import database_url, get_engine
from bot.cases.models import metadata

config = context.config
target_metadata = metadata


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Write the SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    _configure(
        url=config.get_main_option("sqlalchemy.url") or database_url(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection, or on a fresh one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = get_engine(config.get_main_option("sqlalchemy.url") or database_url())
    with engine.connect() as fresh:
        _configure(connection=fresh)
        with context.begin_transaction():
            context.run_migrations()
        fresh.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
