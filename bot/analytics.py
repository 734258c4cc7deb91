"""Counting what was asked and what fell back, without keeping any user text (issue 6, item 3).

:class:`TopicStatsEventBroker` is a Rasa event broker. Rasa hands every new tracker event to
``publish`` (``TrackerStore.stream_events``, after each turn). For each ``user`` event it adds one
to a counter per UTC day and intent in the table ``topic_stats`` (:mod:`bot.stats`):

- ``asked`` for the predicted intent;
- ``fell_back`` when the intent is ``nlu_fallback``, for the best other intent in
  ``intent_ranking`` (the topic the question looked most like), or ``unknown``.

It reads only the intent names and the timestamp; the text, the entities and the sender id are
never stored. The payload-only intents ``feedback`` and ``set_audience`` are not counted. The
copy of the user's message that Rasa's two-stage fallback adds after a clarification (same
``message_id``) is counted once.

Cheap ``publish``: it only increments an in-memory counter under a lock. A daemon thread writes
the counters every ``flush_interval`` seconds (default 5), or sooner when ``max_pending``
increments (default 200) are waiting, in one short transaction (an upsert, safe with any number
of Rasa servers and Sanic workers). ``close()`` (Rasa calls it when the server stops) and process
exit write what is left. If the database cannot be written, the counters stay in memory and the
next flush tries again; only the error type is logged. So a crash loses at most the last few
seconds of counts, and a database outage loses none while the process lives.

Configure it in the endpoints file; Rasa 3.6 loads a broker by module path
(``rasa.core.brokers.broker._load_from_module_name_in_endpoint_config``)::

    event_broker:
      type: bot.analytics.TopicStatsEventBroker
      # all optional:
      # url: sqlite:///wegwijzer.db     (default: WEGWIJZER_DATABASE_URL, else sqlite:///wegwijzer.db)
      # flush_interval: 5               (seconds)
      # max_pending: 200                (increments that trigger an early flush)
      # require_database_url: true      (no counting, with an error in the log, when neither
      #                                  url nor WEGWIJZER_DATABASE_URL is set: no silent SQLite file)

The table must exist: ``wegwijzer cases demo|import`` and ``wegwijzer report`` run the
migrations (:func:`bot.cases.db.migrate`); the broker does not (many servers start at once).
"""
from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import time
import weakref
from asyncio import AbstractEventLoop
from collections import Counter, OrderedDict
from typing import Any, Dict, Optional, Text

from rasa.core.brokers.broker import EventBroker

from bot import stats
from bot.cases.db import DATABASE_URL_ENV, get_engine

logger = logging.getLogger(__name__)

DEFAULT_FLUSH_INTERVAL = 5.0
DEFAULT_MAX_PENDING = 200
#: How many recent message ids are remembered to count a two-stage-fallback copy only once.
RECENT_MESSAGE_IDS = 2048
#: A repeated database error is logged at most this often (seconds).
ERROR_LOG_INTERVAL = 60.0


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "ja", "on"}
    return bool(value)


class TopicStatsEventBroker(EventBroker):
    """Counts recognised and fallen-back intents per day in ``topic_stats`` (no text)."""

    def __init__(
        self,
        url: Optional[str] = None,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self.url = url or None
        self.flush_interval = max(0.05, float(flush_interval))
        self.max_pending = max(1, int(max_pending))
        self._pending: Counter = Counter()
        self._pending_total = 0
        self._recent_ids: "OrderedDict[str, None]" = OrderedDict()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._last_error: Optional[str] = None
        self._last_error_logged = 0.0
        atexit.register(_flush_at_exit, weakref.ref(self))

    # --- Rasa's interface ----------------------------------------------------------------------

    @classmethod
    async def from_endpoint_config(
        cls,
        broker_config: Optional[Any],
        event_loop: Optional[AbstractEventLoop] = None,
    ) -> Optional["TopicStatsEventBroker"]:
        """The broker from the ``event_broker:`` section (see the module docstring)."""
        if broker_config is None:
            return None
        options: Dict[str, Any] = dict(getattr(broker_config, "kwargs", {}) or {})
        url = getattr(broker_config, "url", None) or options.pop("url", None)
        require = _as_bool(options.pop("require_database_url", False))
        if require and not url and not os.environ.get(DATABASE_URL_ENV, "").strip():
            logger.error(
                "Geen tellingen per onderwerp: %s is niet gezet (event_broker "
                "TopicStatsEventBroker met require_database_url).",
                DATABASE_URL_ENV,
            )
            return None
        return cls(
            url=url,
            flush_interval=float(options.pop("flush_interval", DEFAULT_FLUSH_INTERVAL)),
            max_pending=int(options.pop("max_pending", DEFAULT_MAX_PENDING)),
        )

    def publish(self, event: Dict[Text, Any]) -> None:
        """Count one event (only ``user`` events count). Never blocks on the database."""
        if not isinstance(event, dict) or event.get("event") != "user":
            return
        key = stats.count_user_event(event)
        if key is None:
            return
        with self._lock:
            message_id = event.get("message_id")
            if isinstance(message_id, str) and message_id:
                if message_id in self._recent_ids:
                    return  # Rasa's two-stage fallback repeats the clarified message
                self._recent_ids[message_id] = None
                if len(self._recent_ids) > RECENT_MESSAGE_IDS:
                    self._recent_ids.popitem(last=False)
            self._pending[key] += 1
            self._pending_total += 1
            full = self._pending_total >= self.max_pending
            self._ensure_thread()
        if full:
            self._wake.set()

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        """Stop the flush thread and write what is left (Rasa calls this on shutdown)."""
        self._stopped.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join, max(5.0, self.flush_interval * 2))
        await asyncio.to_thread(self.flush)

    # --- writing -------------------------------------------------------------------------------

    def pending(self) -> Counter:
        """A copy of the counters not yet written (tests)."""
        with self._lock:
            return Counter(self._pending)

    def flush(self) -> bool:
        """Write the pending counters in one transaction; True when nothing is left pending."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, Counter()
                self._pending_total = 0
            if not batch:
                return True
            try:
                stats.add_topic_counts(get_engine(self.url), batch)
            except Exception as error:  # noqa: BLE001 - keep the counts, log only the error type
                with self._lock:
                    self._pending.update(batch)
                    self._pending_total += sum(batch.values())
                self._log_error(error)
                return False
            if self._last_error is not None:
                logger.info("Tellingen per onderwerp worden weer opgeslagen.")
                self._last_error = None
            return True

    def _log_error(self, error: Exception) -> None:
        kind = type(error).__name__
        now = time.monotonic()
        if kind != self._last_error or now - self._last_error_logged >= ERROR_LOG_INTERVAL:
            logger.warning(
                "Tellingen per onderwerp niet opgeslagen (%s); ze blijven bewaard en worden "
                "opnieuw geprobeerd. Is de database gemigreerd (wegwijzer report of wegwijzer cases)?",
                kind,
            )
            self._last_error_logged = now
        self._last_error = kind

    def _ensure_thread(self) -> None:
        """Start the flush thread on first use (called with ``_lock`` held)."""
        if self._thread is not None or self._stopped.is_set():
            return
        self._thread = threading.Thread(target=self._run, name="wegwijzer-topic-stats", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            if self._stopped.is_set():
                break
            self.flush()


def _flush_at_exit(reference: "weakref.ReferenceType[TopicStatsEventBroker]") -> None:
    broker = reference()
    if broker is not None:
        broker.flush()
