"""`wegwijzer purge --older-than 30d` against PostgreSQL: the tracker store's events and the case
store's lookup attempts, as a municipality's daily job would run it."""
from __future__ import annotations

import asyncio
import time
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot import retention
from bot.cases.db import dispose_engines, get_engine, migrate
from bot.cases.repository import lookup_case
from tests.support import production as prod

DAY = 24 * 3600


def _store(db_name: str):
    """The production tracker store class (Rasa's SQL store until bot/tracker_store.py exists)."""
    try:
        from bot.tracker_store import RedactingSQLTrackerStore as Store
    except ImportError:
        from rasa.core.tracker_store import SQLTrackerStore as Store
    from rasa.shared.core.domain import Domain

    return Store(domain=Domain.empty(), dialect="postgresql", host=prod.PG_HOST, port=prod.PG_PORT,
                 db=db_name, username=prod.PG_USER)


def _session(start: float, text: str) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

    return [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start + 0.001),
        ActionExecuted("action_listen", timestamp=start + 0.002),
        UserUttered(text, {"name": "greet", "confidence": 1.0}, timestamp=start + 1),
        ActionExecuted("utter_greet", timestamp=start + 2),
        BotUttered("Hallo", timestamp=start + 2.1),
        ActionExecuted("action_listen", timestamp=start + 3),
    ]


def _save(store, sender: str, events: list) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events, [])))


def _stored(db_name: str) -> dict[str, int]:
    engine = sa.create_engine(prod.database_url(db_name), future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT sender_id, count(*) FROM events GROUP BY sender_id")
            ).all()
    finally:
        engine.dispose()
    return {sender: count for sender, count in rows}


@pytest.fixture
def filled(fresh_database: str):
    """Three conversations and some lookup attempts, at known ages."""
    now = time.time()
    store = _store(fresh_database)
    _save(store, "old", _session(now - 40 * DAY, "hallo"))
    _save(store, "live", _session(now - 40 * DAY, "hallo") + _session(now - 1 * DAY, "weer hallo"))
    _save(store, "recent", _session(now - 2 * DAY, "goedemiddag"))
    cases_url = prod.database_url(fresh_database)
    migrate(cases_url)
    engine = get_engine(cases_url)
    moment = datetime.now(timezone.utc)
    for age, conversation in ((40, "old"), (35, "old"), (1, "recent")):
        lookup_case(engine, "ZAAK-0000", date(2011, 5, 9), conversation,
                    now=moment - timedelta(days=age))
    yield store, cases_url
    store.engine.dispose()
    dispose_engines(cases_url)


def test_period_parsing():
    assert retention.parse_period("30d") == timedelta(days=30)
    assert retention.parse_period("12h") == timedelta(hours=12)
    assert retention.parse_period("4w") == timedelta(weeks=4)
    assert retention.parse_period("30 dagen") == timedelta(days=30)
    for bad in ("30", "d30", "0d", "-3d", "30 jaar", ""):
        with pytest.raises(ValueError, match="termijn|groter"):
            retention.parse_period(bad)


def test_purge_deletes_old_conversations_old_sessions_and_attempts(filled, fresh_database):
    store, cases_url = filled
    before = _stored(fresh_database)
    assert before == {"old": 7, "live": 14, "recent": 7}
    live_before = asyncio.run(store.retrieve("live"))

    dry = retention.purge(timedelta(days=30), retention.tracker_engine_for(prod.database_url(fresh_database)),
                          get_engine(cases_url), dry_run=True)
    assert (dry.conversations, dry.conversation_events, dry.old_session_events) == (1, 7, 7)
    assert dry.lookup_attempts == 8  # two lookups, each counted for its four subjects
    assert _stored(fresh_database) == before, "a dry run deletes nothing"

    report = retention.purge(timedelta(days=30),
                             retention.tracker_engine_for(prod.database_url(fresh_database)),
                             get_engine(cases_url))
    assert (report.conversations, report.conversation_events, report.old_session_events) == (1, 7, 7)
    assert report.lookup_attempts == 8
    assert "gesprekken verwijderd: 1 (7 gebeurtenissen)" in report.summary()
    assert _stored(fresh_database) == {"live": 7, "recent": 7}

    # The live conversation reads back exactly as before (Rasa reads its latest session only) ...
    live_after = asyncio.run(store.retrieve("live"))
    assert [e.as_dict() for e in live_after.events] == [e.as_dict() for e in live_before.events]
    # ... and goes on: the next turn appends without duplicating anything.
    from rasa.shared.core.events import UserUttered

    live_after.update(UserUttered("en nu?", {"name": "greet", "confidence": 1.0}))
    asyncio.run(store.save(live_after))
    assert _stored(fresh_database)["live"] == 8

    again = retention.purge(timedelta(days=30),
                            retention.tracker_engine_for(prod.database_url(fresh_database)),
                            get_engine(cases_url))
    assert (again.conversations, again.old_session_events, again.lookup_attempts) == (0, 0, 0)


def test_purge_command_uses_the_production_settings(filled, fresh_database, key_prefix, monkeypatch, capsys):
    """The command as the daily job runs it: settings from the environment and endpoints.prod.yml."""
    pytest.importorskip("bot.tracker_store", reason="bot/tracker_store.py (RedactingSQLTrackerStore) not there yet")
    env = prod.production_env(fresh_database, key_prefix, "http://127.0.0.1:5055/webhook")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from bot.cli import main

    main(["purge", "--older-than", "30d"])
    out = capsys.readouterr().out
    assert "gesprekken verwijderd: 1 (7 gebeurtenissen)" in out
    assert "oude sessies van lopende gesprekken verwijderd: 7" in out
    assert "zoekpogingen naar zaken verwijderd: 8" in out
    assert _stored(fresh_database) == {"live": 7, "recent": 7}


def test_purge_rejects_a_bad_period_in_dutch(capsys):
    from bot.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["purge", "--older-than", "30 jaar"])
    assert stopped.value.code == 2
    assert "geen termijn" in capsys.readouterr().err


def test_purge_without_settings_says_what_is_missing(monkeypatch, capsys):
    for name in ("POSTGRES_HOST", "POSTGRES_DB", "ACTION_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)
    from bot.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["purge", "--older-than", "30d"])
    assert "POSTGRES_HOST ontbreekt" in str(stopped.value.code)
