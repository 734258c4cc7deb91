"""Fixtures for the production setup: a PostgreSQL database per run, Redis, the servers.

Tests marked `service_outage` stop PostgreSQL or Redis for a few seconds. Other tests that talk to
those services at that moment would fail, so `pytest_collection_modifyitems` puts the outage tests
at the very end of the whole run (after every other directory's tests), and each of them restarts
the service in a `finally` and waits until it answers again.
"""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Iterator

import pytest

from tests.support import production as prod


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "service_outage: stops PostgreSQL or Redis for a moment; runs last in the suite"
    )


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """Move the outage tests to the end of the run, keeping the order of everything else."""
    outage = [item for item in items if item.get_closest_marker("service_outage")]
    if outage:
        rest = [item for item in items if not item.get_closest_marker("service_outage")]
        items[:] = rest + outage


@pytest.fixture(scope="module")
def postgres(require_service_helper) -> None:
    ok, reason = prod.pg_reachable()
    require_service_helper("PostgreSQL", ok, f"{prod.PG_HOST}:{prod.PG_PORT}: {reason}")


@pytest.fixture(scope="module")
def redis(require_service_helper) -> None:
    ok, reason = prod.redis_reachable()
    require_service_helper("Redis", ok, f"{prod.REDIS_HOST}:{prod.REDIS_PORT}: {reason}")


@pytest.fixture(scope="module")
def prod_database(postgres) -> Iterator[str]:
    """A new PostgreSQL database for this module's conversations and cases (dropped afterwards)."""
    name = prod.create_database()
    try:
        yield name
    finally:
        prod.drop_database(name)


@pytest.fixture(scope="module")
def demo_cases(prod_database: str) -> str:
    """The demo cases loaded with `python -m bot.cases demo` into the module's database."""
    import subprocess
    import sys

    from tests.support.servers import ROOT

    url = prod.database_url(prod_database)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cases", "demo", "--database-url", url],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return url


@pytest.fixture(scope="module")
def key_prefix() -> str:
    """A Redis key prefix of our own, so this run's locks never meet another run's."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def prod_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("production")


@pytest.fixture
def fresh_database(postgres) -> Iterator[str]:
    """A new PostgreSQL database for one test (dropped afterwards)."""
    name = prod.create_database("wegwijzer_purge")
    try:
        yield name
    finally:
        prod.drop_database(name)
