"""Engines, sessions and migrations of the case store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from bot.cases import db
from bot.cases.db import (
    DATABASE_URL_ENV,
    alembic_config,
    database_url,
    downgrade,
    get_engine,
    migrate,
    migrations_location,
    session_scope,
)
from bot.cases.models import ContactPerson, metadata

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO_ROOT / "bot" / "cases"
TABLES = {"cases", "case_events", "contact_persons", "lookup_attempts", "lookup_subjects",
          "lookup_verifications"}


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def test_database_url_default_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    assert database_url() == "sqlite:///wegwijzer.db"
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://u@h/db")
    assert database_url() == "postgresql://u@h/db"


def test_engine_is_cached_per_url(tmp_path: Path) -> None:
    first = f"sqlite:///{tmp_path / 'a.db'}"
    second = f"sqlite:///{tmp_path / 'b.db'}"
    try:
        assert get_engine(first) is get_engine(first)
        assert get_engine(first) is not get_engine(second)
    finally:
        db.dispose_engines(first)
        db.dispose_engines(second)


def test_import_creates_no_engine_and_no_file(tmp_path: Path) -> None:
    code = (
        "import bot.cases, bot.cases.cli, bot.cases.repository, bot.cases.importer\n"
        "from bot.cases import db\n"
        "assert db._engines == {}, db._engines\n"
        "import os; assert not os.path.exists('wegwijzer.db')\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop(DATABASE_URL_ENV, None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "wegwijzer.db").exists()


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = get_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_postgres_engine_pings(postgres_url: str) -> None:
    engine = get_engine(postgres_url)
    assert engine.pool._pre_ping is True
    with engine.connect() as connection:
        assert connection.execute(text("select 1")).scalar() == 1


def test_session_scope_commits_and_rolls_back(engine) -> None:
    with session_scope(engine) as session:
        session.add(ContactPerson(name="Een Naam", phone="020 000 0000", email="a@b.example"))
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            session.add(ContactPerson(name="Twee Naam", phone="020 000 0000", email="a@b.example"))
            session.flush()
            raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(ContactPerson)).scalar() == 1


def test_migrations_create_the_schema(db_url: str) -> None:
    engine = get_engine(db_url)
    assert not set(inspect(engine).get_table_names()) & TABLES  # really empty
    migrate(db_url)
    assert TABLES <= set(inspect(get_engine(db_url)).get_table_names())
    with engine.connect() as connection:
        assert connection.execute(text("select version_num from alembic_version")).scalar() == _head()
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrate_is_repeatable_and_reversible(db_url: str) -> None:
    migrate(db_url)
    migrate(db_url)  # no-op at head
    downgrade(db_url, "base")
    assert not set(inspect(get_engine(db_url)).get_table_names()) & TABLES
    migrate(db_url)
    assert TABLES <= set(inspect(get_engine(db_url)).get_table_names())


def test_migrations_are_found_from_the_package() -> None:
    location = Path(migrations_location())
    assert location == PACKAGE_DIR / "migrations"
    assert (location / "env.py").is_file()
    assert list((location / "versions").glob("*.py"))


def test_migrate_works_from_another_directory(tmp_path: Path) -> None:
    """``python -m bot.cases`` migrates from any working directory, default URL included."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop(DATABASE_URL_ENV, None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cases", "export", "--output", "out.json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wegwijzer.db").exists()
    assert "0 zaken" in result.stdout


def test_no_create_all_in_production_code() -> None:
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in PACKAGE_DIR.rglob("*.py")
        if "create_all" in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], "the schema must be created by migrations only"
