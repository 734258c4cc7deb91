"""Fixtures for the case store: a migrated database on SQLite and on PostgreSQL.

The PostgreSQL fixture creates a database with a unique name on the server at
``WEGWIJZER_TEST_POSTGRES_URL`` (default: the local server, user postgres) and
drops it afterwards. Where no server answers, the PostgreSQL tests skip with the
reason, or fail under ``WEGWIJZER_REQUIRE_SERVICES=1`` (see ``tests/conftest.py``).
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy.engine import Engine, make_url

from bot.cases.db import dispose_engines, get_engine, migrate
from bot.cases.importer import demo_payload, import_cases

POSTGRES_URL_ENV = "WEGWIJZER_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")


def _pg_connect(url: str) -> Any:
    import psycopg2

    parsed = make_url(url)
    connection = psycopg2.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname=parsed.database or "postgres",
        connect_timeout=3,
    )
    connection.autocommit = True
    return connection


@pytest.fixture(scope="session")
def postgres_admin_url(require_service_helper: Callable[[str, bool, str], None]) -> str:
    """URL of a PostgreSQL database we may create other databases from."""
    url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    try:
        _pg_connect(url).close()
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        shown = make_url(url).render_as_string(hide_password=True)
        require_service_helper("PostgreSQL", False, f"{shown}: {' '.join(str(error).split())}")
    return url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped after the test)."""
    name = f"wegwijzer_test_{uuid.uuid4().hex[:16]}"
    admin = _pg_connect(postgres_admin_url)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        dispose_engines(url)
        admin = _pg_connect(postgres_admin_url)
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A new SQLite file in the test's temporary directory."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    yield url
    dispose_engines(url)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database, once on SQLite and once on PostgreSQL."""
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}[request.param]
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def engine(db_url: str) -> Engine:
    """A migrated, empty case database."""
    migrate(db_url)
    return get_engine(db_url)


@pytest.fixture
def pg_engine(postgres_url: str) -> Engine:
    """A migrated, empty PostgreSQL case database."""
    migrate(postgres_url)
    return get_engine(postgres_url)


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """A migrated database holding the demo cases."""
    report = import_cases(demo_payload(), engine)
    assert report.ok and report.inserted == 8, report
    return engine


@pytest.fixture
def demo() -> dict[str, Any]:
    """A fresh (deep) copy of the demo payload as plain dicts."""
    return copy.deepcopy(json.loads(json.dumps(demo_payload())))


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[Any], Path]:
    """Write an object (or raw text) to a JSON file and return its path."""
    counter = {"n": 0}

    def write(content: Any) -> Path:
        counter["n"] += 1
        path = tmp_path / f"import-{counter['n']}.json"
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write
