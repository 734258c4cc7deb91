"""Tracker stores that keep no birth date and no case number, and stay bounded.

The case lookup asks a case number and then a birth date. The validation action reads them from
the user's messages while the turn is handled (in memory), checks them and keeps only a marker in
the ``birth_date`` slot and a sealed case number (bot/sealed_slots.py). What would remain is the
text of the messages themselves, which Rasa stores in ``UserUttered`` events (``text``,
``parse_data``, entities, metadata). :class:`RedactionMixin` rewrites the tracker *when it is
saved*: the running turn still sees the original text, the store never does.

What is replaced, decided by the state of the conversation and not by what the text looks like
(a birth date can be typed in more ways than any pattern knows):

- every user message of a turn in which the case lookup form was active or was started: its whole
  text becomes :data:`REDACTION` (when the bot had asked the birth date) or
  :data:`CASE_NUMBER_REDACTION`, and its entities are dropped;
- in every other user message, every date-like span (:func:`bot.dates.find_birth_date_spans`):
  a birth date can come in any message, and the dates the bot needs later live in slots;
- values of the lookup slots that are not what the actions put there (``birth_date`` other than
  "checked", a case number that is not sealed);
- metadata: only the keys the widget sends (:data:`ALLOWED_METADATA`, short strings) are kept,
  so the requester's address (``client_address``, added by the chat channel for the lookup
  limits) and anything else a client sends never reach the store.

Each stored user message carries :data:`CHECKED_KEY` in its metadata, so a message is rewritten
once, when it is first saved, not again on every later turn. A conversation of more than
:data:`MAX_EVENTS_PER_SESSION` events continues in a new session (Rasa's own session start,
with the current slot values carried over), so no conversation grows without end; the in-memory
store keeps only the current session, forgets a conversation :data:`IN_MEMORY_TTL_SECONDS`
after its last turn and holds at most :data:`IN_MEMORY_MAX_CONVERSATIONS`.

Use it from an endpoints file; Rasa 3.6 loads a custom tracker store by module path and calls it
with ``host=<url>, domain=<domain>, event_broker=<broker>`` plus every other key of the section::

    tracker_store:
      type: bot.tracker_store.RedactingInMemoryTrackerStore

    tracker_store:                     # production (endpoints.prod.yml)
      type: bot.tracker_store.RedactingSQLTrackerStore
      dialect: postgresql
      url: ${POSTGRES_HOST}
      ...

Rasa wraps the configured store in ``FailSafeTrackerStore``; its in-memory fallback (used while
the database is down) redacts too (see the end of this module).
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import (
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    SQLTrackerStore,
    TrackerStore,
)
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dates import find_birth_date_spans
from bot.sealed_slots import SEALED_SLOTS, is_sealed

__all__ = [
    "ALLOWED_METADATA",
    "CASE_NUMBER_REDACTION",
    "REDACTED_SLOTS",
    "REDACTION",
    "RedactingInMemoryTrackerStore",
    "RedactingSQLTrackerStore",
    "RedactionMixin",
    "clean_metadata",
    "redact_event",
    "redact_text",
    "redact_tracker",
]

#: What a birth date (or the whole answer to the birth-date question) becomes.
REDACTION = "[geboortedatum verwijderd]"
#: What any other message of a case lookup becomes (the case number, "laat maar", ...).
CASE_NUMBER_REDACTION = "[zaaknummer verwijderd]"
#: The form whose turns are redacted whole, and the slot values it may leave in the store.
LOOKUP_FORM = "case_lookup_form"
BIRTH_DATE_SLOT = "birth_date"
CHECKED = "checked"
#: Slots whose values are checked (birth_date: only "checked"; case numbers: only sealed).
REDACTED_SLOTS = frozenset({BIRTH_DATE_SLOT, *SEALED_SLOTS})
#: The metadata keys the widget sends (the page's municipality and the chosen audience), and the
#: two that Rasa itself adds to every event (which model and assistant handled it).
ALLOWED_METADATA = frozenset({"municipality", "audience", "model_id", "assistant_id"})
MAX_METADATA_VALUE_CHARS = 64
SESSION_METADATA_SLOT = "session_started_metadata"
#: Set in the metadata of every stored user message that has been through the redaction.
CHECKED_KEY = "wegwijzer_redacted"
#: PostgreSQL limits for the conversation store: a database that does not answer fails the turn
#: (the chat answers "even niet beschikbaar") instead of holding it for minutes.
PG_CONNECT_TIMEOUT_SECONDS = 3
PG_STATEMENT_TIMEOUT_MS = 5000
PG_POOL_TIMEOUT_SECONDS = 5
#: Beyond this many events in one session the conversation goes on in a new session.
MAX_EVENTS_PER_SESSION = 1000
#: The in-memory store forgets a conversation this long after its last save ...
IN_MEMORY_TTL_SECONDS = 2 * 60 * 60
#: ... and keeps at most this many (the least recently used go first).
IN_MEMORY_MAX_CONVERSATIONS = 20_000


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


def _redact_value(value: Any, depth: int = 0) -> Any:
    """Every string inside ``value`` (dicts, lists, tuples) redacted; other values as they are."""
    if isinstance(value, str):
        return redact_text(value)
    if depth > 20:  # deeper than anything Rasa writes: drop it rather than recurse further
        return None
    if isinstance(value, dict):
        return {key: _redact_value(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(item, depth + 1) for item in value)
    return value


def clean_metadata(metadata: Any) -> dict[str, str]:
    """Only :data:`ALLOWED_METADATA`, each a short string; everything else is dropped."""
    if not isinstance(metadata, dict):
        return {}
    return {
        key: value
        for key, value in metadata.items()
        if key in ALLOWED_METADATA and isinstance(value, str) and len(value) <= MAX_METADATA_VALUE_CHARS
    }


def _lookup_turns(events: list[Event]) -> dict[int, str]:
    """Index of each user message that belongs to a case lookup -> its replacement text.

    A user message belongs to the lookup when the form was active when it was sent, or when the
    form was started in its turn (the events up to the next user message).
    """
    result: dict[int, str] = {}
    requested: Any = None
    loop: Optional[str] = None
    turn: Optional[int] = None
    for index, event in enumerate(events):
        if isinstance(event, UserUttered):
            turn = index
            if loop == LOOKUP_FORM:
                result[index] = REDACTION if requested == BIRTH_DATE_SLOT else CASE_NUMBER_REDACTION
        elif isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            requested = event.value
        elif isinstance(event, ActiveLoop):
            loop = event.name
            if event.name == LOOKUP_FORM and turn is not None:
                result.setdefault(turn, CASE_NUMBER_REDACTION)
        elif isinstance(event, SessionStarted):
            requested, loop = None, None
    return result


def _redact_user(event: UserUttered, replacement: Optional[str]) -> Event:
    data = event.as_dict()
    metadata = clean_metadata(data.get("metadata"))
    metadata[CHECKED_KEY] = True
    data["metadata"] = metadata
    parse_data = data.get("parse_data") or {}
    if replacement is not None:
        data["text"] = replacement
        parse_data = {**parse_data, "text": replacement, "entities": []}
        parse_data.pop("response_selector", None)
    else:
        data["text"] = redact_text(data.get("text"))
        parse_data = _redact_value({k: v for k, v in parse_data.items() if k != "metadata"})
    if "metadata" in parse_data or "metadata" in (data.get("parse_data") or {}):
        parse_data["metadata"] = clean_metadata((data.get("parse_data") or {}).get("metadata"))
    data["parse_data"] = parse_data
    rebuilt = Event.from_parameters(data)
    return rebuilt if rebuilt is not None else event


def _slot_value_allowed(key: str, value: Any) -> bool:
    if value is None:
        return True
    if key == BIRTH_DATE_SLOT:
        return value == CHECKED
    return is_sealed(value)


def redact_event(event: Event, replacement: Optional[str] = None) -> Event:
    """The event as it may be stored; the same object when nothing needs to change.

    ``replacement`` is the text that replaces a user message of a case lookup as a whole.
    """
    if isinstance(event, UserUttered):
        if replacement is None and (event.metadata or {}).get(CHECKED_KEY) is True:
            return event  # stored before: already rewritten
        return _redact_user(event, replacement)
    if isinstance(event, SlotSet):
        if event.key in REDACTED_SLOTS and not _slot_value_allowed(event.key, event.value):
            value = REDACTION if event.key == BIRTH_DATE_SLOT else CASE_NUMBER_REDACTION
            return SlotSet(event.key, value, timestamp=event.timestamp, metadata=event.metadata)
        if event.key == SESSION_METADATA_SLOT and event.value is not None:
            cleaned = clean_metadata(event.value) or None
            if cleaned != event.value:
                return SlotSet(event.key, cleaned, timestamp=event.timestamp, metadata=event.metadata)
    return event


def _restart_session(tracker: DialogueStateTracker) -> list[Event]:
    """Rasa's own session start, with the current slot values (and an active form) carried over."""
    carried: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted()]
    for name, slot in tracker.slots.items():
        if name == SESSION_METADATA_SLOT or slot.value == slot.initial_value:
            continue
        if name in REDACTED_SLOTS and not _slot_value_allowed(name, slot.value):
            continue
        carried.append(SlotSet(name, slot.value))
    if tracker.active_loop_name:
        carried.append(ActiveLoop(tracker.active_loop_name))
    carried.append(ActionExecuted(ACTION_LISTEN_NAME))
    return carried


def _session_start_index(events: list[Event]) -> int:
    """Index of the event that starts the current session (0 when there is none)."""
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], SessionStarted):
            if index > 0 and isinstance(events[index - 1], ActionExecuted) and \
                    events[index - 1].action_name == ACTION_SESSION_START_NAME:
                return index - 1
            return index
    return 0


def redact_tracker(tracker: DialogueStateTracker, current_session_only: bool = False) -> DialogueStateTracker:
    """A copy of ``tracker`` as it may be stored; ``tracker`` itself is not changed.

    The copy has the same sender id and slot definitions, the events redacted, in the
    same order and number (the SQL store writes only those beyond what it holds), plus a new
    session when the current one grew past :data:`MAX_EVENTS_PER_SESSION`.
    """
    events = list(tracker.events)
    lookup = _lookup_turns(events)
    redacted = [redact_event(event, lookup.get(index)) for index, event in enumerate(events)]
    start = _session_start_index(redacted)
    if len(redacted) - start > MAX_EVENTS_PER_SESSION:
        redacted.extend(_restart_session(tracker))
        start = _session_start_index(redacted)
    if current_session_only:
        redacted = redacted[start:]
    elif all(new is old for new, old in zip(redacted, events)) and len(redacted) == len(events):
        return tracker
    copy = tracker.init_copy()
    for event in redacted:  # replayed, so that the copy's state (latest message, slots) is its own
        copy.update(event)
    return copy


class RedactionMixin:
    """Put before a Rasa tracker store class: redacts the tracker before the store saves it."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(redact_tracker(tracker))  # type: ignore[misc]


class RedactingInMemoryTrackerStore(InMemoryTrackerStore):
    """The in-memory store (development, demo): redacted, current session only, forgetting.

    Keeps each conversation's current session only (Rasa's ``retrieve`` reads no more anyway),
    forgets a conversation :data:`IN_MEMORY_TTL_SECONDS` after its last save and holds at most
    :data:`IN_MEMORY_MAX_CONVERSATIONS` (least recently saved first out), so clients that make a
    new conversation id per message cannot fill the memory.

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
        self.store = OrderedDict()
        self._saved_at: dict[str, float] = {}
        self.ttl_seconds = float(kwargs.get("ttl_seconds", IN_MEMORY_TTL_SECONDS))
        self.max_conversations = int(kwargs.get("max_conversations", IN_MEMORY_MAX_CONVERSATIONS))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(redact_tracker(tracker, current_session_only=True))
        self.store.move_to_end(tracker.sender_id)
        self._saved_at[tracker.sender_id] = time.monotonic()
        self._forget(time.monotonic())

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        self._forget(time.monotonic())
        return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        self._forget(time.monotonic())
        return await super().retrieve_full_tracker(sender_id)

    def _forget(self, now: float) -> None:
        """Drop expired conversations (oldest first) and the least recent beyond the maximum."""
        while self.store:
            oldest = next(iter(self.store))
            expired = now - self._saved_at.get(oldest, now) > self.ttl_seconds
            if not expired and len(self.store) <= self.max_conversations:
                break
            del self.store[oldest]
            self._saved_at.pop(oldest, None)


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
        """Test each pooled connection before use, and give up on a silent database in seconds.

        Rasa's engine has no ``pool_pre_ping``: after a database restart the first turn on every
        pooled connection failed ("server closed the connection unexpectedly"). Nor has it any
        timeout: a database that drops packets held each turn for minutes (TCP retries). Same URL
        and pool settings (``create_engine_kwargs``: POSTGRESQL_POOL_SIZE, schema), plus the ping,
        a connect timeout, a statement timeout and a pool timeout.
        """
        import sqlalchemy as sa
        from rasa.core.tracker_store import create_engine_kwargs

        url = self.engine.url
        kwargs = create_engine_kwargs(url)
        if url.get_backend_name() == "postgresql":
            connect_args = dict(kwargs.get("connect_args") or {})
            options = connect_args.get("options", "")
            connect_args["options"] = f"{options} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}".strip()
            connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_SECONDS
            kwargs["connect_args"] = connect_args
            kwargs["pool_timeout"] = PG_POOL_TIMEOUT_SECONDS
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **kwargs)
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
