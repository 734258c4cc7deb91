"""Feedback and topic counts (issue 6, item 3): which topic, how often asked, fell back, rated.

What is stored, and what never is:

- ``feedback`` (one row per "Had u hier iets aan?" answer): the topic, yes or no, and the time
  (UTC). No user text, no sender id, no conversation link.
- ``topic_stats`` (per UTC day and intent): ``asked`` and ``fell_back`` counters. The event broker
  (:mod:`bot.analytics`) reads only the intent names and the time of each user message.

The tables belong to the app database (``WEGWIJZER_DATABASE_URL``, :mod:`bot.cases.db`) and are
created by the migration ``0002_feedback_topic_stats``. This module has no Rasa import: the action
server, the Rasa server's event broker and ``wegwijzer report`` all use it.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping, Optional

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from bot import topics
from bot.cases.db import SQLITE_BEGIN_OPTION
from bot.cases.models import Feedback, TopicStat, utc_now

#: The topic of feedback whose question could not be found.
UNKNOWN_TOPIC = "unknown"
#: The intent of the NLU fallback (Rasa's FallbackClassifier).
NLU_FALLBACK = "nlu_fallback"
#: The intent the widget's yes/no buttons send.
FEEDBACK_INTENT = "feedback"

#: Intents outside bot/topics.yml that the bot answers (frame and guided flows), with a Dutch label
#: for the report. Feedback after such an answer is stored under the intent.
ANSWERED_INTENTS: dict[str, str] = {
    "request_human": "Iemand van de gemeente spreken",
    "find_clientondersteuning": "Cliëntondersteuning in de buurt",
    "inform_municipality": "Gegevens van de gemeente",
    "ask_term": "Uitleg van een woord",
    "chitchat": "Vragen over de chatbot",
    "out_of_scope": "Vraag buiten het onderwerp",
    "crisis": "Crisis en hulplijnen",
    "ask_bezwaar_deadline": "Tot wanneer bezwaar maken?",
    "ask_bezwaar_letter": "Een bezwaarbrief schrijven",
    "ask_case_status": "De stand van mijn zaak",
}

#: Labels for intents that are counted (asked, fell back) but are not an answer to rate.
OTHER_LABELS: dict[str, str] = {
    "greet": "Begroeting",
    "goodbye": "Afscheid",
    "thank": "Bedankje",
    "affirm": "Ja",
    "deny": "Nee",
    "stop": "Stoppen",
    "not_understood": "Ik snap het niet",
    "inform_date": "Een datum",
    "inform_case_number": "Een zaaknummer",
    UNKNOWN_TOPIC: "Onbekend onderwerp",
}

#: Intents the broker does not count: button payloads that are not a question.
NOT_COUNTED = frozenset({FEEDBACK_INTENT, "set_audience"})

_INTENT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_/.-]{0,99}$")


def topic_intents() -> set[str]:
    """Intents whose answer can be rated: the knowledge topics and :data:`ANSWERED_INTENTS`."""
    return set(topics.labels()) | set(ANSWERED_INTENTS)


def label(intent: str) -> str:
    """The Dutch label of an intent for the report (the intent itself when it has none)."""
    return topics.labels().get(intent) or ANSWERED_INTENTS.get(intent) or OTHER_LABELS.get(intent) or intent


def clean_intent(name: Any) -> Optional[str]:
    """``name`` when it looks like an intent name (it comes from the model), else None.

    A retrieval intent ("chitchat/ask_name") counts as its base intent ("chitchat").
    """
    if not isinstance(name, str) or not _INTENT_NAME.match(name):
        return None
    return name.split("/", 1)[0]


def _intent_of(event: Mapping[str, Any]) -> Optional[str]:
    parse_data = event.get("parse_data") or {}
    intent = parse_data.get("intent") or {}
    return clean_intent(intent.get("name"))


def feedback_topic(events: Iterable[Mapping[str, Any]]) -> str:
    """The topic a yes/no refers to: the intent of the last user message that is a topic.

    Walks the tracker's events (dicts, as the action server gets them) backwards. Messages that
    are not a question to rate are passed over: the feedback itself, "ja"/"nee", a date or a case
    number typed during a guided flow (so the flow's first question is the topic), "ik snap het
    niet" (the simpler explanation is still about the topic before it), fallbacks. ``unknown``
    when nothing fits.
    """
    wanted = topic_intents()
    for event in reversed(list(events)):
        if event.get("event") != "user":
            continue
        intent = _intent_of(event)
        if intent in wanted:
            return intent
    return UNKNOWN_TOPIC


def parse_helpful(value: Any) -> Optional[bool]:
    """True for yes, False for no, None when ``value`` is neither (entity values and synonyms)."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    if word in {"yes", "ja", "true", "1", "y", "j"}:
        return True
    if word in {"no", "nee", "false", "0", "n"}:
        return False
    return None


_NEGATION = re.compile(r"\b(niet|niks|niets|geen|nee|nutteloos|slecht|waardeloos)\b", re.IGNORECASE)


def helpful_from_text(text: str) -> Optional[bool]:
    """A last resort when no ``helpful`` entity was found in a typed feedback message.

    The text is only read here, in memory; it is never stored.
    """
    if not isinstance(text, str) or not text.strip() or text.lstrip().startswith("/"):
        return None
    return not _NEGATION.search(text)


# --- writing -------------------------------------------------------------------------------------


def record_feedback(engine: Engine, topic: str, helpful: bool, moment: Optional[datetime] = None) -> None:
    """Store one yes/no for ``topic`` (one short transaction)."""
    moment = moment or utc_now()
    topic = clean_intent(topic) or UNKNOWN_TOPIC
    with engine.begin() as connection:
        connection.execute(
            insert(Feedback.__table__).values(topic=topic, helpful=bool(helpful), created_at=moment)
        )


#: Key of one counter: (UTC day, intent, "asked" | "fell_back").
CountKey = tuple[date, str, str]
COUNT_COLUMNS = ("asked", "fell_back")


def add_topic_counts(engine: Engine, counts: Mapping[CountKey, int]) -> None:
    """Add ``counts`` to ``topic_stats`` in one short transaction (upsert: safe with many servers).

    PostgreSQL and SQLite use ``INSERT ... ON CONFLICT (day, topic) DO UPDATE SET asked = asked +
    excluded.asked, ...``; any other backend updates the row or inserts it.
    """
    rows: dict[tuple[date, str], dict[str, Any]] = {}
    for (day, topic, column), amount in counts.items():
        if column not in COUNT_COLUMNS or not amount:
            continue
        row = rows.setdefault((day, topic), {"day": day, "topic": topic, "asked": 0, "fell_back": 0})
        row[column] += int(amount)
    if not rows:
        return
    dialect = engine.dialect.name
    options = {SQLITE_BEGIN_OPTION: "IMMEDIATE"} if dialect == "sqlite" else {}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        if dialect in ("postgresql", "sqlite"):
            _upsert(connection, dialect, list(rows.values()))
        else:
            for row in rows.values():
                _update_or_insert(connection, row)


def _upsert(connection: Connection, dialect: str, rows: list[dict[str, Any]]) -> None:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    table = TopicStat.__table__
    statement = dialect_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.day, table.c.topic],
        set_={
            "asked": table.c.asked + statement.excluded.asked,
            "fell_back": table.c.fell_back + statement.excluded.fell_back,
        },
    )
    connection.execute(statement, rows)


def _update_or_insert(connection: Connection, row: dict[str, Any]) -> None:
    table = TopicStat.__table__
    result = connection.execute(
        update(table)
        .where(table.c.day == row["day"], table.c.topic == row["topic"])
        .values(asked=table.c.asked + row["asked"], fell_back=table.c.fell_back + row["fell_back"])
    )
    if result.rowcount == 0:
        connection.execute(insert(table).values(**row))


# --- counting user events ------------------------------------------------------------------------


def event_day(event: Mapping[str, Any]) -> date:
    """The UTC day of an event (its ``timestamp``, seconds since the epoch), or today."""
    stamp = event.get("timestamp")
    try:
        return datetime.fromtimestamp(float(stamp), tz=timezone.utc).date()
    except (TypeError, ValueError, OverflowError, OSError):
        return utc_now().date()


def count_user_event(event: Mapping[str, Any]) -> Optional[CountKey]:
    """Which counter a ``user`` event adds one to, or None.

    - a recognised intent: ``(day, intent, "asked")``;
    - ``nlu_fallback``: ``(day, best other intent in intent_ranking, "fell_back")``
      (``unknown`` when the ranking has none).

    Only the intent names and the timestamp are read, never the text.
    """
    if event.get("event") != "user":
        return None
    parse_data = event.get("parse_data") or {}
    intent = clean_intent((parse_data.get("intent") or {}).get("name"))
    if intent is None or intent in NOT_COUNTED:
        return None
    day = event_day(event)
    if intent != NLU_FALLBACK:
        return day, intent, "asked"
    for item in parse_data.get("intent_ranking") or []:
        candidate = clean_intent((item or {}).get("name"))
        if candidate and candidate != NLU_FALLBACK:
            return day, candidate, "fell_back"
    return day, UNKNOWN_TOPIC, "fell_back"


def count_events(events: Iterable[Mapping[str, Any]]) -> Counter:
    """The counters for a batch of events (tests, back-filling)."""
    counts: Counter = Counter()
    for event in events:
        key = count_user_event(event)
        if key is not None:
            counts[key] += 1
    return counts


# --- reading (wegwijzer report) ------------------------------------------------------------------


def read_stats(engine: Engine, first_day: date, last_day: date) -> dict[str, dict[str, int]]:
    """Per topic: asked, fell_back, rated_yes, rated_no over ``first_day``..``last_day`` (UTC)."""
    result: dict[str, dict[str, int]] = {}

    def row(topic: str) -> dict[str, int]:
        return result.setdefault(topic, {"asked": 0, "fell_back": 0, "rated_yes": 0, "rated_no": 0})

    stats, feedback = TopicStat.__table__, Feedback.__table__
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=timezone.utc)
    end_day = date.fromordinal(last_day.toordinal() + 1)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=timezone.utc)
    with engine.connect() as connection:
        for topic, asked, fell_back in connection.execute(
            select(stats.c.topic, func.sum(stats.c.asked), func.sum(stats.c.fell_back))
            .where(stats.c.day >= first_day, stats.c.day <= last_day)
            .group_by(stats.c.topic)
        ):
            entry = row(topic)
            entry["asked"] += int(asked or 0)
            entry["fell_back"] += int(fell_back or 0)
        for topic, helpful, number in connection.execute(
            select(feedback.c.topic, feedback.c.helpful, func.count())
            .where(feedback.c.created_at >= start, feedback.c.created_at < end)
            .group_by(feedback.c.topic, feedback.c.helpful)
        ):
            row(topic)["rated_yes" if helpful else "rated_no"] += int(number)
    return result
