"""`wegwijzer serve --production`, `actions`, `api`: settings checks and Rasa's quiet fallbacks.

Fast tests, no servers: the servers themselves run in test_multi_server.py and test_faults.py.
"""
from __future__ import annotations

import asyncio

import pytest

from bot import production
from bot.cli import main

FULL_ENV = {
    "POSTGRES_HOST": "db.example", "POSTGRES_PORT": "5432", "POSTGRES_DB": "wegwijzer",
    "POSTGRES_USER": "wegwijzer", "POSTGRES_PASSWORD": "geheim", "REDIS_HOST": "redis.example",
    "REDIS_PORT": "6379", "ACTION_SERVER_URL": "http://acties:5055/webhook",
    "WEGWIJZER_ACTION_TOKEN": "t" * 40,
}


@pytest.fixture
def prod_env(monkeypatch):
    for name in list(FULL_ENV) + list(production.OPTIONAL_ENV_DEFAULTS):
        monkeypatch.delenv(name, raising=False)
    # Set through monkeypatch (not by check_environment's setdefault) so that they are removed again.
    for name, value in {**production.OPTIONAL_ENV_DEFAULTS, **FULL_ENV}.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_every_required_variable_is_named_when_missing(monkeypatch):
    for name in production.REQUIRED_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--production"])
    message = str(stopped.value.code)
    assert message.startswith("Wegwijzer start niet in productie")
    for name in production.REQUIRED_ENV:
        assert f"{name} ontbreekt" in message
    assert "docs/deploy.md" in message


@pytest.mark.parametrize("name,value,expected", [
    ("POSTGRES_PORT", "vijf", "POSTGRES_PORT moet een getal zijn"),
    ("REDIS_PORT", "", "REDIS_PORT ontbreekt"),
    ("ACTION_SERVER_URL", "acties:5055", "ACTION_SERVER_URL moet beginnen met http"),
    ("REDIS_KEY_PREFIX", "gemeente-x", "REDIS_KEY_PREFIX mag alleen letters en cijfers"),
    ("POSTGRES_SSLMODE", "altijd", "POSTGRES_SSLMODE moet een van"),
])
def test_wrong_values_are_refused_in_dutch(prod_env, name, value, expected):
    prod_env.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--production"])
    assert expected in str(stopped.value.code)


def test_an_empty_database_password_is_allowed_and_optional_defaults_are_filled(prod_env):
    prod_env.setenv("POSTGRES_PASSWORD", "")
    env = dict(FULL_ENV, POSTGRES_PASSWORD="")
    production.check_environment(env)
    assert env["REDIS_DB"] == "1" and env["REDIS_KEY_PREFIX"] == "wegwijzer"


def test_endpoints_prod_yml_reads_everything_from_the_environment(prod_env):
    prod_env.setenv("REDIS_KEY_PREFIX", "gemeentex")
    endpoints = production.read_production_endpoints("endpoints.prod.yml")
    store = endpoints.tracker_store
    assert store.type == "bot.tracker_store.RedactingSQLTrackerStore"
    assert store.url == "db.example"
    assert store.kwargs["dialect"] == "postgresql"
    assert (store.kwargs["port"], store.kwargs["db"], store.kwargs["username"], store.kwargs["password"]) == (
        "5432", "wegwijzer", "wegwijzer", "geheim")
    assert store.kwargs["query"] == {"sslmode": "prefer"}
    lock = endpoints.lock_store
    assert (lock.type, lock.url, lock.kwargs["port"], lock.kwargs["key_prefix"]) == (
        "redis", "redis.example", "6379", "gemeentex")
    assert endpoints.action.url == "http://acties:5055/webhook"
    from rasa.core.utils import number_of_sanic_workers

    prod_env.setenv("SANIC_WORKERS", "2")
    assert number_of_sanic_workers(lock) == 2, "Rasa allows workers with this lock store"


def test_a_tracker_store_that_does_not_import_stops_the_start(prod_env, tmp_path):
    """Rasa would quietly use its in-memory store instead, one per server."""
    text = open("endpoints.prod.yml", encoding="utf-8").read().replace(
        "bot.tracker_store.RedactingSQLTrackerStore", "bot.no_such_module.Store")
    path = tmp_path / "endpoints.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        production.read_production_endpoints(str(path))
    assert "niet te laden" in str(stopped.value.code)


def test_failing_tracker_store_raises_instead_of_answering_from_an_empty_tracker():
    from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    class Down(TrackerStore):
        async def retrieve(self, sender_id):
            raise ConnectionError("database down")

        async def save(self, tracker):
            raise ConnectionError("database down")

    class Agent:
        def __init__(self):
            self.tracker_store = FailSafeTrackerStore(Down(Domain.empty()))
            self.processor = type("P", (), {"tracker_store": self.tracker_store})()

    agent = Agent()
    # Rasa's default: the failure is swallowed and an empty tracker is made up.
    assert asyncio.run(agent.tracker_store.retrieve("x")) is None
    production.make_tracker_store_strict(agent)
    with pytest.raises(ConnectionError):
        asyncio.run(agent.tracker_store.retrieve("x"))
    with pytest.raises(ConnectionError):
        asyncio.run(agent.tracker_store.save(DialogueStateTracker("x", [])))
    with pytest.raises(ConnectionError):
        asyncio.run(agent.processor.tracker_store.get_or_create_tracker("x"))


def test_the_api_needs_a_key(monkeypatch):
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("RASA_JWT_SECRET", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["api"])
    assert "alleen met een toegangssleutel" in str(stopped.value.code)
    with pytest.raises(SystemExit) as stopped:
        main(["api", "--auth-token", "kort"])
    assert "te kort" in str(stopped.value.code)
    # 16 characters were enough before; whoever holds the key reads every conversation
    with pytest.raises(SystemExit) as stopped:
        main(["api", "--auth-token", "a" * 31])
    assert "minstens 32 tekens" in str(stopped.value.code)
    with pytest.raises(SystemExit) as stopped:
        main(["api", "--jwt-secret", "geheim"])
    assert "--jwt-secret is te kort" in str(stopped.value.code)


def test_production_refuses_a_short_action_secret_and_debug_logging(prod_env):
    prod_env.setenv("WEGWIJZER_ACTION_TOKEN", "kort")
    prod_env.setenv("LOG_LEVEL", "DEBUG")
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--production"])
    message = str(stopped.value.code)
    assert "WEGWIJZER_ACTION_TOKEN is te kort" in message
    assert "LOG_LEVEL=DEBUG mag niet in productie" in message


def test_the_production_action_server_needs_the_case_database(monkeypatch):
    monkeypatch.setenv("WEGWIJZER_ACTION_TOKEN", "t" * 40)
    monkeypatch.delenv("WEGWIJZER_DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["actions", "--production"])
    assert "WEGWIJZER_DATABASE_URL ontbreekt" in str(stopped.value.code)


def test_workers_only_with_production():
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--workers", "2"])
    assert "alleen met --production" in str(stopped.value.code)
