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
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot.dates import find_birth_date_spans
from bot.sealed_slots import seal, unseal
from bot.tracker_store import (
    CASE_NUMBER_REDACTION,
    CHECKED_KEY,
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
    """The events of a case lookup, turn by turn, as Rasa and our actions write them (Rasa
    saves the tracker after each turn): the form starts, asks the number, then the date."""
    return [
        [ActionExecuted("action_listen"), user("hoe staat het met mijn aanvraag?", "ask_case_status"),
         ActionExecuted("case_lookup_form"), ActiveLoop("case_lookup_form"),
         SlotSet("requested_slot", "case_number"), BotUttered("Wat is het zaaknummer?"),
         ActionExecuted("action_listen")],
        [user("DEMO-1005", "inform_case_number"), ActionExecuted("case_lookup_form"),
         SlotSet("case_number", seal("DEMO-1005")), SlotSet("requested_slot", "birth_date"),
         BotUttered("Wat is de geboortedatum?"), ActionExecuted("action_listen")],
        [user(f"hij is geboren op {birth}"), ActionExecuted("case_lookup_form"),
         SlotSet("birth_date", "checked"), SlotSet("verified_case_number", seal("DEMO-1005")),
         ActiveLoop(None), SlotSet("requested_slot", None),
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
    assert "9 mei 2011" not in data and data.count(REDACTION) >= 3  # text, parse text, entity
    assert "typed" not in data, "metadata the widget does not send is dropped"
    assert redacted.intent_name == "inform_date" and redacted.timestamp == event.timestamp
    assert event.text == "ik ben geboren op 9 mei 2011"


def test_events_without_a_date_keep_their_text_and_lose_unknown_metadata():
    event = user("wat is de wlz?", "info_wlz")
    stored = redact_event(event)
    assert stored.text == event.text and stored.parse_data["text"] == event.text
    assert stored.metadata == {CHECKED_KEY: True}, "'typed' is not a key the widget sends"
    assert redact_event(stored) is stored, "a stored message is not rewritten again"
    for other in (BotUttered("dinsdag 1 december 2026"), SlotSet("birth_date", "checked"),
                  SlotSet("decision_date", "2026-11-03")):
        assert redact_event(other) is other


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
    stored_texts = [e.text for e in stored.events if isinstance(e, UserUttered)]
    assert stored_texts[-1] == REDACTION, "the whole answer to the date question"
    assert [e.text for e in stored.events if isinstance(e, UserUttered)][1] == CASE_NUMBER_REDACTION
    assert "DEMO-1005" not in raw, "the case number is sealed in the slots and gone from the text"
    assert stored.get_slot("birth_date") == "checked"
    assert unseal(stored.get_slot("verified_case_number")) == "DEMO-1005"
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
    assert [e.text for e in stored.events if isinstance(e, UserUttered)][-1] == REDACTION
    assert not any("DEMO-1005" in data for _, _, data in rows)
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


# --- by state, not by pattern; metadata; bounded conversations --------------------------------------

#: Ways of typing a birth date that no date pattern needs to know: the state decides.
ODD_FORMS = ["2011/05/09", "9 5 2011", "9 May 2011", "negen mei 2011", "09052011",
             "20110509", "9-mei-2011", "geboren in 2011 op 9 mei", "de negende, mei elf"]


@pytest.mark.parametrize("typed", ODD_FORMS)
def test_every_answer_to_the_date_question_is_replaced_whole(typed):
    store = RedactingInMemoryTrackerStore(DOMAIN)
    turns = lookup_turns("x")
    turns[2][0] = user(typed)

    async def run():
        for turn in turns:
            tracker = await store.retrieve("odd-1") or DialogueStateTracker("odd-1", DOMAIN.slots)
            for event in turn:
                tracker.update(event)
            await store.save(tracker)
        return store.store["odd-1"]

    raw = asyncio.run(run())
    assert typed not in raw
    for digits in ("2011", "09052011", "20110509"):
        assert digits not in _user_and_slot_text(raw), digits


def _user_and_slot_text(raw: str) -> str:
    """The user texts, parse data and slot values of a serialised tracker (no timestamps)."""
    events = json.loads(raw)["events"]
    keep = []
    for event in events:
        if event["event"] == "user":
            keep.append(json.dumps([event["text"], event["parse_data"], event.get("metadata")],
                                   ensure_ascii=False))
        elif event["event"] == "slot" and isinstance(event.get("value"), str):
            if not event["value"].startswith("sealed:"):
                keep.append(event["value"])
    return "\n".join(keep)


def test_the_message_that_starts_the_lookup_keeps_no_case_number():
    store = RedactingInMemoryTrackerStore(DOMAIN)
    tracker = DialogueStateTracker("start-1", DOMAIN.slots)
    for event in (ActionExecuted("action_listen"),
                  user("hoe staat het met zaak DEMO-1005?", "ask_case_status"),
                  ActionExecuted("case_lookup_form"), ActiveLoop("case_lookup_form"),
                  SlotSet("case_number", seal("DEMO-1005")), SlotSet("requested_slot", "birth_date"),
                  ActionExecuted("action_listen")):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    raw = store.store["start-1"]
    assert "DEMO-1005" not in raw and CASE_NUMBER_REDACTION in raw


def test_an_unsealed_case_number_or_a_date_in_the_lookup_slots_is_never_kept():
    for name in ("case_number", "verified_case_number"):
        assert redact_event(SlotSet(name, "DEMO-1005")).value == CASE_NUMBER_REDACTION
        sealed = SlotSet(name, seal("DEMO-1005"))
        assert redact_event(sealed) is sealed
    assert redact_event(SlotSet("birth_date", "9 5 2011")).value == REDACTION


def test_only_the_widgets_metadata_is_kept_and_never_the_client_address():
    event = UserUttered("hallo", {"name": "greet", "confidence": 1.0},
                        metadata={"municipality": "gemeente-voorbeeld", "audience": "simple",
                                  "client_address": "203.0.113.7", "x" * 10: "y" * 100_000,
                                  "nested": {"a": [1, 2, {"b": "c"}]}})
    stored = redact_event(event)
    assert stored.metadata == {"municipality": "gemeente-voorbeeld", "audience": "simple",
                               CHECKED_KEY: True}
    assert "client_address" not in json.dumps(stored.as_dict())
    session = SlotSet("session_started_metadata", {"client_address": "203.0.113.7",
                                                    "municipality": "gemeente-voorbeeld"})
    assert redact_event(session).value == {"municipality": "gemeente-voorbeeld"}


def test_a_very_long_conversation_goes_on_in_a_new_session_with_its_slots(monkeypatch):
    import bot.tracker_store as module

    monkeypatch.setattr(module, "MAX_EVENTS_PER_SESSION", 50)
    domain = Domain.from_yaml("""
version: "3.1"
slots:
  audience: {type: categorical, values: [parent, simple, professional], mappings: [{type: custom}]}
""")
    store = RedactingInMemoryTrackerStore(domain)

    async def run():
        for turn in range(40):
            tracker = await store.retrieve("long-1") or DialogueStateTracker("long-1", domain.slots)
            if turn == 0:
                tracker.update(SlotSet("audience", "simple"))
            for event in (user(f"vraag {turn}", "greet"), BotUttered("antwoord"),
                          ActionExecuted("action_listen")):
                tracker.update(event)
            await store.save(tracker)
        return await store.retrieve("long-1")

    tracker = asyncio.run(run())
    assert len(json.loads(store.store["long-1"])["events"]) <= 60, "bounded"
    assert tracker.get_slot("audience") == "simple", "the slots are carried over"
    assert tracker.latest_message.text == "vraag 39"


def test_the_in_memory_store_forgets_old_and_surplus_conversations():
    store = RedactingInMemoryTrackerStore(DOMAIN, max_conversations=3, ttl_seconds=3600)

    async def save(sender):
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        tracker.update(user("hallo", "greet"))
        await store.save(tracker)

    for number in range(5):
        asyncio.run(save(f"c{number}"))
    assert list(store.store) == ["c2", "c3", "c4"], "at most three, the least recent went first"
    store._saved_at["c2"] -= 7200  # two hours without a turn
    assert asyncio.run(store.retrieve("c2")) is None
    assert "c2" not in store.store and "c3" in store.store
