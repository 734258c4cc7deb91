"""Fixtures for the case store: a migrated database on SQLite and on PostgreSQL.

The PostgreSQL fixture (from ``tests/support/postgres.py``) creates a database with a
unique name on the server at ``WEGWIJZER_TEST_POSTGRES_URL`` (default: the local server,
user postgres) and drops it afterwards. Where no server answers, the PostgreSQL tests skip with the
reason, or fail under ``WEGWIJZER_REQUIRE_SERVICES=1`` (see ``tests/conftest.py``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.cases.db import dispose_engines, get_engine, migrate
from bot.cases.importer import demo_payload, import_cases
from tests.support.postgres import pg_admin_url, pg_database_url  # noqa: F401 - fixtures

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture
def postgres_url(pg_database_url: str) -> str:
    """A new, empty PostgreSQL database (dropped after the test; tests/support/postgres.py)."""
    return pg_database_url


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
