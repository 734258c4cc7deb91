"""Verified lookup and lockout (contract 3) against SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from bot.cases.db import new_engine, session_scope
from bot.cases.models import Case, LookupAttempt, LookupSubject
from bot.cases.repository import (
    LOCKOUT_DURATION,
    LookupResult,
    is_locked,
    lookup_case,
    purge_attempts,
    subject_hash,
)
from bot.cases.views import CaseView

REPO_ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
BIRTH = {
    "DEMO-1001": date(2015, 3, 14),
    "DEMO-1002": date(1962, 7, 2),
    "DEMO-1003": date(1990, 11, 30),
    "DEMO-1004": date(1958, 1, 21),
    "DEMO-1005": date(2011, 5, 9),
    "DEMO-1006": date(2004, 2, 29),
    "DEMO-1007": date(1999, 8, 15),
    "DEMO-1008": date(1975, 12, 3),
}
WRONG = date(2000, 1, 1)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _attempts(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.execute(select(func.count()).select_from(LookupAttempt)).scalar_one())


# --- matching --------------------------------------------------------------------------------


def test_right_pair_finds_the_case(demo_engine: Engine) -> None:
    result = lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], "conv-1", now=T0)
    assert result.status == "found" and result.found and result.locked_until is None
    case = result.case
    assert isinstance(case, CaseView)
    assert (case.case_number, case.municipality, case.law, case.status) == (
        "DEMO-1005", "gemeente-voorbeeld", "jeugdwet", "besluit_genomen"
    )
    assert case.contact.name == "Sanne Voorbeeld"
    assert [e.date for e in case.events] == sorted(e.date for e in case.events)
    assert case.status_event is not None and case.status_event.outcome == "toegekend"
    assert case.last_decision == case.status_event
    assert not hasattr(case, "birth_date")


def test_view_is_frozen_and_detached(demo_engine: Engine) -> None:
    result = lookup_case(demo_engine, "DEMO-1006", BIRTH["DEMO-1006"], "conv-1", now=T0)
    demo_engine.dispose()  # no session or connection behind the view
    assert result.case is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.case.status = "afgesloten"  # type: ignore[misc]
    assert result.case.events[-1].outcome == "afgewezen"
    assert result.case.last_event("onderzoek_gestart") is not None
    assert all(not hasattr(value, "_sa_instance_state") for value in vars(result.case).values())


def test_events_are_sorted_by_date_even_if_the_file_was_not(engine: Engine, demo: dict[str, Any]) -> None:
    from bot.cases.importer import import_cases

    case = demo["cases"][4]
    case["events"].reverse()
    import_cases({"cases": [case]}, engine)
    result = lookup_case(engine, "DEMO-1005", BIRTH["DEMO-1005"], "c", now=T0)
    assert result.case is not None
    assert [e.type for e in result.case.events][0] == "melding_ontvangen"
    assert [e.type for e in result.case.events][-1] == "besluit_genomen"


@pytest.mark.parametrize("typed", ["demo-1005", " DEMO-1005 ", "Demo-1005\n"])
def test_case_number_is_matched_case_insensitively(demo_engine: Engine, typed: str) -> None:
    assert lookup_case(demo_engine, typed, BIRTH["DEMO-1005"], "c", now=T0).found


def test_datetime_birth_date_is_compared_as_a_date(demo_engine: Engine) -> None:
    moment = datetime(2011, 5, 9, 15, 30)
    assert lookup_case(demo_engine, "DEMO-1005", moment, "c", now=T0).found  # type: ignore[arg-type]


def test_wrong_pair_and_unknown_number_look_the_same(demo_engine: Engine) -> None:
    wrong_date = lookup_case(demo_engine, "DEMO-1005", WRONG, "a", now=T0)
    unknown = lookup_case(demo_engine, "NOPE-9999", BIRTH["DEMO-1005"], "b", now=T0)
    malformed = lookup_case(demo_engine, "x", BIRTH["DEMO-1005"], "c", now=T0)
    swapped = lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1004"], "d", now=T0)
    assert wrong_date == unknown == malformed == swapped == LookupResult("no_match", None, None)


def test_naive_now_is_refused(demo_engine: Engine) -> None:
    with pytest.raises(ValueError):
        lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], "c", now=datetime(2026, 11, 23))


# --- lockout ---------------------------------------------------------------------------------


def test_three_failures_lock_the_conversation(demo_engine: Engine) -> None:
    results = [
        lookup_case(demo_engine, number, WRONG, "conv-x", now=_at(minute))
        for minute, number in ((0, "DEMO-1001"), (1, "AAAA-0001"), (2, "DEMO-1002"))
    ]
    assert [r.status for r in results] == ["no_match"] * 3
    assert results[0].locked_until is None and results[1].locked_until is None
    assert results[2].locked_until == _at(2) + LOCKOUT_DURATION  # the third failure says until when
    right = lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], "conv-x", now=_at(3))
    assert right == LookupResult("locked", None, _at(17))
    assert is_locked(demo_engine, "conv-x", now=_at(3))
    # another conversation is not affected (these case numbers failed only once each)
    assert lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], "conv-y", now=_at(3)).found
    assert lookup_case(demo_engine, "DEMO-1001", BIRTH["DEMO-1001"], "conv-y", now=_at(3)).found


def test_three_failures_lock_the_case_number_across_conversations(demo_engine: Engine) -> None:
    for minute, conversation in enumerate(("a", "b", "c")):
        assert lookup_case(demo_engine, "DEMO-1005", WRONG, conversation, now=_at(minute)).status == "no_match"
    locked = lookup_case(demo_engine, "demo-1005", BIRTH["DEMO-1005"], "fresh", now=_at(5))
    assert locked.status == "locked" and locked.case is None and locked.locked_until == _at(17)
    state = is_locked(demo_engine, "fresh", "DEMO-1005", now=_at(5))
    assert state and state.locked_until == _at(17)
    assert not is_locked(demo_engine, "fresh", now=_at(5))  # the conversation itself is free
    assert lookup_case(demo_engine, "DEMO-1004", BIRTH["DEMO-1004"], "fresh", now=_at(5)).found


def test_unknown_case_numbers_lock_exactly_like_known_ones(demo_engine: Engine) -> None:
    for minute, conversation in enumerate(("a", "b", "c")):
        lookup_case(demo_engine, "GEEN-0001", WRONG, conversation, now=_at(minute))
    assert lookup_case(demo_engine, "GEEN-0001", WRONG, "d", now=_at(3)).status == "locked"


def test_lockout_expires_fifteen_minutes_after_the_third_failure(demo_engine: Engine) -> None:
    for minute in (0, 4, 8):
        lookup_case(demo_engine, "DEMO-1005", WRONG, "conv", now=_at(minute))
    just_before = _at(23) - timedelta(seconds=1)
    assert lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], "conv", now=just_before).locked
    assert not is_locked(demo_engine, "conv", "DEMO-1005", now=_at(23))
    assert lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], "conv", now=_at(23)).found


def test_attempts_while_locked_are_not_counted(demo_engine: Engine) -> None:
    for minute in (0, 1, 2):
        lookup_case(demo_engine, "DEMO-1005", WRONG, "conv", now=_at(minute))
    counted = _attempts(demo_engine)
    for minute in (5, 10, 16):
        assert lookup_case(demo_engine, "DEMO-1005", WRONG, "conv", now=_at(minute)).locked
    assert _attempts(demo_engine) == counted
    # after the lockout one failure does not lock again: the count starts afresh
    assert lookup_case(demo_engine, "DEMO-1005", WRONG, "conv", now=_at(18)).locked_until is None
    assert lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], "conv", now=_at(19)).found


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(demo_engine: Engine) -> None:
    for minute in (0, 10, 20):
        lookup_case(demo_engine, "DEMO-1005", WRONG, "conv", now=_at(minute))
    assert not is_locked(demo_engine, "conv", "DEMO-1005", now=_at(21))
    lookup_case(demo_engine, "DEMO-1005", WRONG, "conv", now=_at(22))  # 10, 20, 22: three within 15
    assert is_locked(demo_engine, "conv", "DEMO-1005", now=_at(23)).locked_until == _at(37)


def test_a_success_does_not_reset_the_count(demo_engine: Engine) -> None:
    lookup_case(demo_engine, "AAAA-0001", WRONG, "conv", now=_at(0))
    lookup_case(demo_engine, "AAAA-0002", WRONG, "conv", now=_at(1))
    assert lookup_case(demo_engine, "DEMO-1001", BIRTH["DEMO-1001"], "conv", now=_at(2)).found
    lookup_case(demo_engine, "AAAA-0003", WRONG, "conv", now=_at(3))
    assert lookup_case(demo_engine, "DEMO-1001", BIRTH["DEMO-1001"], "conv", now=_at(4)).locked


def test_is_locked_records_nothing(demo_engine: Engine) -> None:
    before = _attempts(demo_engine)
    for _ in range(5):
        assert not is_locked(demo_engine, "conv", "DEMO-1005", now=T0)
    assert _attempts(demo_engine) == before


def test_lockout_holds_across_two_engines(db_url: str, demo_engine: Engine) -> None:
    """Two engines on one database behave like two action servers."""
    first, second = new_engine(db_url), new_engine(db_url)
    try:
        lookup_case(first, "DEMO-1005", WRONG, "a", now=_at(0))
        lookup_case(second, "DEMO-1005", WRONG, "b", now=_at(1))
        lookup_case(first, "DEMO-1005", WRONG, "c", now=_at(2))
        assert lookup_case(second, "DEMO-1005", BIRTH["DEMO-1005"], "d", now=_at(3)).locked
        assert is_locked(first, "d", "DEMO-1005", now=_at(3))
    finally:
        first.dispose()
        second.dispose()


def test_lockout_holds_across_processes(db_url: str, demo_engine: Engine) -> None:
    code = (
        "import sys\nfrom datetime import date, datetime, timezone\n"
        "from bot.cases.db import get_engine\nfrom bot.cases.repository import lookup_case\n"
        "engine = get_engine(sys.argv[1])\n"
        "now = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)\n"
        "print(lookup_case(engine, 'DEMO-1005', date(2000, 1, 1), sys.argv[2], now=now).status)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for conversation in ("p1", "p2", "p3"):
        result = subprocess.run(
            [sys.executable, "-c", code, db_url, conversation],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "no_match"
    assert lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], "p4", now=_at(1)).locked


# --- what is stored ----------------------------------------------------------------------------


def test_attempts_store_hashes_and_utc_times(demo_engine: Engine) -> None:
    sender = "sender-7f3a-unique-conversation"
    lookup_case(demo_engine, "DEMO-1005", WRONG, sender, now=_at(0))
    lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], sender, now=_at(1))
    with session_scope(demo_engine) as session:
        attempts = session.execute(select(LookupAttempt).order_by(LookupAttempt.id)).scalars().all()
        subjects = session.execute(select(LookupSubject)).scalars().all()
        kinds = ("conversation", "case", "case_client", "client")
        assert {(a.subject_kind, a.success) for a in attempts} == {
            (kind, success) for kind in kinds for success in (False, True)
        }
        for attempt in attempts:
            assert len(attempt.subject_hash) == 64 and int(attempt.subject_hash, 16) >= 0
            assert attempt.created_at.tzinfo is not None and attempt.created_at.utcoffset() == timedelta(0)
        assert subject_hash("conversation", sender) in {a.subject_hash for a in attempts}
        assert {s.subject_kind for s in subjects} == set(kinds)
        # the raw sender id and the birth date are nowhere in the lookup tables
        dump = " ".join(
            str(row)
            for table in ("lookup_attempts", "lookup_subjects", "lookup_verifications")
            for row in session.execute(text(f"select * from {table}")).all()  # noqa: S608 - fixed names
        )
    assert sender not in dump and "DEMO-1005" not in dump


def test_purge_removes_old_bookkeeping_only(demo_engine: Engine) -> None:
    lookup_case(demo_engine, "DEMO-1005", WRONG, "old", now=T0 - timedelta(days=40))
    lookup_case(demo_engine, "DEMO-1005", WRONG, "new", now=T0)
    assert purge_attempts(demo_engine, timedelta(days=30), now=T0) == 4  # one per subject kind
    assert _attempts(demo_engine) == 4
    with session_scope(demo_engine) as session:
        kinds = session.execute(select(LookupSubject.subject_hash)).scalars().all()
    assert subject_hash("conversation", "old") not in kinds
    assert subject_hash("conversation", "new") in kinds
    with pytest.raises(ValueError):
        purge_attempts(demo_engine, timedelta(minutes=10), now=T0)  # would break running lockouts


# --- hostile input -------------------------------------------------------------------------------

HOSTILE = [
    "'; DROP TABLE cases; --",
    "DEMO-1005'; DELETE FROM cases WHERE '1'='1",
    "DEMO-1005 OR 1=1",
    "A" * 10_000,
    "9" * 10_000,
    "DEMO-10\u200b05",  # zero-width space
    "\u202eDEMO-1005",  # right-to-left override
    "DEMO-\uff11\uff10\uff10\uff15",  # full-width digits
    "DEMO\u20111005",  # non-breaking hyphen
    "DEMO-1005\x00",
    "DEMO-1005%",
    "",
    "\ud800",  # lone surrogate
]


@pytest.mark.parametrize("number", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_case_numbers_are_rejected_before_any_query(demo_engine: Engine, number: str) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(demo_engine, "before_cursor_execute", record)
    try:
        result = lookup_case(demo_engine, number, BIRTH["DEMO-1005"], "hostile-conv", now=T0)
    finally:
        event.remove(demo_engine, "before_cursor_execute", record)
    assert result == LookupResult("no_match", None, None)
    assert not any("FROM cases" in s for s in statements), statements  # never queried the cases
    with session_scope(demo_engine) as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 8
        kinds = session.execute(select(LookupAttempt.subject_kind)).scalars().all()
    assert sorted(kinds) == ["client", "conversation"]  # the conversation and the client only


def test_a_valid_case_number_is_queried(demo_engine: Engine) -> None:
    """Positive control for the test above: the listener does see the case query."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(demo_engine, "before_cursor_execute", record)
    try:
        lookup_case(demo_engine, "DEMO-1005", WRONG, "control", now=T0)
    finally:
        event.remove(demo_engine, "before_cursor_execute", record)
    assert any("FROM cases" in s for s in statements)


def test_hostile_inputs_count_towards_the_conversation_lockout(demo_engine: Engine) -> None:
    for minute, number in enumerate(HOSTILE[:3]):
        lookup_case(demo_engine, number, WRONG, "attacker", now=_at(minute))
    assert lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], "attacker", now=_at(4)).locked


@pytest.mark.parametrize(
    "conversation",
    ["'; DROP TABLE lookup_attempts; --", "x" * 10_000, "\u202e\u200b", "\ud800", "a\x00b", ""],
    ids=["sql", "long", "bidi-zero-width", "surrogate", "nul", "empty"],
)
def test_hostile_conversation_ids_are_only_hashed(demo_engine: Engine, conversation: str) -> None:
    assert lookup_case(demo_engine, "DEMO-1005", BIRTH["DEMO-1005"], conversation, now=T0).found
    assert _attempts(demo_engine) == 4  # one per subject kind
