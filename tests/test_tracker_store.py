"""The redacting tracker stores (bot/tracker_store.py): no birth date stays in the tracker store.

Each test saves a tracker the way Rasa does during a case lookup (after every turn) and reads it
back from the store: through the store's own ``retrieve`` and, for the SQL store, straight from its
``events`` table, on SQLite and on PostgreSQL (a fresh database per test, dropped afterwards;
skipped with the reason where no server runs, failing under WEGWIJZER_REQUIRE_SERVICES=1).
The end-to-end proofs (a served bot on PostgreSQL, an Agent with the in-memory store) are in
tests/test_case_lookup_rest.py.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot.dates import find_birth_date_spans
from bot.tracker_store import (
    REDACTION,
    RedactingInMemoryTrackerStore,
    RedactingSQLTrackerStore,
    redact_event,
    redact_text,
)
from tests.support.postgres import pg_admin_url, pg_database_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
BIRTH_FORMS = ("9 mei 2011", "09-05-2011", "2011-05-09")

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [ask_case_status, inform_case_number, inform_date]
slots:
  case_number:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
  birth_date:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
  verified_case_number:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
"""
)


def user(text: str, intent: str = "inform_date") -> UserUttered:
    return UserUttered(
        text,
        intent={"name": intent, "confidence": 0.9},
        parse_data={
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": [{"entity": "date", "value": text, "start": 0, "end": len(text)}],
            "intent_ranking": [{"name": intent, "confidence": 0.9}],
        },
        metadata={"typed": text},
    )


def lookup_turns(birth: str) -> list[list]:
    """The events of a case lookup, turn by turn (Rasa saves the tracker after each turn)."""
    return [
        [ActionExecuted("action_listen"), user("hoe staat het met mijn aanvraag?", "ask_case_status"),
         ActionExecuted("case_lookup_form"), BotUttered("Wat is het zaaknummer?"),
         ActionExecuted("action_listen")],
        [user("DEMO-1005", "inform_case_number"), ActionExecuted("case_lookup_form"),
         SlotSet("case_number", "DEMO-1005"), BotUttered("Wat is de geboortedatum?"),
         ActionExecuted("action_listen")],
        [user(f"hij is geboren op {birth}"), ActionExecuted("case_lookup_form"),
         SlotSet("birth_date", "checked"), SlotSet("verified_case_number", "DEMO-1005"),
         ActionExecuted("action_show_case_status"),
         BotUttered("Bezwaar maken kan tot en met dinsdag 1 december 2026."),
         ActionExecuted("action_listen")],
    ]


async def converse(store: TrackerStore, sender: str, birth: str) -> DialogueStateTracker:
    """Play the lookup into ``store`` the way the processor does: retrieve, update, save."""
    for turn in lookup_turns(birth):
        tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
        for event in turn:
            tracker.update(event)
        await store.save(tracker)
    return tracker


def assert_no_birth_date(texts: list[str]) -> None:
    joined = "\n".join(texts)
    for form in BIRTH_FORMS:
        assert form not in joined, form


def user_strings(tracker: DialogueStateTracker) -> list[str]:
    """Everything of the user's messages as stored: text, parse_data, metadata."""
    return [json.dumps(e.as_dict(), ensure_ascii=False) for e in tracker.events
            if isinstance(e, UserUttered)]


# --- redaction ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("9 mei 2011", REDACTION),
        ("geboren op 09-05-2011, dank je", f"geboren op {REDACTION}, dank je"),
        ("2011-05-09", REDACTION),
        ("DEMO-1005", "DEMO-1005"),
        ("zaak 2024-0457 van 3 november", f"zaak 2024-0457 van {REDACTION}"),
        ("9 mei 2011 of 10 mei 2011", f"{REDACTION} of {REDACTION}"),
        ("", ""),
    ],
)
def test_dates_in_a_text_are_replaced(text, expected):
    assert redact_text(text) == expected


def test_a_user_event_is_redacted_everywhere_and_the_original_is_untouched():
    event = user("ik ben geboren op 9 mei 2011")
    redacted = redact_event(event)
    assert redacted is not event
    data = json.dumps(redacted.as_dict(), ensure_ascii=False)
    assert "9 mei 2011" not in data and data.count(REDACTION) >= 4  # text, parse text, entity, meta
    assert redacted.intent_name == "inform_date" and redacted.timestamp == event.timestamp
    assert event.text == "ik ben geboren op 9 mei 2011"


def test_events_without_a_date_are_kept_as_they_are():
    for event in (user("DEMO-1005", "inform_case_number"), BotUttered("dinsdag 1 december 2026"),
                  SlotSet("birth_date", "checked"), SlotSet("decision_date", "2026-11-03")):
        assert redact_event(event) is event


def test_a_date_in_the_birth_date_slot_would_be_redacted_too():
    assert redact_event(SlotSet("birth_date", "2011-05-09")).value == REDACTION


# --- the in-memory store ---------------------------------------------------------------------------


def test_endpoints_yml_configures_the_redacting_in_memory_store():
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    store = TrackerStore.create(endpoints.tracker_store, DOMAIN)
    assert isinstance(store, RedactingInMemoryTrackerStore)


@pytest.mark.parametrize("birth", BIRTH_FORMS)
def test_the_in_memory_store_keeps_no_birth_date(birth):
    store = TrackerStore.create(
        EndpointConfig(type="bot.tracker_store.RedactingInMemoryTrackerStore"), DOMAIN
    )

    async def run():
        live = await converse(store, "mem-1", birth)
        assert f"hij is geboren op {birth}" == live.latest_message.text, "the live turn is intact"
        stored = await store.retrieve_full_tracker("mem-1")
        raw = store.store["mem-1"]  # the serialised form the store keeps
        return live, stored, raw

    live, stored, raw = asyncio.run(run())
    assert_no_birth_date([raw, *user_strings(stored)])
    assert stored.latest_message.text == f"hij is geboren op {REDACTION}"
    assert stored.get_slot("birth_date") == "checked"
    assert stored.get_slot("verified_case_number") == "DEMO-1005"
    assert len(stored.events) == len(live.events)
    # the bot's own messages (deadlines) stay readable
    assert "dinsdag 1 december 2026" in raw


# --- the SQL store ---------------------------------------------------------------------------------


def sql_endpoint(url: str) -> EndpointConfig:
    """The endpoints section for the SQL store at SQLAlchemy ``url`` (as in endpoints.prod.yml)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return EndpointConfig(type="bot.tracker_store.RedactingSQLTrackerStore",
                              dialect="sqlite", db=parsed.database)
    return EndpointConfig(
        type="bot.tracker_store.RedactingSQLTrackerStore", dialect="postgresql",
        url=parsed.host, port=parsed.port or 5432, db=parsed.database,
        username=parsed.username, password=parsed.password,
    )


def stored_rows(url: str) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT sender_id, type_name, data FROM events ORDER BY id")
            ).fetchall()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


def check_sql_store(url: str, birth: str) -> None:
    store = TrackerStore.create(sql_endpoint(url), DOMAIN)
    assert isinstance(store, RedactingSQLTrackerStore)

    async def run():
        live = await converse(store, "sql-1", birth)
        return live, await store.retrieve_full_tracker("sql-1")

    try:
        live, stored = asyncio.run(run())
    finally:
        store.engine.dispose()
    rows = stored_rows(url)
    assert len(rows) == len(live.events) == len(stored.events), "each event stored once"
    assert_no_birth_date([data for _, _, data in rows])
    for _, kind, data in rows:
        if kind == "user":
            assert find_birth_date_spans(json.loads(data)["text"]) == []
    assert any(REDACTION in data for _, kind, data in rows if kind == "user")
    assert stored.latest_message.text == f"hij is geboren op {REDACTION}"
    assert stored.get_slot("birth_date") == "checked"
    assert any("dinsdag 1 december 2026" in data for _, kind, data in rows if kind == "bot")


@pytest.mark.parametrize("birth", BIRTH_FORMS)
def test_the_sql_store_keeps_no_birth_date_on_sqlite(tmp_path, birth):
    check_sql_store(f"sqlite:///{tmp_path / 'tracker.db'}", birth)


def test_the_sql_store_keeps_no_birth_date_on_postgresql(pg_database_url):  # noqa: F811
    for birth in BIRTH_FORMS:
        check_sql_store(pg_database_url, birth)
        engine = sa.create_engine(pg_database_url)
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM events"))
        engine.dispose()


# --- while the database is down ------------------------------------------------------------------


class _UnreachableStore(InMemoryTrackerStore):
    """A store whose database is gone: every save and retrieve fails, as SQLAlchemy would."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        raise sa.exc.OperationalError("INSERT INTO events", {}, ConnectionRefusedError("database down"))

    async def retrieve(self, sender_id: str):
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError("database down"))


@pytest.mark.parametrize("birth", BIRTH_FORMS)
def test_the_fallback_store_during_an_outage_keeps_no_birth_date(birth):
    store = FailSafeTrackerStore(_UnreachableStore(DOMAIN))

    async def run():
        live = await converse(store, "down-1", birth)
        return live, store.fallback_tracker_store.store["down-1"]

    live, raw = asyncio.run(run())
    assert f"hij is geboren op {birth}" == live.latest_message.text, "the live turn is intact"
    assert_no_birth_date([raw])
    assert REDACTION in raw
    assert "dinsdag 1 december 2026" in raw
