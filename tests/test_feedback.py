"""Feedback and topic counts (issue 6, item 3): the action, the event broker, `wegwijzer report`.

- `action_store_feedback` with rasa_sdk's Tracker on a fresh, migrated SQLite database
  (WEGWIJZER_DATABASE_URL): the right topic, yes/no, UTC time, and never the user's text or the
  sender id; a database error still thanks the user.
- `bot.analytics.TopicStatsEventBroker` with real Rasa events (through Rasa's tracker store, the
  way the server publishes them) and with plain event dicts: `asked` per intent, `fell_back` for
  the best non-fallback intent, no text in the database; loaded by Rasa from endpoints.yml.
- `python -m bot.cli report` as a subprocess: labels and numbers, text and CSV.
- the migration on an empty PostgreSQL database (skipped with the reason where none runs,
  failing under WEGWIJZER_REQUIRE_SERVICES=1).
- over REST with the real servers (`served_bot`): a knowledge question, then a "no" from the
  widget; the served bot's database holds the row and the count.
"""
from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from actions.feedback import ActionStoreFeedback
from bot import stats
from bot.analytics import TopicStatsEventBroker
from bot.cases.db import DATABASE_URL_ENV, dispose_engines, get_engine, migrate
from bot.cases.models import metadata
from bot.responses import pick_variant
from tests.actions.helpers import make_tracker, run_action
from tests.support.postgres import pg_admin_url, pg_database_url  # noqa: F401
from tests.support.servers import ROOT, button_payloads, texts

SECRET = "Mijn zoon Jeroen de Vries heeft autisme, wij wonen in Utrecht"
SENDER = "sender-7f3a9c"
FEEDBACK_RESPONSES = yaml.safe_load((ROOT / "data/responses/feedback.yml").read_text())["responses"]


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    """A fresh SQLite database, migrated, named by WEGWIJZER_DATABASE_URL for this test."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    migrate(url)
    yield url
    dispose_engines(url)


def user_event(intent: str, text: str = SECRET, ranking: list[dict] | None = None,
               entities: list[dict] | None = None, confidence: float = 0.93, **extra) -> dict:
    """A `user` event as the action server receives it in `tracker.events`."""
    return {
        "event": "user",
        "timestamp": time.time(),
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
        },
        "input_channel": "rest",
        "message_id": uuid.uuid4().hex,
        "metadata": {},
        **extra,
    }


def bot_event(name: str) -> dict:
    return {"event": "bot", "text": "…", "metadata": {"utter_action": name}}


def feedback_tracker(history: list[dict], helpful: str | None, text: str | None = None,
                     audience: str = "parent"):
    """A tracker whose last message is the feedback (the widget's payload, or typed ``text``)."""
    entities = [{"entity": "helpful", "value": helpful}] if helpful else []
    message = text if text is not None else f'/feedback{{"helpful":"{helpful}"}}'
    events = history + [user_event("feedback", text=message, entities=entities, confidence=1.0)]
    return make_tracker(text=message, intent="feedback", entities=entities, events=events,
                        slots={"audience": audience}, sender_id=SENDER)


def all_values(url: str) -> list:
    """Every value of every row of every table (to prove what is not stored)."""
    engine = get_engine(url)
    values = []
    with engine.connect() as connection:
        for table in sa.inspect(engine).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                values.extend(row)
    return values


def feedback_rows(url: str) -> list[tuple]:
    with get_engine(url).connect() as connection:
        return list(connection.execute(sa.text("SELECT topic, helpful, created_at FROM feedback ORDER BY id")))


def stat_rows(url: str) -> dict[tuple[str, str], tuple[int, int]]:
    with get_engine(url).connect() as connection:
        rows = connection.execute(sa.text("SELECT day, topic, asked, fell_back FROM topic_stats"))
        return {(str(day), topic): (asked, fell_back) for day, topic, asked, fell_back in rows}


def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


# --- the action ----------------------------------------------------------------------------------


def test_a_no_is_stored_with_the_topic_and_nothing_else(db_url):
    history = [user_event("info_wmo"), bot_event("utter_info_wmo")]
    before = datetime.now(timezone.utc)
    dispatcher, events = run_action(ActionStoreFeedback(), feedback_tracker(history, "no"), {})
    after = datetime.now(timezone.utc)

    assert events == []
    assert [m.get("response") for m in dispatcher.messages] == [
        "utter_feedback_thanks", "utter_feedback_offer_human"]
    rows = feedback_rows(db_url)
    assert len(rows) == 1
    topic, helpful, created_at = rows[0]
    assert (topic, bool(helpful)) == ("info_wmo", False)
    stored = stats.read_stats(get_engine(db_url), before.date(), after.date())
    assert stored == {"info_wmo": {"asked": 0, "fell_back": 0, "rated_yes": 0, "rated_no": 1}}
    # created_at is UTC: SQLite keeps naive UTC text, read back as an aware UTC time
    with get_engine(db_url).connect() as connection:
        from bot.cases.models import Feedback

        moment = connection.execute(sa.select(Feedback.created_at)).scalar_one()
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= moment <= after + timedelta(seconds=1)
    # never the user's text, the feedback text or the sender id
    flat = " ".join(str(v) for v in all_values(db_url))
    assert "Jeroen" not in flat and "Utrecht" not in flat and SENDER not in flat
    assert "helpful" not in flat


def test_a_yes_only_thanks(db_url):
    history = [user_event("info_pgb"), bot_event("utter_info_pgb")]
    dispatcher, _ = run_action(ActionStoreFeedback(), feedback_tracker(history, "yes"), {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_feedback_thanks"]
    assert [(t, bool(h)) for t, h, _ in feedback_rows(db_url)] == [("info_pgb", True)]


@pytest.mark.parametrize(
    "history, topic",
    [
        # a guided flow: the date typed for the form is not the topic, the flow's question is
        ([user_event("info_wlz_refusal"), bot_event("utter_ask_decision_date"),
          user_event("inform_date", text="3 november"), bot_event("utter_refusal_plan")],
         "info_wlz_refusal"),
        # the case lookup: number and birth date are passed over
        ([user_event("ask_case_status"), user_event("inform_case_number", text="DEMO-1005"),
          user_event("inform_date", text="9 mei 2011"), bot_event("utter_case_status")],
         "ask_case_status"),
        # the two-stage fallback: the fallback, then the topic the user chose
        ([user_event("nlu_fallback", ranking=[{"name": "nlu_fallback"}, {"name": "info_pgb"}]),
          bot_event("utter_fallback_question"), user_event("info_pgb", text="/info_pgb")],
         "info_pgb"),
        # "ik snap het niet" keeps the topic of the answer before
        ([user_event("info_beschikking"), user_event("not_understood", text="snap ik niet")],
         "info_beschikking"),
        # answered frame intents are topics too; a retrieval intent counts as its base intent
        ([user_event("info_wmo"), user_event("chitchat/ask_name", text="wie ben jij")], "chitchat"),
        ([user_event("request_human", text="ik wil een mens")], "request_human"),
        # nothing answered: unknown
        ([user_event("greet"), user_event("set_audience", text='/set_audience{"audience":"simple"}')],
         "unknown"),
        ([], "unknown"),
    ],
)
def test_the_topic_is_the_last_answered_question(db_url, history, topic):
    run_action(ActionStoreFeedback(), feedback_tracker(history, "no"), {})
    assert [t for t, _, _ in feedback_rows(db_url)] == [topic]


@pytest.mark.parametrize(
    "text, entity, helpful",
    [
        ("daar had ik niks aan", "niks aan", False),   # the entity as typed, no synonym mapping
        ("daar had ik niks aan", None, False),         # no entity: the words decide
        ("dit antwoord was nuttig", "yes", True),
        ("dit antwoord was nuttig", None, True),
        # measured with the trained model: DIET took only "bruikbaar" (a synonym of yes)
        ("het antwoord was niet bruikbaar", "yes", False),
        ("dat antwoord hielp me niet", "hielp", False),
    ],
)
def test_typed_feedback(db_url, text, entity, helpful):
    history = [user_event("info_costs")]
    entities = [{"entity": "helpful", "value": entity}] if entity else []
    events = history + [user_event("feedback", text=text, entities=entities)]
    tracker = make_tracker(text=text, intent="feedback", entities=entities, events=events)
    dispatcher, _ = run_action(ActionStoreFeedback(), tracker, {})
    assert [(t, bool(h)) for t, h, _ in feedback_rows(db_url)] == [("info_costs", helpful)]
    assert ("utter_feedback_offer_human" in [m.get("response") for m in dispatcher.messages]) is not helpful
    assert text not in " ".join(str(v) for v in all_values(db_url))


def test_a_database_error_still_thanks_and_logs_only_the_error_type(tmp_path, monkeypatch, caplog):
    url = f"sqlite:///{tmp_path / 'not-migrated.db'}"  # no feedback table
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    history = [user_event("info_wmo")]
    with caplog.at_level(logging.WARNING):
        dispatcher, _ = run_action(ActionStoreFeedback(), feedback_tracker(history, "no"), {})
    dispose_engines(url)
    assert [m.get("response") for m in dispatcher.messages] == [
        "utter_feedback_thanks", "utter_feedback_offer_human"]
    logged = [r.getMessage() for r in caplog.records if r.name == "actions.feedback"]
    assert logged == ["Feedback niet opgeslagen (OperationalError)."]  # the type, not the text
    assert "Jeroen" not in caplog.text and "INSERT" not in caplog.text


@pytest.mark.parametrize(
    "audience, thanks, offer, button",
    [
        ("parent", "Bedankt voor uw reactie.", "Wilt u iemand van de gemeente spreken?", "Ja, iemand spreken"),
        ("simple", "Dank je.", "Wil je met iemand van de gemeente praten?", "Ja, een mens"),
        ("professional", "Dank voor uw reactie.", "Wilt u iemand van de gemeente spreken?",
         "Contact met de gemeente"),
    ],
)
def test_the_answer_per_audience(audience, thanks, offer, button):
    assert pick_variant(FEEDBACK_RESPONSES, "utter_feedback_thanks", audience)["text"] == thanks
    variant = pick_variant(FEEDBACK_RESPONSES, "utter_feedback_offer_human", audience)
    assert variant["text"] == offer
    assert variant["buttons"] == [{"title": button, "payload": "/request_human"}]


def test_the_domain_declares_intent_entity_action_and_rule():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert "feedback" in domain["intents"]
    assert "helpful" in domain["entities"]
    assert "action_store_feedback" in domain["actions"]
    rules = yaml.safe_load((ROOT / "data/rules/feedback.yml").read_text())["rules"]
    assert rules[0]["steps"] == [{"intent": "feedback"}, {"action": "action_store_feedback"}]


def test_feedback_nlu_examples_carry_yes_or_no():
    from rasa.shared.nlu.training_data.loading import load_data

    for path, minimum in (("data/nlu/feedback.yml", 10), ("tests/nlu/feedback.yml", 8)):
        examples = [m for m in load_data(str(ROOT / path)).intent_examples if m.get("intent") == "feedback"]
        assert len(examples) >= minimum, path
        for example in examples:
            values = {e["value"] for e in example.get("entities") or [] if e["entity"] == "helpful"}
            assert values in ({"yes"}, {"no"}), example.get("text")
    train = {m.get("text").lower() for m in load_data(str(ROOT / "data/nlu/feedback.yml")).intent_examples}
    held_out = {m.get("text").lower() for m in load_data(str(ROOT / "tests/nlu/feedback.yml")).intent_examples}
    assert not train & held_out


# --- the event broker ----------------------------------------------------------------------------


def test_rasa_loads_the_broker_from_endpoints_yml():
    from rasa.core.brokers.broker import EventBroker
    from rasa.core.utils import AvailableEndpoints

    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    broker = asyncio.run(EventBroker.create(endpoints.event_broker))
    assert isinstance(broker, TopicStatsEventBroker)
    assert broker.url is None  # WEGWIJZER_DATABASE_URL decides, like the action server


def test_the_production_broker_needs_the_database_url(monkeypatch):
    from rasa.utils.endpoints import EndpointConfig

    section = yaml.safe_load((ROOT / "endpoints.prod.yml").read_text())["event_broker"]
    config = EndpointConfig.from_dict(section)
    assert config.type == "bot.analytics.TopicStatsEventBroker"
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    assert asyncio.run(TopicStatsEventBroker.from_endpoint_config(config)) is None
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql+psycopg2://u@db/wegwijzer")
    assert isinstance(asyncio.run(TopicStatsEventBroker.from_endpoint_config(config)), TopicStatsEventBroker)


def test_real_rasa_events_through_the_tracker_store_are_counted_without_text(db_url):
    """The path of the running server: tracker store `save` -> `stream_events` -> `publish`."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_store import RedactingInMemoryTrackerStore

    broker = TopicStatsEventBroker(flush_interval=3600)  # flushed by hand below
    store = RedactingInMemoryTrackerStore(event_broker=broker)

    async def conversation() -> None:
        tracker = DialogueStateTracker(SENDER, slots=[])
        turns = [
            UserUttered(SECRET, intent={"name": "info_pgb", "confidence": 0.97},
                        parse_data={"intent": {"name": "info_pgb", "confidence": 0.97},
                                    "intent_ranking": [{"name": "info_pgb", "confidence": 0.97}],
                                    "entities": [], "text": SECRET}, message_id="m1"),
            UserUttered("iets heel vaags over Jeroen", intent={"name": "nlu_fallback", "confidence": 0.45},
                        parse_data={"intent": {"name": "nlu_fallback", "confidence": 0.45},
                                    "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45},
                                                       {"name": "info_wlz", "confidence": 0.31},
                                                       {"name": "info_wmo", "confidence": 0.2}],
                                    "entities": [], "text": "iets heel vaags over Jeroen"}, message_id="m2"),
            UserUttered('/feedback{"helpful":"no"}', intent={"name": "feedback", "confidence": 1.0},
                        parse_data={"intent": {"name": "feedback", "confidence": 1.0},
                                    "intent_ranking": [], "entities": []}, message_id="m3"),
        ]
        for event in turns:
            tracker.update(event)
            tracker.update(BotUttered("…"))
            tracker.update(ActionExecuted("action_listen"))
            await store.save(tracker)

    asyncio.run(conversation())
    assert broker.flush() is True
    assert stat_rows(db_url) == {(today(), "info_pgb"): (1, 0), (today(), "info_wlz"): (0, 1)}
    flat = " ".join(str(v) for v in all_values(db_url))
    assert "Jeroen" not in flat and "vaags" not in flat and SENDER not in flat
    asyncio.run(broker.close())


def test_event_dicts_asked_fallback_and_what_is_not_counted(db_url):
    broker = TopicStatsEventBroker(flush_interval=3600)
    day = datetime(2026, 3, 2, 23, 59, tzinfo=timezone.utc).timestamp()
    next_day = day + 120  # past midnight UTC
    events = [
        {"sender_id": SENDER, **user_event("info_wmo", timestamp=day)},
        {"sender_id": SENDER, **user_event("info_wmo", timestamp=next_day)},
        {"sender_id": SENDER, **user_event("nlu_fallback", timestamp=day, confidence=0.45,
                                           ranking=[{"name": "nlu_fallback", "confidence": 0.45},
                                                    {"name": "info_pgb", "confidence": 0.40}])},
        {"sender_id": SENDER, **user_event("nlu_fallback", timestamp=day, ranking=[{"name": "nlu_fallback"}])},
        {"sender_id": SENDER, **user_event("chitchat/ask_name", timestamp=day)},
        # payload-only intents and non-user events are not counted
        {"sender_id": SENDER, **user_event("feedback", timestamp=day)},
        {"sender_id": SENDER, **user_event("set_audience", timestamp=day)},
        {"sender_id": SENDER, "event": "bot", "text": SECRET, "timestamp": day},
        {"sender_id": SENDER, "event": "action", "name": "action_listen", "timestamp": day},
    ]
    for event in events:
        broker.publish(event)
    # the copy of the clarified message that Rasa's two-stage fallback adds (same message_id)
    broker.publish({**events[0], "timestamp": day + 1})
    broker.flush()
    assert stat_rows(db_url) == {
        ("2026-03-02", "info_wmo"): (1, 0),
        ("2026-03-03", "info_wmo"): (1, 0),
        ("2026-03-02", "info_pgb"): (0, 1),
        ("2026-03-02", "unknown"): (0, 1),
        ("2026-03-02", "chitchat"): (1, 0),
    }
    # a second broker (another server) adds to the same rows: the upsert
    other = TopicStatsEventBroker(flush_interval=3600)
    other.publish({"sender_id": "x", **user_event("info_wmo", timestamp=day)})
    other.flush()
    assert stat_rows(db_url)[("2026-03-02", "info_wmo")] == (2, 0)
    asyncio.run(broker.close())
    asyncio.run(other.close())


def test_publish_is_cheap_and_the_thread_flushes(db_url):
    broker = TopicStatsEventBroker(flush_interval=0.2)
    started = time.perf_counter()
    for _ in range(100):
        broker.publish(user_event("info_rights"))
    assert time.perf_counter() - started < 0.5  # no database work in publish
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and stat_rows(db_url).get((today(), "info_rights")) != (100, 0):
        time.sleep(0.1)
    assert stat_rows(db_url)[(today(), "info_rights")] == (100, 0)
    broker.publish(user_event("info_rights"))
    asyncio.run(broker.close())  # close writes what is left
    assert stat_rows(db_url)[(today(), "info_rights")] == (101, 0)


def test_counts_survive_a_database_error(tmp_path, monkeypatch, caplog):
    url = f"sqlite:///{tmp_path / 'later.db'}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    broker = TopicStatsEventBroker(flush_interval=3600)
    broker.publish(user_event("info_waiting"))
    with caplog.at_level(logging.WARNING, logger="bot.analytics"):
        assert broker.flush() is False  # no table yet
    assert "OperationalError" in caplog.text and "Jeroen" not in caplog.text
    assert sum(broker.pending().values()) == 1
    migrate(url)
    broker.publish(user_event("info_waiting"))
    assert broker.flush() is True
    assert stat_rows(url) == {(today(), "info_waiting"): (2, 0)}
    asyncio.run(broker.close())
    dispose_engines(url)


# --- wegwijzer report ----------------------------------------------------------------------------


def run_report(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", *args], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, DATABASE_URL_ENV: url, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=120,
    )


def fill(url: str) -> None:
    engine = get_engine(url)
    now = datetime.now(timezone.utc)
    day = now.date()
    stats.add_topic_counts(engine, {
        (day, "info_pgb", "asked"): 12, (day, "info_pgb", "fell_back"): 5,
        (day, "info_wmo", "asked"): 30, (day, "info_wmo", "fell_back"): 1,
        (day, "request_human", "asked"): 4,
        (day - timedelta(days=40), "info_bezwaar", "asked"): 99,  # outside the period
    })
    for topic, helpful in [("info_pgb", False)] * 3 + [("info_pgb", True)] + [("info_wmo", True)] * 6:
        stats.record_feedback(engine, topic, helpful, now)
    stats.record_feedback(engine, "info_bezwaar", False, now - timedelta(days=40))


def test_report_prints_labels_numbers_and_needs_attention_first(tmp_path):
    url = f"sqlite:///{tmp_path / 'report.db'}"
    migrate(url)
    fill(url)
    result = run_report(url, "--days", "30")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    first = (datetime.now(timezone.utc).date() - timedelta(days=29))
    assert "Periode:" in out and "30 dagen" in out and str(first.year) in out
    lines = [line for line in out.splitlines() if "info_" in line or "request_human" in line]
    assert [line.split()[0:2] for line in lines][0] == ["Het", "pgb"]  # most fallbacks + "no" first
    pgb = next(line for line in lines if "info_pgb" in line)
    assert pgb.split()[-6:] == ["info_pgb", "12", "5", "1", "3", "25%"]
    wmo = next(line for line in lines if "info_wmo" in line)
    assert "De Wmo" in wmo and wmo.split()[-5:] == ["30", "1", "6", "0", "100%"]
    human = next(line for line in lines if "request_human" in line)
    assert "Iemand van de gemeente spreken" in human and human.split()[-1] == "-"
    assert "info_bezwaar" not in out  # outside the 30 days
    assert "Gevraagd" in out and "Niet herkend" in out and "% nuttig" in out

    longer = run_report(url, "--days", "60")
    assert "Bezwaar maken" in longer.stdout


def test_report_as_csv(tmp_path):
    url = f"sqlite:///{tmp_path / 'report.db'}"
    migrate(url)
    fill(url)
    result = run_report(url, "--format", "csv", "--delimiter", ";")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout), delimiter=";"))
    assert rows[0]["intent"] == "info_pgb"
    by_intent = {row["intent"]: row for row in rows}
    assert by_intent["info_pgb"] == {
        "intent": "info_pgb", "onderwerp": "Het pgb", "gevraagd": "12", "niet_herkend": "5",
        "nuttig_ja": "1", "nuttig_nee": "3", "procent_nuttig": "25"}
    assert by_intent["request_human"]["procent_nuttig"] == ""


def test_report_migrates_a_new_database_first(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = run_report(url)
    assert result.returncode == 0, result.stderr
    assert "Nog geen gegevens" in result.stdout
    assert {"feedback", "topic_stats"} <= set(sa.inspect(sa.create_engine(url)).get_table_names())


# --- PostgreSQL ----------------------------------------------------------------------------------


def test_the_migration_upgrades_an_empty_postgres_database(pg_database_url):  # noqa: F811
    engine = get_engine(pg_database_url)
    assert not sa.inspect(engine).get_table_names()
    migrate(pg_database_url)
    assert {"feedback", "topic_stats", "lookup_verifications"} <= set(sa.inspect(engine).get_table_names())
    with engine.connect() as connection:
        version = connection.execute(sa.text("select version_num from alembic_version")).scalar()
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert version == "0003_lookup_verifications"  # the head revision
    assert diff == [], f"models and migrations differ: {diff}"
    # the upsert and the feedback row on PostgreSQL
    day = date(2026, 5, 4)
    stats.add_topic_counts(engine, {(day, "info_wmo", "asked"): 2, (day, "info_pgb", "fell_back"): 1})
    stats.add_topic_counts(engine, {(day, "info_wmo", "asked"): 3})
    stats.record_feedback(engine, "info_wmo", False, datetime(2026, 5, 4, 12, tzinfo=timezone.utc))
    assert stats.read_stats(engine, day, day) == {
        "info_wmo": {"asked": 5, "fell_back": 0, "rated_yes": 0, "rated_no": 1},
        "info_pgb": {"asked": 0, "fell_back": 1, "rated_yes": 0, "rated_no": 0},
    }
    from bot.cases.db import downgrade

    downgrade(pg_database_url, "0001_initial")
    assert not {"feedback", "topic_stats"} & set(sa.inspect(engine).get_table_names())


# --- over REST, with the real servers ------------------------------------------------------------

QUESTION = "Hoe vraag ik een persoonsgebonden budget aan voor mijn dochter met autisme?"


def test_a_no_from_the_widget_is_stored_with_the_topic_and_the_question_counted(served_bot, sender):
    url = served_bot.database_url
    assert url and url.startswith("sqlite:///"), "served_bot must use a database of its own"
    engine = get_engine(url)

    def asked_pgb() -> int:
        with engine.connect() as connection:
            value = connection.execute(sa.text(
                "SELECT asked FROM topic_stats WHERE topic = 'info_pgb' AND day = :day"),
                {"day": today()}).scalar()
        return int(value or 0)

    def no_rows() -> int:
        with engine.connect() as connection:
            return connection.execute(sa.text(
                "SELECT count(*) FROM feedback WHERE topic = 'info_pgb' AND helpful = :no"),
                {"no": False}).scalar()

    asked_before, rows_before = asked_pgb(), no_rows()
    answer = served_bot.say(QUESTION, sender)
    assert "pgb" in texts(answer).lower(), texts(answer)
    reply = served_bot.say('/feedback{"helpful":"no"}', sender)
    assert "Bedankt voor uw reactie." in texts(reply)
    assert "Wilt u iemand van de gemeente spreken?" in texts(reply)
    assert "/request_human" in button_payloads(reply)

    assert no_rows() == rows_before + 1, "the feedback row (topic info_pgb, no) is missing"
    deadline = time.monotonic() + 30  # the broker writes every few seconds
    while time.monotonic() < deadline and asked_pgb() < asked_before + 1:
        time.sleep(0.5)
    assert asked_pgb() >= asked_before + 1, f"topic_stats did not count the question:\n{served_bot.log()[-3000:]}"
    # nothing of the conversation is in the app database: not the question, not the sender id
    path = Path(url[len("sqlite:///"):])
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert sender.encode() not in raw
    assert "dochter met autisme".encode() not in raw
    dispose_engines(url)
