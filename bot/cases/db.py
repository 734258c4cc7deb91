"""Database access for the case store: URL, engines, sessions and migrations.

Nothing here connects at import time. :func:`get_engine` creates one engine per
URL on first use and caches it; :func:`session_scope` gives one session per
request (commit on success, rollback on error). The schema is created and
upgraded only by the Alembic migrations in ``bot/cases/migrations``, through
:func:`migrate`.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from importlib import resources
from typing import Any, Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.future import create_engine
from sqlalchemy.orm import Session

#: Environment variable that names the case database (contract 2).
DATABASE_URL_ENV = "WEGWIJZER_DATABASE_URL"
#: Used when the variable is not set: an SQLite file in the working directory.
DEFAULT_DATABASE_URL = "sqlite:///wegwijzer.db"
#: How long an SQLite connection waits for a lock held by another process.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: PostgreSQL: a database that accepts no connection, or hangs, fails a lookup within seconds
#: (the bot answers "even niet beschikbaar") instead of holding a worker for minutes.
PG_CONNECT_TIMEOUT_SECONDS = 3
PG_STATEMENT_TIMEOUT_MS = 5000
PG_POOL_TIMEOUT_SECONDS = 5
#: Execution option understood by the SQLite ``begin`` hook below:
#: ``"IMMEDIATE"`` starts the transaction with the write lock taken.
SQLITE_BEGIN_OPTION = "wegwijzer_sqlite_begin"

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def database_url() -> str:
    """Return the case database URL from ``WEGWIJZER_DATABASE_URL`` or the default."""
    value = os.environ.get(DATABASE_URL_ENV, "").strip()
    return value or DEFAULT_DATABASE_URL


def get_engine(url: str | None = None) -> Engine:
    """Return the (cached) engine for ``url``, or for :func:`database_url`.

    SQLite gets a busy timeout, WAL journaling, enforced foreign keys and real
    transactions (an explicit ``BEGIN``, so DDL and reads are transactional
    too); PostgreSQL gets ``pool_pre_ping`` so a restarted server is survived.
    """
    key = url or database_url()
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = new_engine(key)
            _engines[key] = engine
        return engine


def dispose_engines(url: str | None = None) -> None:
    """Dispose of and forget the cached engine for ``url``, or every one (tests, shutdown)."""
    with _engines_lock:
        if url is None:
            engines = list(_engines.values())
            _engines.clear()
        else:
            engine = _engines.pop(url, None)
            engines = [engine] if engine is not None else []
    for engine in engines:
        engine.dispose()


def new_engine(url: str) -> Engine:
    """A new, uncached engine for ``url`` configured like :func:`get_engine`'s (tests use two)."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(
            url,
            future=True,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        _install_sqlite_hooks(engine)
        return engine
    # PostgreSQL (and anything else): the default QueuePool (5 + 10 overflow per process),
    # with a liveness check so a restarted database server does not break the next request,
    # and timeouts for connecting, for each statement and for waiting on the pool.
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS,
                        "options": f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}"}
    return create_engine(url, future=True, pool_pre_ping=True, pool_timeout=PG_POOL_TIMEOUT_SECONDS,
                         connect_args=connect_args)


def _install_sqlite_hooks(engine: Engine) -> None:
    """Configure each new SQLite connection (the SQLAlchemy pysqlite recipe).

    pysqlite's own transaction handling starts a transaction only before DML;
    we switch it off and emit ``BEGIN`` ourselves so that every SQLAlchemy
    transaction is a real SQLite transaction.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One session for one unit of work: committed on success, rolled back on error.

    Objects stay readable after the commit (``expire_on_commit=False``), but
    callers should hand out plain values, not ORM objects, beyond the block.
    """
    session = Session(bind=engine or get_engine(), future=True, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrations_location() -> str:
    """Filesystem path of the Alembic scripts, resolved from the installed package."""
    return str(resources.files("bot.cases").joinpath("migrations"))


def alembic_config(url: str | None = None) -> Any:
    """An Alembic ``Config`` for the case store, without an ``alembic.ini``.

    Useful for developers too, e.g.
    ``alembic.command.revision(alembic_config(), message="...", autogenerate=True)``.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", migrations_location())
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Upgrade the case database at ``url`` (default :func:`database_url`) to ``revision``."""
    from alembic import command

    engine = get_engine(url)
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Downgrade the case database (used by the migration tests)."""
    from alembic import command

    engine = get_engine(url)
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
