"""Tracker stores that never store a birth date (contract 3: "does not stay in the tracker store").

The case lookup asks a birth date. The validation action reads it from the user's message while
the turn is being handled (in memory), checks it and keeps only a marker in the ``birth_date``
slot. What remains is the text of the message itself, which Rasa would store in the
``UserUttered`` event (its ``text``, its ``parse_data.text``, entity values, metadata). The
:class:`RedactionMixin` replaces every date in a user's message by :data:`REDACTION` *when the
tracker is saved*: the running turn still sees the original text, the store never does.

Which dates: every span :func:`bot.dates.find_birth_date_spans` finds ("9 mei 2011",
"09-05-2011", "2011-05-09", "3 november"), in every user message. A birth date can come in any
message, not only as the answer to the question, and the store cannot tell a birth date from
another date; the dates the bot needs later live in slots (``decision_date`` as an ISO date), not
in the stored text. Slots in :data:`REDACTED_SLOTS` are redacted the same way (defence in depth:
``birth_date`` holds only "checked" or nothing). Bot messages are left alone: the bot never
repeats a birth date, and its deadlines must stay readable.

Use it from an endpoints file; Rasa 3.6 loads a custom tracker store by module path and calls it
with ``host=<url>, domain=<domain>, event_broker=<broker>`` plus every other key of the section
(``rasa.core.tracker_store._load_from_module_name_in_endpoint_config``)::

    tracker_store:
      type: bot.tracker_store.RedactingInMemoryTrackerStore

    tracker_store:                     # production (endpoints.prod.yml)
      type: bot.tracker_store.RedactingSQLTrackerStore
      dialect: postgresql
      url: ${POSTGRES_HOST}
      port: ${POSTGRES_PORT}
      db: ${POSTGRES_DB}
      username: ${POSTGRES_USER}
      password: ${POSTGRES_PASSWORD}

Rasa wraps the configured store in ``FailSafeTrackerStore``; its in-memory fallback (used while
the database is down) redacts too (see the end of this module).

Conversations stored before this store was configured are not rewritten.
"""
from __future__ import annotations

from typing import Any, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import (
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    SQLTrackerStore,
    TrackerStore,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dates import find_birth_date_spans

__all__ = [
    "REDACTED_SLOTS",
    "REDACTION",
    "RedactingInMemoryTrackerStore",
    "RedactingSQLTrackerStore",
    "RedactionMixin",
    "redact_event",
    "redact_text",
    "redact_tracker",
]

#: What a date in a stored user message becomes.
REDACTION = "[geboortedatum verwijderd]"
#: Slots whose (string) values are redacted too.
REDACTED_SLOTS = frozenset({"birth_date"})


def redact_text(text: Text) -> Text:
    """``text`` with every date-like span replaced by :data:`REDACTION`."""
    if not isinstance(text, str) or not text:
        return text
    spans = find_birth_date_spans(text)
    if not spans:
        return text
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.append(text[position:start])
        parts.append(REDACTION)
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _redact_value(value: Any) -> Any:
    """Every string inside ``value`` (dicts, lists, tuples) redacted; other values as they are."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(item) for item in value)
    return value


def redact_event(event: Event) -> Event:
    """The event without dates in what the user typed; the same object when there was none.

    A ``UserUttered`` is rebuilt from its redacted dict form (the same form the stores write),
    so its text, ``parse_data`` (text, entities' values, response selector output) and metadata
    are all covered.  ``SlotSet`` events of :data:`REDACTED_SLOTS` are redacted as well.
    """
    if isinstance(event, UserUttered):
        data = event.as_dict()
        redacted = _redact_value(data)
        if redacted == data:
            return event
        rebuilt = Event.from_parameters(redacted)
        return rebuilt if rebuilt is not None else event
    if isinstance(event, SlotSet) and event.key in REDACTED_SLOTS:
        value = _redact_value(event.value)
        if value != event.value:
            return SlotSet(event.key, value, timestamp=event.timestamp, metadata=event.metadata)
    return event


def redact_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A copy of ``tracker`` whose events are redacted; ``tracker`` itself is not changed.

    The copy is for serialisation only: it has the same sender id, slots definition, event count
    and order (the SQL store relies on the count), but its state is not replayed.
    """
    events = list(tracker.events)
    redacted = [redact_event(event) for event in events]
    if all(new is old for new, old in zip(redacted, events)):
        return tracker
    copy = tracker.init_copy()
    copy.events = copy._create_events(redacted)  # noqa: SLF001 - same deque type and max length
    return copy


class RedactionMixin:
    """Put before a Rasa tracker store class: redacts the tracker before the store saves it."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(redact_tracker(tracker))  # type: ignore[misc]


class RedactingInMemoryTrackerStore(RedactionMixin, InMemoryTrackerStore):
    """The in-memory store (development, demo) without birth dates.

    Accepts the ``host`` that Rasa passes to every custom store (it is not used).
    """

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        host: Optional[Text] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain or Domain.empty(), event_broker, **kwargs)


class RedactingSQLTrackerStore(RedactionMixin, SQLTrackerStore):
    """Rasa's SQL store (PostgreSQL in production) without birth dates.

    Takes the same settings as ``type: sql``: ``dialect``, ``url``/``host``, ``port``, ``db``,
    ``username``, ``password``, ``login_db``, ``query``.
    """

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain=domain, host=host, event_broker=event_broker, **kwargs)
        self._use_pre_ping()

    def _use_pre_ping(self) -> None:
        """Test each pooled connection before use (issue 7, measured in tests/production/test_faults.py).

        Rasa's engine has no ``pool_pre_ping``: after a database restart the first turn on every
        pooled connection failed ("server closed the connection unexpectedly"). Same URL and pool
        settings (``create_engine_kwargs``: POSTGRESQL_POOL_SIZE, schema), plus the ping.
        """
        import sqlalchemy as sa
        from rasa.core.tracker_store import create_engine_kwargs

        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)



def _redacting_fallback_tracker_store(self: FailSafeTrackerStore) -> TrackerStore:
    """The store Rasa falls back to when the real one fails (database down): redacting too.

    Rasa wraps every configured store in ``FailSafeTrackerStore``, whose fallback is a plain
    ``InMemoryTrackerStore``: during an outage it would keep the unredacted conversations in
    memory. Same lazy creation as Rasa's property, with :class:`RedactingInMemoryTrackerStore`.
    """
    if not self._fallback_tracker_store:  # noqa: SLF001 - Rasa's own attribute, set in __init__
        self._fallback_tracker_store = RedactingInMemoryTrackerStore(  # noqa: SLF001
            self.domain, self.event_broker
        )
    return self._fallback_tracker_store  # noqa: SLF001


FailSafeTrackerStore.fallback_tracker_store = property(_redacting_fallback_tracker_store)
