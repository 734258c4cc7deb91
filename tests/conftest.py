"""Shared pytest helpers for the whole test suite.

Real services (PostgreSQL, Redis, Chromium, ...) are used where they run. A test
that needs a missing service is skipped with the reason, except under
``WEGWIJZER_REQUIRE_SERVICES=1`` (set by CI), where it fails instead. That rule
lives in :func:`require_service` only; fixtures call it.
"""

from __future__ import annotations

import os
from typing import Callable

import pytest

REQUIRE_SERVICES_ENV = "WEGWIJZER_REQUIRE_SERVICES"

#: The shared secret between Rasa and the action server for this test run (bot/action_server.py):
#: random per run, in the environment before any test reads endpoints.yml or starts a server, so
#: the tests that must call the action server as Rasa does can, and a forged call without it fails.
ACTION_TOKEN_ENV = "WEGWIJZER_ACTION_TOKEN"
if len(os.environ.get(ACTION_TOKEN_ENV, "")) < 32:
    import secrets as _secrets

    os.environ[ACTION_TOKEN_ENV] = _secrets.token_urlsafe(32)


def services_required() -> bool:
    """True when missing services must fail the run (``WEGWIJZER_REQUIRE_SERVICES=1``)."""
    return os.environ.get(REQUIRE_SERVICES_ENV, "").strip() == "1"


def require_service(name: str, reachable: bool, reason: str = "") -> None:
    """Skip the calling test if ``name`` is not reachable, or fail it when services are required.

    Call it from a fixture or test: ``require_service("PostgreSQL", ok, "connection refused")``.
    """
    if reachable:
        return
    message = f"{name} is not available" + (f": {reason}" if reason else "")
    if services_required():
        pytest.fail(f"{message} ({REQUIRE_SERVICES_ENV}=1, so this is an error)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def require_service_helper() -> Callable[[str, bool, str], None]:
    """The :func:`require_service` rule, for fixtures in sub-directories' conftest files."""
    return require_service


# --- the real Wegwijzer servers ------------------------------------------------------------------

import uuid  # noqa: E402

from tests.support.limits import TEST_LIMITS  # noqa: E402
from tests.support.servers import (  # noqa: E402
    EMBEDDING_ORIGIN,
    ensure_model,
    prepare_case_database,
    start_bot,
    stop_bot,
)


@pytest.fixture(scope="session")
def trained_model() -> str:
    """Path of the trained model (`make test` trains it first; the tests never train)."""
    return ensure_model()


@pytest.fixture(scope="session")
def served_bot(trained_model, tmp_path_factory):
    """`wegwijzer serve` on free ports: action server, Rasa server and the page on one origin.

    Its action server uses a case database of its own (a temporary SQLite file with the demo
    cases, `served_bot.database_url`), never the developer's wegwijzer.db.
    """
    tmp = tmp_path_factory.mktemp("serve")
    cases = prepare_case_database(tmp)
    bot = start_bot(tmp, trained_model, extra_env={"WEGWIJZER_DATABASE_URL": cases, **TEST_LIMITS},
                    extra_args=["--cors", EMBEDDING_ORIGIN])
    yield bot
    stop_bot(bot)


@pytest.fixture
def sender() -> str:
    """A fresh conversation id for each test."""
    return f"test-{uuid.uuid4().hex[:12]}"
