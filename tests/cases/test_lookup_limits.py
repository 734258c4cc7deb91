"""Guessing does not scale, and a lookup's proof lives on the server (bot/cases/repository.py).

Every test runs on SQLite and on the real PostgreSQL (``demo_engine``, tests/cases/conftest.py).
Times are passed as ``now``, so the windows are exact without waiting.
"""
from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from bot.cases import repository
from bot.cases.db import new_engine, session_scope
from bot.cases.models import LookupVerification
from bot.cases.repository import (
    RULES,
    VERIFICATION_TTL,
    consume_verification,
    is_locked,
    lookup_case,
    purge_attempts,
    subject_hash,
)

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
RIGHT = date(2011, 5, 9)  # DEMO-1005
WRONG = date(2000, 1, 1)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- rotating what the client controls -------------------------------------------------------------


def test_a_new_conversation_per_guess_is_stopped_by_the_client_limit(demo_engine: Engine) -> None:
    limit = RULES["client"].threshold
    for guess in range(limit):
        result = lookup_case(demo_engine, f"NUM-{guess:04d}", WRONG, f"conv-{guess}",
                             now=at(guess), client_id="203.0.113.7")
        assert not result.locked, guess
    # a fresh conversation and a fresh case number: still locked, it is the same address
    result = lookup_case(demo_engine, "DEMO-1005", RIGHT, "conv-new", now=at(limit),
                         client_id="203.0.113.7")
    assert result.locked and result.locked_until == at(limit - 1) + RULES["client"].duration
    assert is_locked(demo_engine, "another-conv", client_id="203.0.113.7", now=at(limit)).locked
    # another address is not affected
    assert lookup_case(demo_engine, "DEMO-1005", RIGHT, "conv-x", now=at(limit),
                       client_id="198.51.100.1").found


def test_guessing_one_case_from_many_addresses_hits_the_case_wide_limit(demo_engine: Engine) -> None:
    rule = RULES["case"]
    for guess in range(rule.threshold):
        lookup_case(demo_engine, "DEMO-1005", WRONG, f"c{guess}", now=at(guess * 30),
                    client_id=f"192.0.2.{guess}")
    moment = at(rule.threshold * 30)
    result = lookup_case(demo_engine, "DEMO-1005", RIGHT, "owner", now=moment, client_id="198.51.100.9")
    assert result.locked, "distributed guessing against one case is stopped"
    # bounded: an hour after the last failure the owner gets in
    later = at((rule.threshold - 1) * 30) + rule.duration + timedelta(seconds=1)
    assert lookup_case(demo_engine, "DEMO-1005", RIGHT, "owner", now=later,
                       client_id="198.51.100.9").found


def test_a_stranger_cannot_lock_the_owner_out_of_their_case(demo_engine: Engine) -> None:
    for guess in range(3):
        lookup_case(demo_engine, "DEMO-1005", WRONG, f"stranger-{guess}", now=at(guess),
                    client_id="203.0.113.66")
    assert lookup_case(demo_engine, "DEMO-1005", RIGHT, "stranger-9", now=at(3),
                       client_id="203.0.113.66").locked, "the stranger is locked for this case"
    assert lookup_case(demo_engine, "DEMO-1005", RIGHT, "parent", now=at(3),
                       client_id="198.51.100.20").found, "the parent, elsewhere, is not"


def test_the_global_ceiling_pauses_every_lookup_for_the_rest_of_the_minute(
    demo_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "GLOBAL_MAX_FAILURES_PER_MINUTE", 5)
    for guess in range(6):
        lookup_case(demo_engine, f"NUM-{guess:04d}", WRONG, f"g{guess}", now=at(guess / 10),
                    client_id=f"192.0.2.{guess}")
    moment = at(0.7)
    result = lookup_case(demo_engine, "DEMO-1005", RIGHT, "innocent", now=moment,
                         client_id="198.51.100.30")
    assert result.locked and result.locked_until == at(0) + timedelta(minutes=1)
    assert is_locked(demo_engine, "innocent", now=moment).locked
    assert lookup_case(demo_engine, "DEMO-1005", RIGHT, "innocent", now=at(1.2),
                       client_id="198.51.100.30").found, "after the minute, lookups go on"


def test_a_lagging_server_clock_still_sees_the_others_failures(demo_engine: Engine) -> None:
    for guess in range(3):
        lookup_case(demo_engine, "DEMO-1005", WRONG, "conv-skew", now=at(20 + guess))
    # this server's clock is 20 minutes behind: the failures are "in its future"
    assert is_locked(demo_engine, "conv-skew", now=at(1)).locked


# --- the proof of a lookup --------------------------------------------------------------------------


def test_a_verification_is_single_use_bound_and_short_lived(demo_engine: Engine) -> None:
    assert not consume_verification(demo_engine, "conv-v", "DEMO-1005", now=at(0)), "no lookup yet"
    assert lookup_case(demo_engine, "DEMO-1005", RIGHT, "conv-v", now=at(0)).found
    assert not consume_verification(demo_engine, "other-conv", "DEMO-1005", now=at(0.1))
    assert not consume_verification(demo_engine, "conv-v", "DEMO-1001", now=at(0.1))
    assert consume_verification(demo_engine, "conv-v", "demo-1005", now=at(0.1))
    assert not consume_verification(demo_engine, "conv-v", "DEMO-1005", now=at(0.2)), "used once"
    assert lookup_case(demo_engine, "DEMO-1005", RIGHT, "conv-v", now=at(1)).found
    late = at(1) + VERIFICATION_TTL + timedelta(seconds=1)
    assert not consume_verification(demo_engine, "conv-v", "DEMO-1005", now=late), "expired"
    assert not lookup_case(demo_engine, "DEMO-1005", WRONG, "conv-w", now=at(2)).found
    assert not consume_verification(demo_engine, "conv-w", "DEMO-1005", now=at(2.1)), "no proof for a wrong pair"


def test_two_concurrent_uses_of_one_verification_give_one_case(demo_engine: Engine) -> None:
    assert lookup_case(demo_engine, "DEMO-1005", RIGHT, "conv-race", now=at(0)).found
    barrier = threading.Barrier(8)

    def use(_: int) -> bool:
        barrier.wait()
        return consume_verification(demo_engine, "conv-race", "DEMO-1005", now=at(0.1))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(use, range(8)))
    assert results.count(True) == 1


def test_purge_removes_used_and_stale_verifications(demo_engine: Engine) -> None:
    lookup_case(demo_engine, "DEMO-1005", RIGHT, "old", now=T0 - timedelta(days=40))
    lookup_case(demo_engine, "DEMO-1005", RIGHT, "new", now=T0)
    purge_attempts(demo_engine, timedelta(days=30), now=T0)
    with session_scope(demo_engine) as session:
        left = session.execute(select(func.count()).select_from(LookupVerification)).scalar_one()
    assert left == 1 and consume_verification(demo_engine, "new", "DEMO-1005", now=T0)


# --- keyed hashes ------------------------------------------------------------------------------------


def test_subject_hashes_are_keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGWIJZER_LOOKUP_PEPPER", "p" * 40)
    first = subject_hash("case", "DEMO-1005")
    monkeypatch.setenv("WEGWIJZER_LOOKUP_PEPPER", "q" * 40)
    second = subject_hash("case", "DEMO-1005")
    import hashlib

    plain = hashlib.sha256(b"wegwijzer-lookup:case:DEMO-1005").hexdigest()
    assert first != second and plain not in (first, second), "without the key no guess can be tested"


def test_the_attempt_tables_hold_no_address(demo_engine: Engine) -> None:
    lookup_case(demo_engine, "DEMO-1005", WRONG, "conv-ip", now=T0, client_id="203.0.113.77")
    with session_scope(demo_engine) as session:
        dump = " ".join(str(row) for table in ("lookup_attempts", "lookup_subjects")
                        for row in session.execute(text(f"select * from {table}")).all())  # noqa: S608
    assert "203.0.113.77" not in dump


# --- a database that does not answer ---------------------------------------------------------------


def test_a_black_holed_postgresql_fails_within_seconds() -> None:
    """A server that accepts TCP but never speaks: the lookup raises instead of hanging."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # and never answer
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    engine = new_engine(f"postgresql+psycopg2://nobody@127.0.0.1:{port}/zaken")
    started = time.monotonic()
    try:
        with pytest.raises(Exception):
            lookup_case(engine, "DEMO-1005", RIGHT, "conv-hole", now=T0)
        assert time.monotonic() - started < 30, "hang guard: the connect timeout applies"
    finally:
        stop.set()
        thread.join(timeout=5)
        engine.dispose()
        for connection in accepted:
            connection.close()
        listener.close()
