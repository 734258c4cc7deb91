"""A fresh PostgreSQL database per test, for tests outside tests/cases/ (same rules as there).

The server is ``WEGWIJZER_TEST_POSTGRES_URL`` (default: the local server, user postgres, trust
auth).  Where none answers, the test skips with the reason, or fails under
``WEGWIJZER_REQUIRE_SERVICES=1`` (:func:`tests.conftest.require_service`).

Use the fixtures by importing them into a test module::

    from tests.support.postgres import pg_admin_url, pg_database_url  # noqa: F401
"""
from __future__ import annotations

import os
import uuid
from typing import Any, Iterator

import pytest
from sqlalchemy.engine import make_url

POSTGRES_URL_ENV = "WEGWIJZER_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


def connect(url: str, database: str | None = None) -> Any:
    """An autocommit psycopg2 connection to ``url`` (or to another database on that server)."""
    import psycopg2

    parsed = make_url(url)
    connection = psycopg2.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname=database or parsed.database or "postgres",
        connect_timeout=3,
    )
    connection.autocommit = True
    return connection


def create_database(url: str, prefix: str = "wegwijzer_test") -> str:
    """Create a database with a unique name on the server of ``url``; returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = connect(url)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    return name


def drop_database(url: str, name: str) -> None:
    admin = connect(url)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


def database_url(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_admin_url(require_service_helper) -> str:
    """URL of a PostgreSQL database we may create other databases from (or skip/fail)."""
    url = admin_url()
    try:
        connect(url).close()
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        shown = make_url(url).render_as_string(hide_password=True)
        require_service_helper("PostgreSQL", False, f"{shown}: {' '.join(str(error).split())}")
    return url


@pytest.fixture
def pg_database_url(pg_admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (dropped afterwards)."""
    from bot.cases.db import dispose_engines

    name = create_database(pg_admin_url)
    url = database_url(pg_admin_url, name)
    try:
        yield url
    finally:
        dispose_engines(url)
        drop_database(pg_admin_url, name)
